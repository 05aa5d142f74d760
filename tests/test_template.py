"""template.yaml is the single source of truth: the code must agree with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

from shared import models
from shared.protocol import Action

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, errors = decode(str(ROOT / "template.yaml"))
    assert not errors
    return json.loads(json.dumps(decoded))


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_every_action_has_a_route_and_every_route_an_action(template: dict[str, Any]) -> None:
    keys = {
        r["Properties"]["RouteKey"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }
    assert keys - {"$connect", "$disconnect", "$default"} == {a.value for a in Action}


def test_every_action_route_answers_through_a_route_response(template: dict[str, Any]) -> None:
    routes = resources(template, "AWS::ApiGatewayV2::Route")
    answered = {
        r["Properties"]["RouteId"]["Ref"]
        for r in resources(template, "AWS::ApiGatewayV2::RouteResponse").values()
    }
    for logical_id, route in routes.items():
        if route["Properties"]["RouteKey"] not in ("$connect", "$disconnect"):
            assert logical_id in answered, logical_id
            assert route["Properties"]["RouteResponseSelectionExpression"] == "$default"


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
