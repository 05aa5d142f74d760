"""The wire protocol's parsing rules: what a client frame may and may not be."""

from __future__ import annotations

import json

import pytest

from shared.protocol import (
    ACTION_FIELDS,
    MAX_BODY_CHARS,
    MAX_FRAME_BYTES,
    Action,
    ErrorCode,
    Event,
    Peek,
    ProtocolError,
    error_frame,
    frame,
    is_id,
    parse_request,
    peek,
)


def peek_id(body: str) -> object:
    return peek(body).request_id


def send(data: object, request_id: object = "r1") -> str:
    return json.dumps({"action": "message:send", "requestId": request_id, "data": data})


def test_a_valid_send_parses() -> None:
    request = parse_request(send({"chatId": "c1", "body": "hello", "clientMessageId": "m1"}))
    assert request.action is Action.MESSAGE_SEND
    assert request.request_id == "r1"
    assert request.data == {"chatId": "c1", "body": "hello", "clientMessageId": "m1"}


def test_hello_needs_no_data() -> None:
    assert parse_request('{"action": "hello"}').action is Action.HELLO


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", ErrorCode.BAD_REQUEST),
        ("   ", ErrorCode.BAD_REQUEST),
        ("{not json", ErrorCode.BAD_REQUEST),
        ("[1, 2]", ErrorCode.BAD_REQUEST),
        ('"text"', ErrorCode.BAD_REQUEST),
        ("null", ErrorCode.BAD_REQUEST),
        ('{"data": {}}', ErrorCode.BAD_REQUEST),
        ('{"action": 7}', ErrorCode.BAD_REQUEST),
        ('{"action": "nope"}', ErrorCode.UNKNOWN_ACTION),
        ('{"action": "hello", "extra": 1}', ErrorCode.BAD_REQUEST),
        ('{"action": "hello", "data": []}', ErrorCode.BAD_REQUEST),
        ('{"action": "hello", "requestId": true}', ErrorCode.BAD_REQUEST),
        ('{"action": "hello", "requestId": {"a": 1}}', ErrorCode.BAD_REQUEST),
        ('{"action": "hello", "requestId": ""}', ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "attachments": "a1"}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "attachments": ["a/1"]}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "attachments": ["a"] * 21}), ErrorCode.BAD_REQUEST),
        (send({"body": "x"}), ErrorCode.BAD_REQUEST),
        (send({"chatId": 5, "body": "x"}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "body": ["x"]}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "body": "   "}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "body": "x" * (MAX_BODY_CHARS + 1)}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "body": "bell\x07"}), ErrorCode.BAD_REQUEST),
        (
            '{"action": "message:send", "data": {"chatId": "c", "body": "\\ud800"}}',
            ErrorCode.BAD_REQUEST,
        ),
        (send({"chatId": "c 1", "body": "x"}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c" * 129, "body": "x"}), ErrorCode.BAD_REQUEST),
        (send({"chatId": "c1", "body": "x", "senderId": "mallory"}), ErrorCode.BAD_REQUEST),
        ("[" * 100_000 + "]" * 100_000, ErrorCode.BAD_REQUEST),
        ('{"action": "hello", "pad": "' + "x" * MAX_FRAME_BYTES + '"}', ErrorCode.BAD_REQUEST),
    ],
)
def test_bad_frames_are_refused_with_a_code(raw: str, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_request(raw)
    assert caught.value.code is code
    assert caught.value.message


def test_the_body_may_hold_newlines_tabs_and_any_language() -> None:
    body = "line one\n\tline two — 你好 🎉"
    assert parse_request(send({"chatId": "c1", "body": body})).data["body"] == body


def test_request_ids_may_be_strings_or_integers_and_errors_echo_them() -> None:
    assert parse_request('{"action": "hello", "requestId": 42}').request_id == 42
    assert peek_id('{"action": "nope", "requestId": "r9"}') == "r9"
    assert peek_id('{"requestId": [1]}') is None
    assert peek_id("garbage") is None
    assert peek('{"action": "message:send", "requestId": 7}') == Peek("message:send", 7)
    assert peek('{"action": "rm -rf"}').action is None


def test_frames_are_compact_json_with_event_requestid_and_data() -> None:
    assert json.loads(frame(Event.ACK, {"id": "1"}, "r1")) == {
        "event": "ack",
        "requestId": "r1",
        "data": {"id": "1"},
    }
    assert json.loads(error_frame(ErrorCode.FORBIDDEN, "no")) == {
        "event": "error",
        "data": {"code": "forbidden", "message": "no"},
    }


# ---------------------------------------------------------------- identifiers, whole

# Each looks like a valid id to a human and is a different key to every table.
NOT_IDS = {
    "trailing LF": "eve\n",
    "trailing CRLF": "eve\r\n",
    "NUL": "eve\x00",
    "Cyrillic e": "\u0435ve",
    "fullwidth digit": "eve\uff11",
    "leading LF": "\neve",
    "empty": "",
    "too long": "e" * 129,
}


@pytest.mark.parametrize("bad", NOT_IDS.values(), ids=list(NOT_IDS))
def test_is_id_matches_the_whole_string(bad: str) -> None:
    assert is_id("eve") and is_id("e" * 128)
    assert not is_id(bad)


ID_POSITIONS = [
    (action, name)
    for action, fields in ACTION_FIELDS.items()
    for name, spec in fields.items()
    if spec.resolved_kind == "id"
]


@pytest.mark.parametrize("bad", NOT_IDS.values(), ids=list(NOT_IDS))
@pytest.mark.parametrize(
    ("action", "name"), ID_POSITIONS, ids=[f"{a}.{n}" for a, n in ID_POSITIONS]
)
def test_every_id_field_refuses_a_near_id(action: Action, name: str, bad: str) -> None:
    data = {
        n: ("hello" if spec.resolved_kind == "text" else "x")
        for n, spec in ACTION_FIELDS[action].items()
    }
    data[name] = bad
    with pytest.raises(ProtocolError) as refused:
        parse_request(json.dumps({"action": action.value, "requestId": "r1", "data": data}))
    assert refused.value.code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("bad", NOT_IDS.values(), ids=list(NOT_IDS))
def test_sync_chat_ids_and_request_ids_refuse_a_near_id(bad: str) -> None:
    for chats in ({bad: None}, {"c1": bad}):
        with pytest.raises(ProtocolError):
            parse_request(json.dumps({"action": "sync", "data": {"chats": chats}}))
    with pytest.raises(ProtocolError):
        parse_request(json.dumps({"action": "hello", "requestId": bad}))
    assert peek_id(json.dumps({"action": "hello", "requestId": bad})) is None
