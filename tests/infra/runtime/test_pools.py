"""Lambda environments, direct invocation, the HTTP API, DynamoDB tables and the CLI."""

from __future__ import annotations

import json

import boto3
import httpx
import jwt
import pytest

from infra import cli
from infra.emulator import DEV_JWT_SECRET, Emulator


def test_per_function_environment(emulator: Emulator) -> None:
    echo = emulator.invoke("EchoFunction", {"probe": True})
    counter = emulator.invoke("CounterFunction", {"probe": True})
    assert echo["env"]["SHARED"] == "overridden" and counter["env"]["SHARED"] == "global"
    assert "ECHO_ONLY" in echo["env"] and "ECHO_ONLY" not in counter["env"]
    assert echo["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "switchboard-EchoFunction"
    assert counter["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert echo["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    env = echo["env"]
    assert env["MANAGEMENT_ENDPOINT"] == f"https://127.0.0.1:{emulator.tls_port}/local"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == emulator.dynamodb_endpoint
    assert env["AWS_CA_BUNDLE"] == emulator.ca_bundle
    assert env["REDIS_URL"] == emulator.redis_url
    assert env["ITEMS_TABLE"] == "switchboard-ItemsTable"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["PYTHONPATH"].split(":")[0].endswith("fixtures/echo")
    assert "PYTEST_CURRENT_TEST" not in env  # nothing of the emulator's own environment
    assert 0 < echo["remaining"] <= 5000
    assert echo["function_name"] == "switchboard-EchoFunction"


def test_handler_exception_is_an_error_result(emulator: Emulator) -> None:
    result = emulator.invoke_result("BoomFunction", {})
    assert not result.ok
    assert result.error is not None
    assert result.error["errorType"] == "RuntimeError"
    assert result.error["errorMessage"] == "boom"
    assert emulator.invoke("CounterFunction", {"probe": True})["count"] >= 1


def test_timeout_kills_the_worker(emulator: Emulator) -> None:
    result = emulator.invoke_result("SlowFunction", {})
    assert result.error is not None and result.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.error["errorMessage"]


def test_rest_app_gets_http_api_v2_events(emulator: Emulator) -> None:
    response = httpx.post(
        f"{emulator.rest_url}/chats/42?x=1&x=2&y=z",
        content=b'{"a": 1}',
        headers={"Content-Type": "application/json", "Cookie": "c=1; d=2", "X-Thing": "t"},
    )
    assert response.status_code == 201
    assert response.headers["x-probe"] == "1"
    assert response.headers["set-cookie"] == "a=1"
    event = response.json()
    assert event["version"] == "2.0" and event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/chats/42" and event["rawQueryString"] == "x=1&x=2&y=z"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "z"}
    assert event["pathParameters"] == {"proxy": "chats/42"}
    assert event["cookies"] == ["c=1", "d=2"]
    assert event["headers"]["x-thing"] == "t"
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http["method"] == "POST" and http["path"] == "/chats/42"
    assert event["requestContext"]["stage"] == "$default"


def test_tables_created_from_the_template(emulator: Emulator) -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=emulator.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    table = client.describe_table(TableName="switchboard-ItemsTable")["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "pk": "HASH",
        "sk": "RANGE",
    }
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["byOwner"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == ["byOwnerLocal"]
    ttl = client.describe_time_to_live(TableName="switchboard-ItemsTable")
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    assert client.describe_table(TableName="switchboard-named-local")["Table"]["TableStatus"]


def test_token(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    claims = jwt.decode(emulator.token("alice"), emulator.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert cli.main(["token", "bob", "--expires-in", "60"]) == 0
    printed = capsys.readouterr().out.strip()
    assert jwt.decode(printed, DEV_JWT_SECRET, algorithms=["HS256"])["sub"] == "bob"
    assert json.dumps(claims)
