"""shared.invocation: the typed view of API Gateway events and the one Lambda entry wrapper."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from shared.invocation import Fields, GatewayEvent, correlation, lambda_handler
from shared.observability import calls, log

CONTEXT = SimpleNamespace(aws_request_id="lambda-req-1", function_name="switchboard-EventFunction")


def websocket_event(**context: Any) -> dict[str, Any]:
    """A WebSocket API event of a MESSAGE route, as API Gateway sends it."""
    return {
        "requestContext": {
            "routeKey": "message:send",
            "eventType": "MESSAGE",
            "connectionId": "L0SM9cOFvHcCIhw=",
            "requestId": "req-42",
            "stage": "prod",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "connectedAt": 1795687200123,
            "identity": {"sourceIp": "203.0.113.9"},
            "authorizer": {"userId": "alice", "principalId": "alice"},
            **context,
        },
        "body": '{"action":"message:send"}',
        "isBase64Encoded": False,
    }


def http_api_event(**context: Any) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event behind the Lambda authorizer."""
    return {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": "/chats",
        "headers": {"Content-Type": "application/json", "X-Request-Id": "client-7"},
        "requestContext": {
            "http": {"method": "POST", "path": "/chats", "sourceIp": "198.51.100.4"},
            "requestId": "http-req-1",
            "routeKey": "ANY /{proxy+}",
            "stage": "$default",
            "domainName": "api123.execute-api.us-east-1.amazonaws.com",
            "authorizer": {"lambda": {"userId": "bob"}},
            **context,
        },
        "body": '{"name":"team"}',
        "isBase64Encoded": False,
    }


# ---------------------------------------------------------------- GatewayEvent: WebSocket


def test_a_websocket_event_names_its_connection_route_request_and_user() -> None:
    event = GatewayEvent(websocket_event())
    assert event.connection_id == "L0SM9cOFvHcCIhw="
    assert event.route_key == "message:send"
    assert event.request_id == "req-42"
    assert event.user_id == "alice"
    assert event.body == '{"action":"message:send"}'


def test_a_websocket_event_gives_its_stage_and_management_endpoint() -> None:
    event = GatewayEvent(websocket_event())
    assert event.stage == "prod"
    assert event.domain_name == "abc123.execute-api.eu-west-1.amazonaws.com"
    assert event.management_endpoint == "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"


def test_a_websocket_event_gives_when_and_from_where_the_client_connected() -> None:
    event = GatewayEvent(websocket_event())
    assert event.connected_at == 1795687200123
    assert event.source_ip == "203.0.113.9"


def test_a_disconnect_event_gives_its_reason() -> None:
    event = GatewayEvent(websocket_event(routeKey="$disconnect", disconnectReason="Going away"))
    assert event.disconnect_reason == "Going away"
    assert GatewayEvent(websocket_event()).disconnect_reason is None


def test_a_binary_frame_has_no_body() -> None:
    raw = websocket_event()
    raw["isBase64Encoded"] = True
    assert GatewayEvent(raw).body is None


def test_a_websocket_event_has_no_http_method_or_path() -> None:
    event = GatewayEvent(websocket_event())
    assert (event.http_method, event.http_path) == (None, None)


def test_the_lambda_context_is_kept_as_given() -> None:
    assert GatewayEvent(websocket_event(), CONTEXT).lambda_context is CONTEXT


# ---------------------------------------------------------------- GatewayEvent: HTTP API


def test_an_http_api_event_gives_its_method_path_and_the_authorizers_user() -> None:
    event = GatewayEvent(http_api_event())
    assert (event.http_method, event.http_path) == ("POST", "/chats")
    assert event.user_id == "bob"
    assert event.request_id == "http-req-1"
    assert event.source_ip == "198.51.100.4"
    assert event.connection_id is None


def test_headers_are_read_with_lowercase_names() -> None:
    event = GatewayEvent(http_api_event())
    assert event.headers == {"content-type": "application/json", "x-request-id": "client-7"}


def test_header_values_are_strings_and_missing_headers_are_none() -> None:
    raw = http_api_event()
    raw["headers"] = {"X-Count": 3}
    assert GatewayEvent(raw).headers == {"x-count": "3"}
    raw["headers"] = ["not", "a", "mapping"]
    assert GatewayEvent(raw).headers == {}
    del raw["headers"]
    assert GatewayEvent(raw).headers == {}


def test_an_http_api_event_without_the_authorizer_has_no_user() -> None:
    raw = http_api_event()
    del raw["requestContext"]["authorizer"]
    assert GatewayEvent(raw).user_id is None


def test_the_lambda_authorizers_context_wins_over_a_top_level_user_id() -> None:
    event = GatewayEvent(http_api_event(authorizer={"lambda": {"userId": "bob"}, "userId": "eve"}))
    assert event.user_id == "bob"


def test_an_empty_lambda_authorizer_context_names_nobody() -> None:
    event = GatewayEvent(http_api_event(authorizer={"lambda": {}, "userId": "eve"}))
    assert event.user_id is None


# ---------------------------------------------------------------- GatewayEvent: odd events


