"""shared.rest.requests: the caller the authorizer vouched for (else 500), a JSON object body."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from shared import errors
from shared.observability import log
from shared.rest.requests import MAX_REQUEST_BYTES, caller_id, json_object
from tests.unit.rest.conftest import Api, answer_of, http_api_event


def request(event: Any = None, body: bytes = b"") -> Request:
    """A Starlette request as Mangum builds it: the raw event under ``aws.event``."""
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/chats",
        "headers": [],
        "query_string": b"",
    }
    if event is not None:
        scope["aws.event"] = event

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def read(body: bytes) -> dict[str, Any]:
    # A private loop: asyncio.run() would leave this thread without a current loop,
    # which the ApiFunction's Mangum (run later in this process) needs.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(json_object(request(body=body)))
    finally:
        loop.close()


@pytest.fixture
def invocation() -> Iterator[None]:
    """An invocation in progress (its correlation fields open), closed afterwards."""
    log.begin(SimpleNamespace(function_name="api", aws_request_id="r"), route="POST /chats")
    yield
    log._current.clear()


# ---------------------------------------------------------------- caller_id


def test_the_caller_is_the_user_the_lambda_authorizer_vouched_for() -> None:
    assert caller_id(request(http_api_event("GET", "/chats", "alice"))) == "alice"


@pytest.mark.parametrize(
    "authorizer",
    [
        None,  # no authorizer ran
        {},
        {"lambda": None},
        {"lambda": {}},
        {"lambda": {"userId": ""}},
        {"lambda": {"userId": 42}},
        {"lambda": {"userId": ["alice"]}},
        {"userId": "alice"},  # the WebSocket authorizer's shape is not the HTTP API's
        {"jwt": {"claims": {"sub": "alice"}}},
    ],
)
def test_without_the_authorizers_verdict_the_request_is_an_internal_error(
    authorizer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    event = http_api_event("GET", "/chats", None)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    with caplog.at_level(logging.ERROR), pytest.raises(errors.Internal):
        caller_id(request(event))
    assert any("no authorizer context" in r.getMessage() for r in caplog.records)


def test_a_request_without_an_event_is_an_internal_error() -> None:
    with pytest.raises(errors.Internal):
        caller_id(request())


def test_the_caller_is_bound_to_the_invocations_log_fields(invocation: None) -> None:
    caller_id(request(http_api_event("GET", "/chats", "alice")))
    assert log.current()["userId"] == "alice"


# ---------------------------------------------------------------- json_object


def test_a_json_object_body_is_read() -> None:
    assert read(b'{"name": "team", "members": ["bob"]}') == {"name": "team", "members": ["bob"]}


def test_an_empty_body_is_an_empty_object() -> None:
    assert read(b"") == {}


@pytest.mark.parametrize("body", [b"{", b"nope", b"{'single': 'quotes'}", b"\xff\xfe{}", b"{}x"])
def test_a_body_that_is_not_json_is_invalid(body: bytes) -> None:
    with pytest.raises(errors.Invalid, match="body is not valid JSON"):
        read(body)


def test_a_body_nested_too_deep_to_parse_is_invalid_not_a_crash() -> None:
    with pytest.raises(errors.Invalid, match="body is not valid JSON"):
        read(b"[" * 30_000 + b"]" * 30_000)  # 60 KB: under the size limit


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null", b"true"])
def test_a_json_body_that_is_not_an_object_is_invalid(body: bytes) -> None:
    with pytest.raises(errors.Invalid, match="body must be a JSON object"):
        read(body)


def test_a_body_of_exactly_the_limit_is_read() -> None:
    padding = MAX_REQUEST_BYTES - len(b'{"x":""}')
    body = b'{"x":"' + b"a" * padding + b'"}'
    assert len(body) == MAX_REQUEST_BYTES
    assert read(body) == {"x": "a" * padding}


def test_a_body_over_the_limit_is_too_large_before_it_is_parsed() -> None:
    with pytest.raises(errors.TooLarge):
        read(b"{" * (MAX_REQUEST_BYTES + 1))  # not JSON either: size is checked first


# ---------------------------------------------------------------- as the client sees it


def test_bad_json_is_answered_400(api: Api) -> None:
    answer = api("POST", "/chats", raw_body="{not json")
    assert (answer.status, answer.error) == (400, ("bad_request", "body is not valid JSON"))


def test_a_non_object_body_is_answered_400(api: Api) -> None:
    answer = api("POST", "/chats", body=["bob"])
    assert (answer.status, answer.error) == (400, ("bad_request", "body must be a JSON object"))


def test_a_body_too_large_is_answered_413(api: Api) -> None:
    answer = api("POST", "/chats", body={"name": "x" * MAX_REQUEST_BYTES})
    assert (answer.status, answer.error) == (413, ("bad_request", "request body too large"))


def test_a_base64_encoded_body_is_decoded_first(handler: Callable[[Any], dict[str, Any]]) -> None:
    event = http_api_event("POST", "/chats", "alice")
    event["body"] = base64.b64encode(json.dumps({"name": "encoded"}).encode()).decode()
    event["isBase64Encoded"] = True
    answer = answer_of(handler(event))
    assert (answer.status, answer.body["name"]) == (201, "encoded")


def test_a_request_without_the_authorizers_verdict_is_answered_500(api: Api) -> None:
    answer = api("POST", "/chats", user=None, body={"name": "team"})
    assert (answer.status, answer.error) == (500, ("internal_error", "internal error"))
