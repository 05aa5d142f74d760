"""shared.rest.app via the ApiFunction: JSON errors, the status each code means, one log line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from mangum import Mangum
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from shared import config, errors
from shared.protocol import HTTP_STATUSES, ErrorCode, ProtocolError
from shared.rest.app import app
from tests.unit.rest.conftest import Answer, Api, answer_of, http_api_event

Handler = Callable[[dict[str, Any]], dict[str, Any]]


# ---------------------------------------------------------------- the error mapping


def test_every_wire_code_has_an_http_status() -> None:
    assert set(HTTP_STATUSES) == set(ErrorCode)


@pytest.fixture
def raising() -> Callable[[Exception], Answer]:
    """The app's error handlers around a route that raises the given exception, served
    through Mangum as the ApiFunction serves the app."""

    def get(error: Exception) -> Answer:
        async def endpoint(request: Request) -> None:
            raise error

        with_handlers = Starlette(
            routes=[Route("/boom", endpoint)], exception_handlers=app.exception_handlers
        )
        return answer_of(
            Mangum(with_handlers, lifespan="off")(
                http_api_event("GET", "/boom", "alice"), cast(Any, None)
            )
        )

    return get


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.Invalid("bad field"), 400, "bad_request"),
        (errors.TooLarge("too big"), 413, "bad_request"),
        (errors.Unauthorized("who are you"), 401, "unauthorized"),
        (errors.Forbidden("not yours"), 403, "forbidden"),
        (errors.NotFound("no such chat"), 404, "not_found"),
        (errors.Conflict("too many emojis"), 409, "conflict"),
        (errors.Internal("internal error"), 500, "internal_error"),
        (errors.DomainError("refused"), 400, "bad_request"),
        (ProtocolError(ErrorCode.UNKNOWN_ACTION, "what"), 400, "unknown_action"),
        (ProtocolError(ErrorCode.RATE_LIMITED, "slow down"), 429, "rate_limited"),
    ],
)
def test_a_domain_refusal_gets_its_wire_code_the_status_it_means_and_its_message(
    raising: Callable[[Exception], Answer], error: errors.DomainError, status: int, code: str
) -> None:
    answer = raising(error)
    assert answer.status == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.body == {"error": {"code": code, "message": error.message}}


def test_an_unexpected_exception_is_500_internal_error_without_its_details(
    raising: Callable[[Exception], Answer],
) -> None:
    answer = raising(RuntimeError("secret table name in a stack"))
    assert answer.status == 500
    assert answer.body == {
        "error": {"code": "internal_error", "message": "internal error, retry later"}
    }


# ---------------------------------------------------------------- through the ApiFunction


def test_an_unknown_path_is_404_not_found(api: Api) -> None:
    answer = api("GET", "/nowhere")
    assert answer.status == 404
    assert answer.error[0] == "not_found"


def test_a_wrong_method_is_405_method_not_allowed(api: Api) -> None:
    answer = api("PUT", "/chats")
    assert answer.status == 405
    assert answer.error[0] == "method_not_allowed"


def test_a_request_without_the_authorizers_verdict_is_500_not_401(api: Api) -> None:
    answer = api("GET", "/chats", user=None)
    assert answer.status == 500
    assert answer.error == ("internal_error", "internal error")


def test_a_store_failure_is_500_internal_error(api: Api, configure: Any) -> None:
    configure(members_table="no-such-table")
    answer = api("GET", "/chats")
    assert answer.status == 500
    assert answer.error == ("internal_error", "internal error, retry later")


def test_an_event_the_adapter_cannot_read_is_answered_500_and_never_raises(
    handler: Handler,
) -> None:
    answer = answer_of(handler({"not": "an http api event"}))
    assert answer.status == 500
    assert answer.error == ("internal_error", "internal error")
    assert answer.headers["content-type"] == "application/json"


def test_answers_are_json(api: Api, domain: config.Settings) -> None:
    answer = api("GET", "/chats")
    assert (answer.status, answer.body) == (200, {"chats": []})
    assert answer.headers["content-type"] == "application/json"


def invocation_lines(err: str) -> list[dict[str, Any]]:
    found = []
    for line in err.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("msg") == "invocation":
            found.append(record)
    return found


def test_each_request_logs_one_invocation_line_with_its_route_template_and_status(
    handler: Handler, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    event = http_api_event(
        "GET",
        "/chats/01JDQ8Y7C3W2ZK3T0M4V9N6B2E/messages",
        "alice",
        headers={"x-request-id": "c-9"},
    )
    assert handler(event)["statusCode"] == 404
    (line,) = invocation_lines(capsys.readouterr().err)
    assert line["route"] == "GET /chats/{chat_id}/messages"  # no ids in a metric dimension
    assert line["path"] == "/chats/01JDQ8Y7C3W2ZK3T0M4V9N6B2E/messages"
    assert (line["status"], line["level"]) == (404, "WARNING")
    assert (line["requestId"], line["clientRequestId"]) == ("req-1", "c-9")
    assert line["userId"] == "alice"  # bound once the caller was known
    assert line["function"] == "switchboard-ApiFunction"
    assert line["awsCalls"] == {"dynamodb.GetItem": 1}  # the membership check


def test_an_unmatched_path_is_logged_as_unmatched(
    handler: Handler, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    handler(http_api_event("GET", "/secret/123", "alice"))
    (line,) = invocation_lines(capsys.readouterr().err)
    assert line["route"] == "GET (unmatched)"


def test_a_failed_invocation_is_logged_as_an_error(
    handler: Handler, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    handler({"not": "an http api event"})
    (line,) = invocation_lines(capsys.readouterr().err)
    assert (line["status"], line["level"]) == (500, "ERROR")