@pytest.mark.parametrize("raw", [None, {}, [], "text", 42, {"requestContext": "x"}])
def test_an_event_without_a_request_context_reads_as_empty(raw: Any) -> None:
    event = GatewayEvent(raw)
    assert event.raw == ({} if not isinstance(raw, dict) else raw)
    assert event.context == {}
    for name in (
        "connection_id",
        "route_key",
        "request_id",
        "user_id",
        "connected_at",
        "source_ip",
        "disconnect_reason",
        "body",
        "http_method",
        "http_path",
    ):
        assert getattr(event, name) is None, name
    assert (event.stage, event.domain_name, event.headers) == ("", "", {})
    assert event.management_endpoint == "https:///"


@pytest.mark.parametrize("value", ["", 7, None, ["x"], {"a": 1}])
def test_ids_that_are_not_non_empty_strings_read_as_none(value: Any) -> None:
    event = GatewayEvent(
        websocket_event(
            connectionId=value,
            routeKey=value,
            requestId=value,
            authorizer={"userId": value},
            disconnectReason=value,
            identity={"sourceIp": value},
        )
    )
    assert event.connection_id is None
    assert event.route_key is None
    assert event.request_id is None
    assert event.user_id is None
    assert event.disconnect_reason is None
    assert event.source_ip is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1795687200123, 1795687200123), (1795687200123.9, 1795687200123), (True, None),
     ("1795687200123", None), (None, None)],
)  # fmt: skip
def test_connected_at_is_an_integer_or_none(value: Any, expected: int | None) -> None:
    assert GatewayEvent(websocket_event(connectedAt=value)).connected_at == expected


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_connected_at_that_is_not_a_finite_number_reads_as_none(value: float) -> None:
    assert GatewayEvent(websocket_event(connectedAt=value)).connected_at is None


def test_the_source_ip_falls_back_to_the_http_context() -> None:
    event = GatewayEvent(websocket_event(identity={}, http={"sourceIp": "192.0.2.1"}))
    assert event.source_ip == "192.0.2.1"
    event = GatewayEvent(websocket_event(identity="odd", http="odd"))
    assert event.source_ip is None


@pytest.mark.parametrize("authorizer", ["alice", ["alice"], None, {"lambda": "alice"}])
def test_an_authorizer_context_of_the_wrong_shape_names_nobody(authorizer: Any) -> None:
    assert GatewayEvent(websocket_event(authorizer=authorizer)).user_id is None


@pytest.mark.parametrize("body", [None, 42, {"action": "x"}, b"bytes"])
def test_a_body_that_is_not_text_reads_as_none(body: Any) -> None:
    raw = websocket_event()
    raw["body"] = body
    assert GatewayEvent(raw).body is None


def test_odd_http_contexts_give_no_method_or_path() -> None:
    assert GatewayEvent(http_api_event(http="POST /chats")).http_method is None
    assert GatewayEvent(http_api_event(http={"method": "", "path": 5})).http_path is None


def test_correlation_gives_connection_user_and_request() -> None:
    assert correlation(GatewayEvent(websocket_event())) == {
        "connectionId": "L0SM9cOFvHcCIhw=",
        "userId": "alice",
        "requestId": "req-42",
    }


# ---------------------------------------------------------------- lambda_handler


