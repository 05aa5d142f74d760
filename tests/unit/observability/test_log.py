"""shared.log: JSON lines with correlation fields, redaction of tokens and secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from shared.delivery.fanout import FanoutResult
from shared.observability import log

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
CONTEXT = SimpleNamespace(aws_request_id="lambda-req-1", function_name="switchboard-EventFunction")


class Streams:
    """What the code under test printed: stdout (EMF) and stderr (invocation lines)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.out = ""
        self.err = ""

    def read(self) -> tuple[str, str]:
        captured = self.capsys.readouterr()
        self.out += captured.out
        self.err += captured.err
        return self.out, self.err


@pytest.fixture
def streams(capsys: pytest.CaptureFixture[str]) -> Iterator[Streams]:
    yield Streams(capsys)
    log._current.clear()


@pytest.fixture
def records() -> Iterator[io.StringIO]:
    """A logger whose records are formatted by log.JsonFormatter into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(log.JsonFormatter())
    logger = logging.getLogger("switchboard.test-log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield buffer
    logger.removeHandler(handler)
    logger.propagate = True


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line]


def test_redact_text_masks_jwts_bearer_credentials_and_token_parameters() -> None:
    text = f"token {JWT}; Authorization: Bearer opaque-123; GET /?a=1&token=abc.def&b=2"
    redacted = log.redact_text(text)
    assert JWT not in redacted
    assert "opaque-123" not in redacted
    assert "abc.def" not in redacted
    assert redacted == (
        "token [REDACTED]; Authorization: Bearer [REDACTED]; GET /?a=1&token=[REDACTED]&b=2"
    )


def test_an_unsigned_jwt_is_masked_too() -> None:
    unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
    assert log.redact_text(f"x {unsigned} y") == "x [REDACTED] y"


def test_redact_masks_values_under_sensitive_keys_at_any_depth() -> None:
    value = {
        "queryStringParameters": {"token": "not-a-jwt"},
        "headers": {"Authorization": "Basic dXNlcjpwYXNz", "X-Api-Key": "k", "host": "h"},
        "config": {"jwtSecret": "s3cr3t", "db_password": "p", "session-cookie": "c"},
        "awsCalls": {"sts.GetSessionToken": 2},
        "list": [JWT, {"accessToken": "t"}],
        "userId": "alice",
    }
    assert log.redact(value) == {
        "queryStringParameters": {"token": "[REDACTED]"},
        "headers": {"Authorization": "[REDACTED]", "X-Api-Key": "[REDACTED]", "host": "h"},
        "config": {
            "jwtSecret": "[REDACTED]",
            "db_password": "[REDACTED]",
            "session-cookie": "[REDACTED]",
        },
        "awsCalls": {"sts.GetSessionToken": 2},
        "list": ["[REDACTED]", {"accessToken": "[REDACTED]"}],
        "userId": "alice",
    }


def test_the_invocation_line_has_every_correlation_field(
    streams: Streams,
) -> None:
    invocation = log.begin(
        CONTEXT,
        route="message:send",
        connectionId="conn-1",
        userId="alice",
        requestId="apigw-1",
        clientRequestId="r1",
    )
    invocation.bind(action="message:send")
    record = invocation.finish(fanout=FanoutResult(delivered=2), awsCalls={"dynamodb.Query": 1})
    out, err = streams.read()
    [line] = lines(err)
    assert err.startswith('{"level"')
    assert line == record
    assert line["level"] == "INFO"
    assert line["msg"] == "invocation"
    assert line["function"] == "switchboard-EventFunction"
    assert line["awsRequestId"] == "lambda-req-1"
    assert line["route"] == "message:send"
    assert line["connectionId"] == "conn-1"
    assert line["userId"] == "alice"
    assert line["requestId"] == "apigw-1"
    assert line["clientRequestId"] == "r1"
    assert line["action"] == "message:send"
    assert isinstance(line["latencyMs"], float)
    assert isinstance(line["cpuMs"], float) and line["cpuMs"] >= 0
    assert line["fanout"] == {"delivered": 2, "gone": 0, "failed": 0}
    assert line["awsCalls"] == {"dynamodb.Query": 1}
    assert log.current() == {}, "finish closes the invocation"


def test_finish_writes_one_emf_document_on_stdout(
    streams: Streams,
) -> None:
    invocation = log.begin(CONTEXT, route="message:send", requestId="apigw-1")
    invocation.finish(action="message:send", fanout={"delivered": 1, "gone": 1, "failed": 0})
    out, err = streams.read()
    [doc] = lines(out)
    assert doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Switchboard"
    assert doc["Function"] == "switchboard-EventFunction"
    assert doc["Route"] == "message:send"
    assert doc["MessagesSent"] == 1
    assert (doc["FanoutSize"], doc["Delivered"], doc["Gone"], doc["FanoutFailures"]) == (2, 1, 1, 0)
    assert doc["Errors"] == 0
    assert doc["awsRequestId"] == "lambda-req-1"


@pytest.mark.parametrize(
    ("fields", "level", "errors"),
    [
        ({"status": 200}, "INFO", 0),
        ({"status": 404}, "WARNING", 1),
        ({"status": 500}, "ERROR", 1),
        ({"error": "bad_request"}, "WARNING", 1),
        ({"error": "internal_error"}, "ERROR", 1),
        ({"outcome": "deny"}, "WARNING", 1),
        ({"outcome": "error"}, "ERROR", 1),
        ({"outcome": "allow"}, "INFO", 0),
    ],
)
def test_error_answers_count_as_errors(
    streams: Streams, fields: dict[str, Any], level: str, errors: int
) -> None:
    log.begin(CONTEXT, route="r").finish(**fields)
    out, err = streams.read()
    assert lines(err)[0]["level"] == level
    assert lines(out)[0]["Errors"] == errors


def test_a_duplicate_send_that_fanned_out_nothing_is_not_a_message_sent(
    streams: Streams,
) -> None:
    log.begin(CONTEXT, route="message:send").finish(action="message:send")
    out, err = streams.read()
    [doc] = lines(out)
    assert "MessagesSent" not in doc
    assert "FanoutSize" not in doc


def test_no_invocation_line_contains_a_token(streams: Streams) -> None:
    invocation = log.begin(CONTEXT, route="$authorizer", requestId="r")
    invocation.finish(
        outcome="deny",
        reason=f"bad token {JWT}",
        token=JWT,
        headers={"authorization": f"Bearer {JWT}"},
    )
    out, err = streams.read()
    assert JWT not in err
    assert JWT not in out
    line = lines(err)[0]
    assert line["token"] == "[REDACTED]"
    assert line["headers"] == {"authorization": "[REDACTED]"}


def test_records_are_json_with_the_current_correlation_fields(
    streams: Streams, records: io.StringIO
) -> None:
    logger = logging.getLogger("switchboard.test-log")
    invocation = log.begin(CONTEXT, route="message:send", connectionId="conn-1", userId="alice")
    try:
        raise ValueError(f"boom with {JWT}")
    except ValueError:
        logger.exception("action failed for %s", JWT)
    invocation.finish()
    logger.info("between invocations")
    first, second = lines(records.getvalue())
    assert first["level"] == "ERROR"
    assert first["msg"] == "action failed for [REDACTED]"
    assert first["logger"] == "switchboard.test-log"
    assert first["connectionId"] == "conn-1"
    assert first["userId"] == "alice"
    assert first["awsRequestId"] == "lambda-req-1"
    assert first["route"] == "message:send"
    assert first["errorType"] == "ValueError"
    assert "Traceback" in first["stackTrace"]
    assert JWT not in records.getvalue()
    assert "\n" not in records.getvalue().splitlines()[0]
    assert second["msg"] == "between invocations"
    assert "connectionId" not in second


def test_bind_outside_an_invocation_does_nothing(
    streams: Streams,
) -> None:
    log.bind(userId="alice")
    assert log.current() == {}


def test_client_request_ids_are_logged_only_when_short_and_printable() -> None:
    assert log.client_request_id("r1") == "r1"
    assert log.client_request_id(7) == 7
    assert log.client_request_id(True) is None
    assert log.client_request_id("x" * 500) is None
    assert log.client_request_id("a\nb") is None
    assert log.client_request_id(None) is None


def test_rest_routes_are_templates_without_ids() -> None:
    from shared.rest.app import app

    assert log.rest_route(app, "GET", "/chats") == "GET /chats"
    assert log.rest_route(app, "get", "/chats/abc123/messages") == "GET /chats/{chat_id}/messages"
    assert log.rest_route(app, "DELETE", "/chats") == "DELETE /chats"
    assert log.rest_route(app, "GET", "/nope/123") == "GET (unmatched)"
