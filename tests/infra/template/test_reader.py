"""The template model: intrinsics, functions, routes and tables read from template.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.template.intrinsics import Resolver, TemplateError
from infra.template.reader import HttpAuthorizer, load_template

ROOT = Path(__file__).resolve().parents[3]


def test_project_template_is_fully_read() -> None:
    template = load_template(ROOT / "template.yaml", {"Stage": "dev", "RedisUrl": "redis://x"})
    api = template.websocket_api
    assert api is not None
    assert api.route_selection_expression == "$request.body.action"
    assert {"$connect", "$disconnect", "$default"} <= set(api.routes)
    connect = api.routes["$connect"]
    assert connect.authorizer is not None
    assert connect.authorizer.identity_sources == ["route.request.querystring.token"]
    assert api.routes["$default"].has_route_response
    assert not api.routes["$disconnect"].has_route_response
    for route in api.routes.values():
        assert route.function_id in template.functions
    [rest] = template.http_routes
    assert (rest.function_id, rest.method, rest.path) == ("ApiFunction", "ANY", "/{proxy+}")
    assert rest.authorizer == HttpAuthorizer(
        name="TokenAuthorizer",
        function_id="AuthorizerFunction",
        identity_sources=["$request.header.Authorization"],
        payload_format="2.0",
        simple_responses=True,
        ttl=300.0,
    )
    event = template.functions[api.routes["$default"].function_id]
    assert event.environment["REDIS_URL"] == "redis://x"
    assert event.environment["CONNECTIONS_TABLE"] == "switchboard-ConnectionsTable"
    assert event.layer_dirs == [ROOT]
    assert event.timeout == 10 and event.memory_size == 512
    assert template.tables["ConnectionsTable"].ttl_attribute == "expiresAt"


def test_intrinsics() -> None:
    resources = {
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "fixed"}},
    }
    r = Resolver(
        resources=resources,
        parameters={"P": "v"},
        stack_name="s",
        conditions={"IsV": {"Fn::Equals": [{"Ref": "P"}, "v"]}},
    )
    assert r.resolve({"Fn::Sub": "${P}-${AWS::Region}-${!Literal}"}) == "v-us-east-1-${Literal}"
    assert r.resolve({"Fn::Sub": ["${X}/${T}", {"X": {"Ref": "P"}}]}) == "v/fixed"
    assert r.resolve({"Fn::GetAtt": ["Fn", "Arn"]}).endswith(":function:s-Fn")
    assert r.resolve({"Fn::Sub": "${Fn.Arn}"}).endswith(":function:s-Fn")
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "P"}]]}) == "a-v"
    assert r.resolve({"Fn::Select": [1, ["a", "b"]]}) == "b"
    assert r.resolve({"Fn::If": ["IsV", "yes", "no"]}) == "yes"
    assert r.resolve({"A": {"Ref": "AWS::NoValue"}, "B": 1}) == {"B": 1}


HTTP_API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Auth:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: A
        Authorizers:
          A: AUTHORIZER
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /x, Method: GET}}
"""


@pytest.mark.parametrize(
    ("authorizer", "refusal"),
    [
        ("{JwtConfiguration: {issuer: i, audience: [a]}, IdentitySource: x}", "Lambda"),
        ("{FunctionArn: !GetAtt Auth.Arn, AuthorizerPayloadFormatVersion: '1.0'}", "1.0"),
        ("{FunctionArn: arn:aws:lambda:us-east-1:1:function:elsewhere}", "no function"),
    ],
)
def test_http_api_authorizers_the_emulator_cannot_run_are_refused(
    tmp_path: Path, authorizer: str, refusal: str
) -> None:
    """Better no emulator than routes left open that AWS would guard."""
    (tmp_path / "template.yaml").write_text(HTTP_API.replace("AUTHORIZER", authorizer))
    with pytest.raises(TemplateError, match=refusal):
        load_template(tmp_path / "template.yaml")
