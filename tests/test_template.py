"""template.yaml is the single source of truth: the code must agree with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from shared.protocol import Action
from shared.store import models

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, errors = decode(str(ROOT / "template.yaml"))
    assert not errors
    return json.loads(json.dumps(decoded))


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_websocket_api_routes_every_action_through_default(template: dict[str, Any]) -> None:
    """One route for all actions a function answers: adding one never touches the
    template. The one other route is the keep-alive, which API Gateway answers itself
    (a MOCK integration with no route response: no function, no reply)."""
    routes = resources(template, "AWS::ApiGatewayV2::Route")
    websocket = {
        r["Properties"]["RouteKey"]: r
        for r in routes.values()
        if r["Properties"]["ApiId"] == {"Ref": "WebSocketApi"}
    }
    assert set(websocket) == {"$connect", "$disconnect", "$default", Action.PING.value}
    assert set(websocket) & {a.value for a in Action} == {Action.PING.value}
    target = websocket[Action.PING.value]["Properties"]["Target"]["Fn::Sub"]
    integration = resources(template, "AWS::ApiGatewayV2::Integration")[
        target.removeprefix("integrations/${").removesuffix("}")
    ]
    assert integration["Properties"]["IntegrationType"] == "MOCK"
    responses = resources(template, "AWS::ApiGatewayV2::RouteResponse").values()
    assert all(r["Properties"]["RouteId"] != {"Ref": "PingRoute"} for r in responses)


def test_default_answers_through_a_route_response(template: dict[str, Any]) -> None:
    routes = resources(template, "AWS::ApiGatewayV2::Route")
    answered = {
        r["Properties"]["RouteId"]["Ref"]
        for r in resources(template, "AWS::ApiGatewayV2::RouteResponse").values()
    }
    (default,) = [lid for lid, r in routes.items() if r["Properties"]["RouteKey"] == "$default"]
    assert default in answered
    assert routes[default]["Properties"]["RouteResponseSelectionExpression"] == "$default"


MODEL_ENV = {
    models.Connection: "CONNECTIONS_TABLE",
    models.RoomEntry: "ROOMS_TABLE",
    models.Chat: "CHATS_TABLE",
    models.Member: "MEMBERS_TABLE",
    models.Message: "MESSAGES_TABLE",
    models.User: "USERS_TABLE",
}


def key_schema(schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


@pytest.mark.parametrize("model", list(MODEL_ENV), ids=lambda m: m.__name__)
def test_models_match_the_tables_keys_and_indexes(template: dict[str, Any], model: Any) -> None:
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    table = template["Resources"][env[MODEL_ENV[model]]["Ref"]]["Properties"]
    schema = model._get_schema()
    assert key_schema(table["KeySchema"]) == key_schema(schema["key_schema"])
    declared = {
        i["IndexName"]: key_schema(i["KeySchema"])
        for i in table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", [])
    }
    used = {
        i["index_name"]: key_schema(i["key_schema"])
        for i in schema.get("global_secondary_indexes", [])
        + schema.get("local_secondary_indexes", [])
    }
    assert used == declared


def test_every_function_handler_resolves_to_a_callable(template: dict[str, Any]) -> None:
    for logical_id, function in resources(template, "AWS::Serverless::Function").items():
        props = function["Properties"]
        module, _, attribute = props["Handler"].rpartition(".")
        code_dir = ROOT / props["CodeUri"]
        # Each in its own interpreter, with its CodeUri first on the path, as on Lambda.
        probe = (
            f"import sys; sys.path[:0] = [{str(code_dir)!r}, {str(ROOT)!r}]; "
            f"import {module} as m; assert callable(m.{attribute})"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, (logical_id, result.stderr[-2000:])


def test_the_sam_transform_accepts_the_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    raw = yaml_parse((ROOT / "template.yaml").read_text())
    # What `sam package` does before deploying: local code paths become S3 objects.
    for logical_id, resource in raw["Resources"].items():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://artifacts/{logical_id}.zip"
    output = transform(raw, {}, NoManagedPolicies())
    kinds = {r["Type"] for r in output["Resources"].values()}
    assert "AWS::Lambda::Function" in kinds
    assert "AWS::ApiGatewayV2::Api" in kinds


# ---------------------------------------------------------------- environment


ENV_READ = re.compile(r"""os\.(?:environ\.get|getenv|environ\[)\(?\s*["']([A-Z0-9_]+)["']""")
# Set by Lambda itself or by whoever points the code at a local endpoint.
PLATFORM_ENV = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CA_BUNDLE",
    "AWS_LAMBDA_FUNCTION_NAME",
}


def test_every_variable_the_code_reads_is_set_by_the_template_and_the_reverse(
    template: dict[str, Any],
) -> None:
    read = set()
    for folder in ("shared", "functions"):
        for path in (ROOT / folder).rglob("*.py"):
            read |= set(ENV_READ.findall(path.read_text()))
    declared = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for function in resources(template, "AWS::Serverless::Function").values():
        declared |= set(function["Properties"].get("Environment", {}).get("Variables", {}))
    assert read - PLATFORM_ENV == declared


def test_no_secret_is_a_template_parameter(template: dict[str, Any]) -> None:
    for name, spec in template["Parameters"].items():
        assert not spec.get("NoEcho"), f"{name}: secrets come from Secrets Manager"
        assert "secret" not in name.lower() or name.endswith("Arn"), name


# ---------------------------------------------------------------- production shape


def test_functions_run_python_3_12_or_newer_on_arm64(template: dict[str, Any]) -> None:
    globals_ = template["Globals"]["Function"]
    assert globals_["Architectures"] == ["arm64"]
    assert tuple(map(int, globals_["Runtime"].removeprefix("python").split("."))) >= (3, 12)
    for function in resources(template, "AWS::Serverless::Function").values():
        assert "Runtime" not in function["Properties"]


def test_only_the_functions_that_use_redis_are_in_the_vpc(template: dict[str, Any]) -> None:
    for logical_id, function in resources(template, "AWS::Serverless::Function").items():
        props = function["Properties"]
        uses_redis = "REDIS_URL" in props.get("Environment", {}).get("Variables", {})
        assert ("VpcConfig" in props) == uses_redis, logical_id


def test_durable_tables_have_point_in_time_recovery_and_deletion_protection(
    template: dict[str, Any],
) -> None:
    for logical_id in ("ChatsTable", "MembersTable", "MessagesTable", "UsersTable"):
        table = template["Resources"][logical_id]
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert table["Properties"]["DeletionProtectionEnabled"] == {
            "Fn::If": ["ProtectTables", True, False]
        }
        assert table["DeletionPolicy"] == "Retain"
    for table in resources(template, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_every_function_has_a_log_group_with_retention_and_alarms(
    template: dict[str, Any],
) -> None:
    groups = resources(template, "AWS::Logs::LogGroup").values()
    named = {json.dumps(g["Properties"]["LogGroupName"]) for g in groups}
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    watched = {
        (a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"][0]["Value"]))
        for a in alarms
    }
    for logical_id in resources(template, "AWS::Serverless::Function"):
        assert json.dumps({"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}) in named
        for metric in ("Errors", "Throttles"):
            assert (metric, json.dumps({"Ref": logical_id})) in watched, (logical_id, metric)
    assert any(a["Properties"]["MetricName"] == "FanoutFailures" for a in alarms)
    for group in groups:
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_stage_is_throttled_and_access_logged(template: dict[str, Any]) -> None:
    stage = template["Resources"]["WebSocketStage"]["Properties"]
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == {"Ref": "ThrottlingBurstLimit"}
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ThrottlingRateLimit"}
    assert "DestinationArn" in stage["AccessLogSettings"]


def test_the_outputs_give_the_urls(template: dict[str, Any]) -> None:
    assert {"WebSocketUrl", "HttpApiUrl", "ManagementEndpoint"} <= set(template["Outputs"])


# ---------------------------------------------------------------- least privilege


@pytest.fixture(scope="module")
def transformed(monkeypatch_module: pytest.MonkeyPatch) -> dict[str, Any]:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    raw = yaml_parse((ROOT / "template.yaml").read_text())
    for logical_id, resource in raw["Resources"].items():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://artifacts/{logical_id}.zip"
    return transform(raw, {}, NoManagedPolicies())


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield patch


def statements(transformed: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in transformed["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in _flatten(policy):
                found.append((logical_id, statement))
    return found


def _flatten(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [s for item in node for s in _flatten(item)]
    if isinstance(node, dict) and "Fn::If" in node:
        return [s for branch in node["Fn::If"][1:] for s in _flatten(branch)]
    if isinstance(node, dict) and "Effect" in node:
        return [node]
    if isinstance(node, dict) and "Statement" in node:
        return _flatten(node["Statement"])
    if isinstance(node, dict) and "PolicyDocument" in node:
        return _flatten(node["PolicyDocument"])
    return []


def test_no_statement_grants_everything(transformed: dict[str, Any]) -> None:
    assert len(statements(transformed)) > 20  # the transform's roles were read
    for role, statement in statements(transformed):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all(not a.endswith(":*") and a != "*" for a in actions), (role, actions)
        assert statement.get("Resource") != "*", (role, statement)


def test_connections_are_managed_on_this_api_and_stage_only(
    transformed: dict[str, Any],
) -> None:
    managing = [
        (role, s)
        for role, s in statements(transformed)
        if "execute-api:ManageConnections"
        in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert {role for role, _ in managing} == {
        f"{fn}Role"
        for fn in (
            "ConnectFunction",
            "DisconnectFunction",
            "EventFunction",
            "ApiFunction",
            "SweeperFunction",
            "DeliveryFunction",
            "ServerApiFunction",
            "CallTimerFunction",
        )
    }
    for _, statement in managing:
        arn = statement["Resource"]["Fn::Sub"]
        assert arn.endswith(":${WebSocketApi}/${Stage}/*/@connections/*")


def test_dynamodb_access_names_only_this_stacks_tables(transformed: dict[str, Any]) -> None:
    tables = {
        lid for lid, r in transformed["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"
    }
    for role, statement in statements(transformed):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if not any(a.startswith("dynamodb:") for a in actions):
            continue
        text = json.dumps(statement["Resource"])
        referenced = set(re.findall(r'"Ref": "([A-Za-z]+)"|\$\{([A-Za-z]+)\}', text))
        names = {a or b for a, b in referenced} - {
            "AWS::Partition",
            "AWS::Region",
            "AWS::AccountId",
            "tableName",
        }
        assert names and names <= tables, (role, names)


def test_the_authorizer_is_outside_the_vpc_and_reads_only_the_jwt_secret(
    transformed: dict[str, Any],
) -> None:
    function = transformed["Resources"]["AuthorizerFunction"]["Properties"]
    assert "VpcConfig" not in function
    granted = [s for role, s in statements(transformed) if role == "AuthorizerFunctionRole"]
    assert [s["Action"] for s in granted] == ["secretsmanager:GetSecretValue"] * len(granted)


def test_the_api_function_has_no_jwt_settings_and_no_secret_access(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    """The HTTP API's authorizer verifies every REST token; the api function only reads its
    verdict (shared/rest/requests.py), so it holds no JWT configuration and cannot read the
    signing secret."""
    function = template["Resources"]["ApiFunction"]["Properties"]
    variables = (function.get("Environment") or {}).get("Variables") or {}
    assert not [name for name in variables if name.startswith("JWT_")]
    granted = [s for role, s in statements(transformed) if role == "ApiFunctionRole"]
    actions = [
        a
        for s in granted
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert granted and not [a for a in actions if a.lower().startswith("secretsmanager:")]
    assert "JwtSigningSecret" not in json.dumps(granted)
    http_api = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    assert http_api["DefaultAuthorizer"] == "TokenAuthorizer"


def test_every_action_is_documented_and_reaches_the_event_function_in_the_emulator() -> None:
    from infra.template.reader import load_template

    loaded = load_template(ROOT / "template.yaml", {"JwtSecretArn": "arn:local"})
    assert loaded.websocket_api is not None
    routes = loaded.websocket_api.routes
    assert set(routes) == {"$connect", "$disconnect", "$default", Action.PING.value}
    assert routes["$default"].function_id == "EventFunction"
    assert routes[Action.PING.value].mock and routes[Action.PING.value].function_id is None
    headings = re.findall(r"^#{3,4} (.+)$", (ROOT / "docs/protocol.md").read_text(), re.M)
    documented = {name for heading in headings for name in re.findall(r"`([^`]+)`", heading)}
    assert {a.value for a in Action} <= documented
