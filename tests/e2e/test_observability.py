"""Operations through the emulator: every invocation logs one JSON line with its
correlation fields and writes one EMF document; no log line ever holds a token."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.unit.observability.test_metrics import assert_valid_emf
from tests.waits import TIMEOUT
from tests.wsclient import ChatClient

CORRELATION = (
    "function",
    "awsRequestId",
    "route",
    "connectionId",
    "userId",
    "requestId",
    "clientRequestId",
    "latencyMs",
    "cpuMs",
)


class Captured(logging.Handler):
    """Every record logged in the test process (the emulator relays the functions' output
    through the "switchboard.lambda" logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._lock:
            self.texts.append(text)

    def documents(self) -> list[dict[str, Any]]:
        """The JSON documents the functions wrote (log lines and EMF documents)."""
        found = []
        with self._lock:
            texts = list(self.texts)
        for text in texts:
            start = text.find("{")
            if start < 0:
                continue
            try:
                found.append(json.loads(text[start:]))
            except ValueError:
                continue
        return found

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
    ) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for doc in self.documents():
                if predicate(doc):
                    return doc
            time.sleep(0.05)
        raise AssertionError(f"no matching log document within {timeout}s")

    def invocation(self, **match: Any) -> dict[str, Any]:
        return self.wait_for(
            lambda d: d.get("msg") == "invocation" and all(d.get(k) == v for k, v in match.items())
        )

    def emf(self, aws_request_id: str) -> dict[str, Any]:
        return self.wait_for(lambda d: "_aws" in d and d.get("awsRequestId") == aws_request_id)


@pytest.fixture
def captured(emulator: Any) -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    switchboard = logging.getLogger("switchboard")
    levels = (root.level, switchboard.level)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    switchboard.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        switchboard.setLevel(levels[1])


def test_a_message_send_logs_its_correlation_fields_and_its_metrics(
    captured: Captured,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    sender, bobs_phone, bobs_laptop = connect(alice), connect(bob), connect(bob)

    request_id = sender.send("message:send", {"chatId": chat_id, "body": "hi"})
    ack = sender.wait(lambda f: f.get("requestId") == request_id)
    assert ack["event"] == "ack"
    for device in (bobs_phone, bobs_laptop):
        device.wait_event("message:new")

    line = captured.invocation(route="message:send", userId=alice, clientRequestId=request_id)
    for field in CORRELATION:
        assert line.get(field) not in (None, ""), field
    assert line["level"] == "INFO"
    assert line["action"] == "message:send"
    assert line["fanout"] == {"delivered": 2, "gone": 0, "failed": 0}
    assert line["awsCalls"]

    doc = captured.emf(line["awsRequestId"])
    assert_valid_emf(doc)
    dimensions = doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    assert dimensions == [["Function"], ["Function", "Route"]]
    assert doc["Function"] == line["function"]
    assert doc["Route"] == "message:send"
    assert doc["MessagesSent"] == 1
    assert doc["FanoutSize"] == 2
    assert doc["Delivered"] == 2
    assert (doc["Gone"], doc["FanoutFailures"], doc["Errors"]) == (0, 0, 0)
    assert doc["HandlerLatency"] >= 0


def test_no_log_line_holds_a_token(
    captured: Captured, emulator: Any, create_chat: Callable[..., str], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    token = emulator.token(alice)
    claims = {"sub": bob, "exp": int(time.time()) + 60}
    forged = jwt.encode(claims, "not-the-secret-of-this-deployment-at-all", "HS256")

    with ChatClient(emulator.websocket_url, token) as client:
        client.request("hello")
    with pytest.raises(Exception):  # noqa: B017 - the handshake is refused (403)
        ChatClient(emulator.websocket_url, forged)
    response = httpx.get(
        emulator.rest_url + "/chats", headers={"authorization": f"Bearer {token}"}, timeout=15
    )
    assert response.status_code == 200
    refused = httpx.get(
        emulator.rest_url + "/chats", headers={"authorization": f"Bearer {forged}"}, timeout=15
    )
    assert refused.status_code == 403  # the HTTP API's authorizer refused it

    allowed = captured.invocation(route="$authorizer", userId=alice, outcome="allow")
    denied = captured.wait_for(
        lambda d: (
            d.get("route") == "$authorizer"
            and d.get("outcome") == "deny"
            and "signature" in str(d.get("reason")).lower()
        )
    )
    captured.invocation(route="GET /chats", userId=alice, status=200)
    captured.invocation(route="$authorizer:http", userId=alice, outcome="allow")
    captured.invocation(route="$authorizer:http", outcome="deny")  # GET /chats never ran
    captured.invocation(route="$disconnect", userId=alice)
    assert allowed["connectionId"] and denied["level"] == "WARNING"

    texts = list(captured.texts)
    assert texts, "the emulator logged nothing"
    for secret in (token, forged, token.split(".")[2], forged.split(".")[2]):
        leaks = [text for text in texts if secret in text]
        assert leaks == [], leaks


def test_a_malformed_frame_counts_as_an_error(
    captured: Captured, connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    alice = user("alice")
    client = connect(alice)
    connected = captured.invocation(route="$connect", userId=alice)

    client.send_raw("this is not json")
    assert client.wait_event("error")["data"]["code"] == "bad_request"

    line = captured.invocation(connectionId=connected["connectionId"], error="bad_request")
    assert line["level"] == "WARNING"
    doc = captured.emf(line["awsRequestId"])
    assert_valid_emf(doc)
    assert doc["Errors"] == 1
    assert doc["Route"] == line["route"]
    assert "MessagesSent" not in doc
