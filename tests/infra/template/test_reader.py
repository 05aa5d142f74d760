"""The template model: intrinsics, functions, routes and tables read from template.yaml."""

from __future__ import annotations

from pathlib import Path

from infra.template.intrinsics import Resolver
from infra.template.reader import load_template

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
    assert any(r.path == "/{proxy+}" for r in template.http_routes)
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
