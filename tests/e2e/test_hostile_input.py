"""Bad input, every action, through the emulator: each gets the documented `error` with a
code, nothing is written, and the connection keeps working."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from shared.protocol import ACTION_FIELDS, MAX_FRAME_BYTES, Action, ErrorCode
from tests.tables import stored_messages
from tests.wsclient import ChatClient

CODES = {ErrorCode.BAD_REQUEST.value, ErrorCode.UNKNOWN_ACTION.value}


def bad_data_for(action: Action) -> list[Any]:
    """Malformed `data` for an action: wrong shapes, missing, extra, mistyped, too long."""
    fields = ACTION_FIELDS[action]
    cases: list[Any] = ["text", 5, [], None if fields else "x", {"unexpected": "field"}]
    for name in fields:
        valid = {n: "x" for n in fields}
        kind = fields[name].resolved_kind
        for bad in (7, 1.5, True, ["x"], {"x": 1}, "", " ", "\x00", "a" * 5000, "\ud800"):
            # Good values of some kinds: a list of ids, a boolean, an object.
            if (kind, type(bad)) in (("id_list", list), ("bool", bool), ("json_object", dict)):
                continue
            cases.append({**valid, name: bad})
        if fields[name].required:
            cases.append({n: "x" for n in fields if n != name})
    cases.append({"nested": [[[[[[[[[[["deep"]]]]]]]]]]]})
    return [case for case in cases if case is not None]


def frames() -> list[tuple[str, str]]:
    """(label, raw frame) pairs: every action with bad data, and bad envelopes."""
    out = [
        ("empty", ""),
        ("whitespace", "   \n\t"),
        ("not json", "{nope"),
        ("json array", "[1, 2]"),
        ("json string", '"hello"'),
        ("json number", "42"),
        ("json null", "null"),
        ("no action", '{"requestId": "r"}'),
        ("action not a string", '{"action": 7, "requestId": "r"}'),
        ("unknown action", '{"action": "rm -rf", "requestId": "r"}'),
        ("extra envelope field", '{"action": "hello", "requestId": "r", "x": 1}'),
        ("deeply nested", '{"action": "hello", "data": ' + "[" * 5000 + "]" * 5000 + "}"),
        ("lone surrogate action", '{"action": "\\ud800", "requestId": "r"}'),
    ]
    for request_id in ("true", "1.5", "[]", "{}", '""', '"' + "r" * 129 + '"', str(2**60)):
        out.append(
            (f"requestId {request_id[:12]}", f'{{"action": "hello", "requestId": {request_id}}}')
        )
    # Not the keep-alive: API Gateway answers "ping" itself, with nothing.
    for action in (a for a in Action if a is not Action.PING):
        for data in bad_data_for(action):
            raw = json.dumps({"action": action.value, "requestId": "bad", "data": data})
            out.append((f"{action.value} {json.dumps(data)[:40]}", raw))
    return out


def test_every_bad_frame_gets_a_coded_error_and_the_connection_keeps_working(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    client = connect(alice)
    failures = []
    cases = frames()
    for label, raw in cases:
        client.send_raw(raw)
        reply = client.wait(lambda f: f.get("event") in ("error", "ack", "connection:success"))
        code = (reply.get("data") or {}).get("code")
        if reply.get("event") != "error" or code not in CODES or not reply["data"]["message"]:
            failures.append((label, reply))
    assert failures == [], failures[:5]
    assert len(cases) > 200
    assert stored_messages(dynamodb, tables, chat_id) == []
    assert client.request("hello")["event"] == "connection:success"


def test_a_frame_of_exactly_128_kb_is_answered_and_one_over_closes_with_1009(
    connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    client = connect(user("alice"))
    envelope = '{"action": "hello", "requestId": "big", "pad": "%s"}'
    at_limit = envelope % ("x" * (MAX_FRAME_BYTES - len(envelope % "")))
    assert len(at_limit.encode()) == MAX_FRAME_BYTES
    client.send_raw(at_limit)
    assert client.wait(lambda f: f.get("requestId") == "big")["data"]["code"] == "bad_request"
    client.send_raw(at_limit + "x")
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_a_binary_frame_closes_with_1003(
    connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    client = connect(user("alice"))
    client.send_raw(b'{"action": "hello"}')
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
