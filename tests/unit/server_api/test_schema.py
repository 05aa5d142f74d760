"""shared.server_api.schema: what a server API call may say, and the coded refusal of
everything else (unknown commands, missing, extra or mistyped args, oversized data,
application events that would impersonate Switchboard's own)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import errors
from shared.protocol import ErrorCode, ProtocolError
from shared.server_api.schema import (
    COMMAND_ARGS,
    MAX_CALL_BYTES,
    MAX_DATA_BYTES,
    RESERVED_NAMESPACES,
    Call,
    Command,
    check_event_name,
    code_of,
    parse_body,
    parse_call,
)


def refusal(payload: Any) -> tuple[str, str]:
    with pytest.raises(errors.DomainError) as raised:
        parse_call(payload)
    return code_of(raised.value), raised.value.message


def test_every_command_has_an_argument_table() -> None:
    assert set(COMMAND_ARGS) == set(Command)


def test_a_valid_call_parses_to_its_command_and_clean_args() -> None:
    call = parse_call(
        {
            "command": "broadcastToChat",
            "args": {"chatId": "c1", "event": "order:shipped", "data": {"id": 7}},
        }
    )
    assert call == Call(
        Command.BROADCAST_TO_CHAT,
        {"chatId": "c1", "event": "order:shipped", "data": {"id": 7}},
    )


def test_args_may_be_left_out_when_the_command_takes_none() -> None:
    assert parse_call({"command": "getStats"}) == Call(Command.GET_STATS, {})


def test_an_unknown_command_is_unknown_command() -> None:
    assert refusal({"command": "dropTables", "args": {}}) == (
        "unknown_command",
        "unknown command 'dropTables'",
    )


def call(command: str, **args: Any) -> dict[str, Any]:
    return {"command": command, "args": args}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "the payload must be a JSON object"),
        ("getStats", "the payload must be a JSON object"),
        ({}, "command is required"),
        ({"command": 7}, "command must be a string"),
        ({"command": "getStats", "args": []}, "args must be an object"),
        ({"command": "getStats", "extra": 1}, "unexpected field extra"),
        (call("getStats", x=1), "unexpected field args.x"),
        (call("isUserOnline"), "args.userId is required"),
        (call("isUserOnline", userId=7), "args.userId must be a string"),
        (call("isUserOnline", userId="a b"), "args.userId must be"),
        (call("sendToUser", userId="u", event="x:y"), "args.data is"),
        (
            call("addUserToChat", chatId="c", userId="u", role="god"),
            "args.role must be one of member, admin",
        ),
        (call("createChat", createdBy="u", members=[]), "args.members must be a list of 1-100"),
        (call("createChat", createdBy="u", members=["a", 1]), "args.members must be"),
        (call("sendMessage", chatId="c", senderId="b", body="  "), "args.body must not be empty"),
        (
            call("sendMessage", chatId="c", senderId="b", body="x" * 4001),
            "args.body is longer than 4000",
        ),
    ],
)
def test_malformed_calls_are_bad_requests_that_say_what_is_wrong(
    payload: Any, message: str
) -> None:
    code, said = refusal(payload)
    assert code == "bad_request"
    assert said.startswith(message)


@pytest.mark.parametrize(
    "name", ["order:shipped", "billing.invoice-paid", "game:turn:3", "x", "a" * 64]
)
def test_application_event_names_of_the_documented_form_pass(name: str) -> None:
    assert check_event_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "Order", "1st", ":x", "x:", "x::y", "a b", "é", "a" * 65, "x\n", None, 3, ["x"]],
)
def test_malformed_application_event_names_are_refused(name: Any) -> None:
    with pytest.raises(ProtocolError) as raised:
        check_event_name(name)
    assert raised.value.code is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("namespace", sorted(RESERVED_NAMESPACES))
def test_application_events_may_not_impersonate_switchboards_own(namespace: str) -> None:
    for name in (namespace, f"{namespace}:new"):
        with pytest.raises(ProtocolError, match="namespace"):
            check_event_name(name)


def test_data_over_the_limit_is_too_large_and_at_the_limit_passes() -> None:
    def call(data: str) -> dict[str, Any]:
        return {"command": "broadcast", "args": {"event": "news", "data": data}}

    at_limit = "x" * (MAX_DATA_BYTES - 2)  # the two quotes make the limit
    assert parse_call(call(at_limit)).args["data"] == at_limit
    with pytest.raises(errors.TooLarge):
        parse_call(call(at_limit + "x"))


def test_data_that_is_not_json_is_refused() -> None:
    code, message = refusal(
        {"command": "broadcast", "args": {"event": "news", "data": float("nan")}}
    )
    assert (code, message) == ("bad_request", "args.data is not valid JSON")


def test_a_payload_over_the_call_limit_is_too_large_before_anything_else() -> None:
    with pytest.raises(errors.TooLarge):
        parse_call({"command": "getStats", "args": {"pad": "x" * MAX_CALL_BYTES}})


# ---------------------------------------------------------------- the HTTP path


def test_the_http_body_is_the_args_and_an_empty_body_is_none() -> None:
    body = json.dumps({"userId": "u1"})
    assert parse_body("isUserOnline", body) == Call(Command.IS_USER_ONLINE, {"userId": "u1"})
    assert parse_body("getStats", "") == Call(Command.GET_STATS, {})
    assert parse_body("getStats", None) == Call(Command.GET_STATS, {})


@pytest.mark.parametrize(
    ("command", "body", "code"),
    [
        ("nope", "{}", "unknown_command"),
        ("isUserOnline", "{", "bad_request"),
        ("isUserOnline", "[]", "bad_request"),
        ("isUserOnline", '"u1"', "bad_request"),
        ("getStats", "x" * (MAX_CALL_BYTES + 1), "bad_request"),
    ],
)
def test_bad_http_calls_are_refused_with_a_code(command: str, body: str, code: str) -> None:
    with pytest.raises(errors.DomainError) as raised:
        parse_body(command, body)
    assert code_of(raised.value) == code