@pytest.fixture
def lines(capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """The invocation lines written to stderr so far."""

    def read() -> list[dict[str, Any]]:
        found = []
        for line in capsys.readouterr().err.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("msg") == "invocation":
                found.append(record)
        return found

    yield read
    log._current.clear()
    calls.reset()


def failed(event: GatewayEvent) -> tuple[Any, Fields]:
    return {"statusCode": 500, "body": "failed"}, {"status": 500, "error": "internal_error"}


def test_the_handler_returns_what_the_body_answers(lines: Any) -> None:
    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> dict[str, Any]:
        return {"statusCode": 200, "body": event.body}

    assert handler(websocket_event(), CONTEXT) == {
        "statusCode": 200,
        "body": '{"action":"message:send"}',
    }


def test_the_body_gets_the_typed_event_with_the_lambda_context(lines: Any) -> None:
    seen: list[GatewayEvent] = []

    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> None:
        seen.append(event)

    handler(websocket_event(), CONTEXT)
    (event,) = seen
    assert (event.user_id, event.lambda_context) == ("alice", CONTEXT)


def test_one_invocation_line_carries_route_correlation_report_and_aws_calls(lines: Any) -> None:
    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> dict[str, Any]:
        calls.record("dynamodb.Query")
        calls.record("redis.RoundTrip")
        report["action"] = "message:send"
        report["status"] = 200
        return {"statusCode": 200}

    handler(websocket_event(), CONTEXT)
    (line,) = lines()
    assert line["level"] == "INFO"
    assert line["function"] == "switchboard-EventFunction"
    assert line["awsRequestId"] == "lambda-req-1"
    assert line["route"] == "message:send"  # the event's route key
    assert (line["connectionId"], line["userId"], line["requestId"]) == (
        "L0SM9cOFvHcCIhw=",
        "alice",
        "req-42",
    )
    assert (line["action"], line["status"]) == ("message:send", 200)
    assert line["awsCalls"] == {"dynamodb.Query": 1, "redis.RoundTrip": 1}
    assert isinstance(line["latencyMs"], float | int)


def test_each_invocation_counts_only_its_own_calls(lines: Any) -> None:
    calls.record("dynamodb.GetItem")  # before the invocation (e.g. the previous one)

    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> None:
        calls.record("dynamodb.Query")

    handler(websocket_event(), CONTEXT)
    handler(websocket_event(), CONTEXT)
    assert [line["awsCalls"] for line in lines()] == [{"dynamodb.Query": 1}] * 2


def test_the_route_may_be_fixed_or_computed_from_the_event(lines: Any) -> None:
    @lambda_handler(route="sweeper", failure=failed)
    def fixed(event: GatewayEvent, report: Fields) -> None:
        pass

    @lambda_handler(route=lambda event: f"{event.http_method} {event.http_path}", failure=failed)
    def computed(event: GatewayEvent, report: Fields) -> None:
        pass

    fixed({}, CONTEXT)
    computed(http_api_event(), CONTEXT)
    assert [line["route"] for line in lines()] == ["sweeper", "POST /chats"]


def test_the_correlation_fields_may_be_chosen(lines: Any) -> None:
    @lambda_handler(failure=failed, fields=lambda event: {"path": event.http_path})
    def handler(event: GatewayEvent, report: Fields) -> None:
        pass

    handler(http_api_event(), CONTEXT)
    (line,) = lines()
    assert line["path"] == "/chats"
    assert "connectionId" not in line


def test_records_logged_by_the_body_carry_the_correlation_fields(lines: Any) -> None:
    during: list[dict[str, Any]] = []

    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> None:
        during.append(log.current())

    handler(websocket_event(), CONTEXT)
    assert during[0]["connectionId"] == "L0SM9cOFvHcCIhw="
    assert during[0]["route"] == "message:send"
    assert log.current() == {}  # and none once the invocation ended


def test_an_exception_becomes_the_failure_answer_and_is_logged(
    lines: Any, caplog: pytest.LogCaptureFixture
) -> None:
    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> dict[str, Any]:
        report["action"] = "message:send"
        calls.record("dynamodb.PutItem")
        raise RuntimeError("table on fire")

    with caplog.at_level(logging.ERROR, logger="switchboard.invocation"):
        assert handler(websocket_event(), CONTEXT) == {"statusCode": 500, "body": "failed"}
    (line,) = lines()
    assert (line["status"], line["error"], line["level"]) == (500, "internal_error", "ERROR")
    assert line["awsCalls"] == {"dynamodb.PutItem": 1}  # what it cost before failing
    assert "action" not in line  # the failure's fields replace the body's report
    (record,) = [r for r in caplog.records if r.name == "switchboard.invocation"]
    assert record.getMessage() == "message:send failed"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


@pytest.mark.parametrize("error", [KeyError("x"), ValueError("bad"), ZeroDivisionError()])
def test_the_handler_never_raises_what_the_body_raised(lines: Any, error: Exception) -> None:
    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> None:
        raise error

    assert handler(websocket_event(), CONTEXT) == {"statusCode": 500, "body": "failed"}


def test_a_retried_function_logs_its_failure_then_lets_lambda_see_the_exception(
    lines: Any,
) -> None:
    """Asynchronous invocations (the delivery function): Lambda retries what raised."""

    @lambda_handler(failure=failed, route="delivery", retried=True)
    def handler(event: GatewayEvent, report: Fields) -> None:
        calls.record("lambda.Invoke")
        raise RuntimeError("batch failed")

    with pytest.raises(RuntimeError, match="batch failed"):
        handler({}, CONTEXT)
    (line,) = lines()
    assert (line["route"], line["error"], line["awsCalls"]) == (
        "delivery",
        "internal_error",
        {"lambda.Invoke": 1},
    )


@pytest.mark.parametrize("raw", [None, {}, {"requestContext": None}, ["odd"]])
def test_an_odd_event_still_gets_an_invocation_line(
    lines: Any, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)

    @lambda_handler(failure=failed)
    def handler(event: GatewayEvent, report: Fields) -> str:
        return "ok"

    assert handler(raw, None) == "ok"
    (line,) = lines()
    assert line["function"] == "unknown"  # no context, no Lambda environment
    assert "route" not in line
    assert line["awsCalls"] == {}


def test_the_failure_answer_sees_the_event(lines: Any) -> None:
    def failure(event: GatewayEvent) -> tuple[str, Fields]:
        return f"failed {event.connection_id}", {"outcome": "error"}

    @lambda_handler(failure=failure)
    def handler(event: GatewayEvent, report: Fields) -> str:
        raise RuntimeError

    assert handler(websocket_event(), CONTEXT) == "failed L0SM9cOFvHcCIhw="
    (line,) = lines()
    assert line["outcome"] == "error"


def test_the_handler_keeps_the_bodys_name(lines: Any) -> None:
    @lambda_handler(failure=failed)
    def my_body(event: GatewayEvent, report: Fields) -> None:
        """Docs."""

    assert (my_body.__name__, my_body.__doc__) == ("my_body", "Docs.")
