"""shared.server_api.answers through the ServerApiFunction (functions/server_api/app.py):
the same answer to a Lambda invocation and to an HTTP API request, refusals coded once,
an unexpected failure an internal_error and never an exception out of the handler."""

from __future__ import annotations

import base64
import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from shared.server_api import answers, commands
from shared.store import messages
from tests.unit.management_stub import Gateway
from tests.unit.rest.conftest import http_api_event
from tests.unit.rest.test_app import invocation_lines

APP = Path(__file__).resolve().parents[3] / "functions" / "server_api" / "app.py"
CONTEXT = SimpleNamespace(aws_request_id="r-1", function_name="switchboard-ServerApiFunction")


@functools.cache
def function() -> ModuleType:
    """functions/server_api/app.py, loaded from its file as Lambda would (once)."""
    spec = importlib.util.spec_from_file_location("switchboard_server_api_function", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def invoke(gateway: Gateway, configure: Any) -> Any:
    configure(management_endpoint=gateway.endpoint)

    def call(payload: Any) -> Any:
        return function().handler(payload, CONTEXT)

    return call


def over_https(command: str, body: str | None, *, base64_encoded: bool = False) -> dict[str, Any]:
    event = http_api_event("POST", f"/server/{command}", None, raw_body=body)
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /server/{command}"
    event["pathParameters"] = {"command": command}
    event["requestContext"]["authorizer"] = {
        "iam": {"accessKey": "AKIA1", "userArn": "arn:aws:iam::123456789012:user/orders"}
    }
    if base64_encoded:
        event["body"] = base64.b64encode((body or "").encode()).decode()
        event["isBase64Encoded"] = True
    return event


def test_an_invocation_is_answered_ok_with_its_result(invoke: Any, chat_id: str) -> None:
    answer = invoke({"command": "isUserOnline", "args": {"userId": "alice"}})
    assert answer == {"ok": True, "result": {"online": True}}


def test_a_refused_invocation_is_answered_with_its_code_and_changes_nothing(
    invoke: Any, chat_id: str
) -> None:
    answer = invoke(
        {"command": "sendMessage", "args": {"chatId": "nope", "senderId": "b", "body": "x"}}
    )
    assert answer == {"ok": False, "error": {"code": "not_found", "message": "no such chat"}}
    assert messages.newest("nope") is None
    assert invoke({"command": "nope"})["error"]["code"] == "unknown_command"
    assert invoke(["not", "an", "object"])["error"]["code"] == "bad_request"


def test_an_http_request_gets_the_same_answer_as_its_json_body(invoke: Any, chat_id: str) -> None:
    response = invoke(over_https("isUserOnline", json.dumps({"userId": "alice"})))
    assert response["statusCode"] == 200
    assert response["headers"] == {"content-type": "application/json"}
    assert json.loads(response["body"]) == {"ok": True, "result": {"online": True}}


@pytest.mark.parametrize(
    ("command", "body", "status", "code"),
    [
        ("nope", "{}", 400, "unknown_command"),
        ("isUserOnline", "{}", 400, "bad_request"),
        ("isUserOnline", "not json", 400, "bad_request"),
        ("getChatUsers", '{"chatId": "nope"}', 404, "not_found"),
        ("broadcast", json.dumps({"event": "x", "data": "y" * 40_000}), 413, "bad_request"),
    ],
)
def test_http_refusals_carry_the_status_their_code_means(
    invoke: Any, chat_id: str, command: str, body: str, status: int, code: str
) -> None:
    response = invoke(over_https(command, body))
    assert response["statusCode"] == status
    assert json.loads(response["body"])["error"]["code"] == code


def test_a_base64_body_is_decoded_and_one_that_is_not_utf8_is_refused(
    invoke: Any, chat_id: str
) -> None:
    ok = invoke(over_https("isUserOnline", '{"userId": "bob"}', base64_encoded=True))
    assert json.loads(ok["body"])["result"] == {"online": True}
    event = over_https("isUserOnline", "")
    event.update(body=base64.b64encode(b"\xff\xfe").decode(), isBase64Encoded=True)
    assert invoke(event)["statusCode"] == 400


def test_an_unexpected_failure_is_an_internal_error_in_either_shape(
    invoke: Any, chat_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: dict[str, Any], endpoint: str | None) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(commands.RUNNERS, commands.Command.GET_STATS, broken)
    assert invoke({"command": "getStats"}) == {"ok": False, "error": answers.INTERNAL}
    response = invoke(over_https("getStats", None))
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"ok": False, "error": answers.INTERNAL}


def test_the_log_line_names_the_command_its_status_and_the_iam_caller(
    invoke: Any, chat_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    invoke(over_https("getChatUsers", '{"chatId": "nope"}'))
    (record,) = invocation_lines(capsys.readouterr().err)
    assert (record["command"], record["status"], record["error"]) == (
        "getChatUsers",
        404,
        "not_found",
    )
    assert record["caller"] == "arn:aws:iam::123456789012:user/orders"
    assert record["route"] == "server-api:https"
