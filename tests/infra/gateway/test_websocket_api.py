"""The WebSocket API: handshake, event shapes, routing, route responses, limits."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from infra.emulator import Emulator
from tests.infra.support import Recorder, new_tag, open_socket, refused_status


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 401),  # identity source missing: the authorizer is not even invoked
        ("token=bad", 403),  # Deny policy
        ("token=raise", 401),  # raise Exception("Unauthorized")
        ("token=crash", 500),  # any other authorizer failure
    ],
)
def test_authorizer_refusals(
    emulator: Emulator, recorder: Recorder, query: str, status: int
) -> None:
    tag = new_tag()
    assert refused_status(emulator, f"{query}&tag={tag}") == status
    assert not [
        e
        for e in recorder.events("$connect")
        if (e.get("queryStringParameters") or {}).get("tag") == tag
    ]


def test_connect_handler_can_refuse(emulator: Emulator) -> None:
    assert refused_status(emulator, f"token=good&reject=403&tag={new_tag()}") == 403


def test_subprotocol_only_when_connect_returns_it(emulator: Emulator) -> None:
    url = f"{emulator.websocket_url}?token=good&proto=chat.v1"
    with connect(url, subprotocols=["chat.v1"], open_timeout=15) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat.v1"


def test_event_shapes(emulator: Emulator, recorder: Recorder) -> None:
    tag = new_tag()
    with open_socket(emulator, tag=tag) as ws:
        connect_event = recorder.connect_event(tag)
        ctx = connect_event["requestContext"]
        conn_id = ctx["connectionId"]
        assert ctx["eventType"] == "CONNECT" and ctx["routeKey"] == "$connect"
        assert ctx["domainName"] == f"127.0.0.1:{emulator.tls_port}"
        assert ctx["stage"] == "local" and ctx["messageDirection"] == "IN"
        assert ctx["authorizer"] == {"userId": "user-1", "role": "tester", "principalId": "user-1"}
        for key in (
            "extendedRequestId",
            "requestTime",
            "connectedAt",
            "requestTimeEpoch",
            "requestId",
            "apiId",
            "identity",
        ):
            assert key in ctx
        assert "messageId" not in ctx
        assert ctx["requestTime"].endswith(" +0000")
        assert ctx["identity"]["sourceIp"] == "127.0.0.1"
        assert connect_event["queryStringParameters"]["token"] == "good"
        assert connect_event["multiValueQueryStringParameters"]["tag"] == [tag]
        assert "Sec-WebSocket-Key" in connect_event["headers"]

        ws.send("plain text")
        ws.recv(timeout=10)
        ws.recv(timeout=10)
        message = recorder.for_connection("$default", conn_id)
        mctx = message["requestContext"]
        assert message["body"] == "plain text" and message["isBase64Encoded"] is False
        assert mctx["eventType"] == "MESSAGE" and "messageId" in mctx
        assert mctx["connectedAt"] == ctx["connectedAt"]
        assert mctx["authorizer"]["principalId"] == "user-1"
        assert "headers" not in message and "queryStringParameters" not in message
        ws.close(code=4000, reason="bye")
    gone = recorder.for_connection("$disconnect", conn_id)["requestContext"]
    assert gone["eventType"] == "DISCONNECT"
    assert gone["disconnectStatusCode"] == 4000 and gone["disconnectReason"] == "bye"
    assert gone["authorizer"]["userId"] == "user-1"


def test_route_selection_and_route_responses(emulator: Emulator) -> None:
    with open_socket(emulator) as ws:
        # `count` has a route response: the function's body comes back.
        ws.send(json.dumps({"action": "count"}))
        assert "count" in json.loads(ws.recv(timeout=10))
        # Unknown action and non-JSON frames go to $default (echo + route response).
        for frame in (json.dumps({"action": "nope"}), "not json"):
            ws.send(frame)
            replies = sorted([ws.recv(timeout=10), ws.recv(timeout=10)])
            assert json.loads(replies[0]) == {"posted": frame}
            assert json.loads(replies[1]) == {"routeKey": "$default", "echo": frame}
        # `echo` has no route response: only the Management API post arrives.
        frame = json.dumps({"action": "echo", "n": 1})
        ws.send(frame)
        assert json.loads(ws.recv(timeout=10)) == {"posted": frame}
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.7)


def test_integration_errors(emulator: Emulator) -> None:
    with open_socket(emulator) as ws:
        for action in ("boom", "slow"):  # an exception, and a 1 s timeout
            ws.send(json.dumps({"action": action}))
            reply = json.loads(ws.recv(timeout=10))
            assert reply["message"] == "Internal server error"
            assert reply["connectionId"] and reply["requestId"]


@pytest.mark.parametrize(("payload", "code"), [("x" * (128 * 1024 + 1), 1009), (b"\x00\x01", 1003)])
def test_frame_limits(
    emulator: Emulator, recorder: Recorder, payload: str | bytes, code: int
) -> None:
    tag = new_tag()
    with open_socket(emulator, tag=tag) as ws:
        conn_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        ws.send(payload)
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd is not None and info.value.rcvd.code == code
    event = recorder.for_connection("$disconnect", conn_id)
    assert event["requestContext"]["disconnectStatusCode"] == code


def test_warm_module_state(emulator: Emulator) -> None:
    with open_socket(emulator) as ws:
        ws.send(json.dumps({"action": "count"}))
        first = json.loads(ws.recv(timeout=10))
        ws.send(json.dumps({"action": "count"}))
        second = json.loads(ws.recv(timeout=10))
    assert second["count"] == first["count"] + 1
    assert second["pid"] == first["pid"]
    assert first["greeting"] == "from-layer"
