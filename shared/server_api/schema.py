"""The server API's contract: command names, their arguments, application event names.

Declared once here and documented in docs/server-api.md. A call is
``{"command": "<name>", "args": {...}}`` (a Lambda invocation's payload) or
``POST /server/<name>`` with the args as the JSON body (the HTTP API, under
AWS_IAM). Arguments are checked with the client protocol's field tables
(``shared.protocol.validate_fields``) plus the kinds only backends send: an
application event's name and its JSON ``data``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared import errors, protocol
from shared.protocol import ID, ErrorCode, Field, ProtocolError, error_code


class UnknownCommand(errors.Invalid):
    """A call naming no command: code ``unknown_command`` (UNKNOWN_COMMAND), status 400.
    The server API's own code; WebSocket clients never see it."""


UNKNOWN_COMMAND = "unknown_command"


def code_of(error: errors.DomainError) -> str:
    """The code a refused call answers: the client protocol's, or ``unknown_command``."""
    return UNKNOWN_COMMAND if isinstance(error, UnknownCommand) else error_code(error).value


class Command(StrEnum):
    BROADCAST_TO_CHAT = "broadcastToChat"
    SEND_TO_USER = "sendToUser"
    BROADCAST = "broadcast"
    BROADCAST_USER_STATUS = "broadcastUserStatus"
    ADD_USER_TO_CHAT = "addUserToChat"
    REMOVE_USER_FROM_CHAT = "removeUserFromChat"
    GET_STATS = "getStats"
    GET_CHAT_USERS = "getChatUsers"
    IS_USER_ONLINE = "isUserOnline"
    DISCONNECT_USER = "disconnectUser"
    CREATE_CHAT = "createChat"
    SEND_MESSAGE = "sendMessage"


# ---------------------------------------------------------------- limits

# A call's whole body (the HTTP path) or payload (a Lambda invocation, whose own limit is
# 6 MB): well above any valid call, far below what would cost memory to parse.
MAX_CALL_BYTES = 64 * 1024
# An application event's data, serialized: one API Gateway message unit (billed per
# 32 KB), and well inside a delivery job's 256 KB hand-over.
MAX_DATA_BYTES = 32 * 1024
MAX_EVENT_NAME_CHARS = 64
EVENT_NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]*(?::[a-z0-9._-]+)*")
# Namespaces Switchboard's own events use or will use: an application event may not
# impersonate them (``message:new`` from a backend would look like a stored message).
RESERVED_NAMESPACES = frozenset(
    {
        "ack",
        "error",
        "hello",
        "sync",
        "connection",
        "message",
        "chat",
        "user",
        "typing",
        "presence",
        "call",
        "screen",
        "attachment",
        "file",
        "switchboard",
    }
)
ROLES = ("member", "admin")


def check_event_name(value: Any) -> str:
    """An application event's name: 1-64 characters of ``a-z 0-9 . _ - :``, starting
    with a letter, no empty part between colons, and a namespace (the part before the
    first colon, or the whole name) Switchboard does not reserve."""
    if (
        not isinstance(value, str)
        or len(value) > MAX_EVENT_NAME_CHARS
        or EVENT_NAME_PATTERN.fullmatch(value) is None
    ):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"args.event must be 1-{MAX_EVENT_NAME_CHARS} characters of a-z 0-9 . _ - : "
            "starting with a letter",
        )
    namespace = value.split(":", 1)[0]
    if namespace in RESERVED_NAMESPACES:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"args.event may not use the namespace {namespace!r}: Switchboard's own events use it",
        )
    return value


def check_data(value: Any) -> Any:
    """An application event's data: any JSON value up to MAX_DATA_BYTES serialized."""
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(encoded.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as invalid:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "args.data is not valid JSON") from invalid
    if size > MAX_DATA_BYTES:
        raise errors.TooLarge(f"args.data is {size} bytes, over the {MAX_DATA_BYTES} byte limit")
    return value


def check_user_ids(value: Any) -> list[str]:
    """A list of 1 to MAX_CHAT_MEMBERS user ids."""
    limit = protocol.MAX_CHAT_MEMBERS
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= limit
        or not all(protocol.is_id(item) for item in value)
    ):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"args.members must be a list of 1-{limit} user ids"
        )
    return list(dict.fromkeys(value))


# The kinds of argument the client protocol has no Field kind for, checked here.
EVENT = "event"
DATA = "data"
USER_IDS = "user_ids"
_CHECKS = {EVENT: check_event_name, DATA: check_data, USER_IDS: check_user_ids}

APPLICATION_EVENT = {"event": EVENT, "data": DATA}
COMMAND_ARGS: dict[Command, tuple[dict[str, Field], dict[str, str]]] = {
    # (fields validate_fields checks, fields checked here by kind)
    Command.BROADCAST_TO_CHAT: (
        {"chatId": ID, "excludeUserId": Field(required=False)},
        APPLICATION_EVENT,
    ),
    Command.SEND_TO_USER: ({"userId": ID}, APPLICATION_EVENT),
    Command.BROADCAST: ({}, APPLICATION_EVENT),
    Command.BROADCAST_USER_STATUS: ({"userId": ID}, {}),
    Command.ADD_USER_TO_CHAT: (
        {"chatId": ID, "userId": ID, "role": Field(False, kind="choice", choices=ROLES)},
        {},
    ),
    Command.REMOVE_USER_FROM_CHAT: ({"chatId": ID, "userId": ID}, {}),
    Command.GET_STATS: ({}, {}),
    Command.GET_CHAT_USERS: ({"chatId": ID}, {}),
    Command.IS_USER_ONLINE: ({"userId": ID}, {}),
    Command.DISCONNECT_USER: ({"userId": ID}, {}),
    Command.CREATE_CHAT: (
        {
            "createdBy": ID,
            "name": Field(False, max_chars=protocol.MAX_CHAT_NAME_CHARS, is_id=False),
        },
        {"members": USER_IDS},
    ),
    Command.SEND_MESSAGE: (
        {"chatId": ID, "senderId": ID, "body": protocol.BODY, "clientMessageId": Field(False)},
        {},
    ),
}


@dataclass(frozen=True)
class Call:
    """A parsed, validated server API call."""

    command: Command
    args: dict[str, Any]


def parse_command(name: Any) -> Command:
    if not isinstance(name, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "command must be a string")
    try:
        return Command(name)
    except ValueError as unknown:
        raise UnknownCommand(f"unknown command {name[: protocol.MAX_ID_CHARS]!r}") from unknown


def parse_args(command: Command, args: Any) -> dict[str, Any]:
    """Check ``args`` against the command's table: no missing, extra or mistyped field."""
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "args must be an object")
    fields, kinds = COMMAND_ARGS[command]
    extra = sorted(set(args) - set(fields) - set(kinds))
    if extra:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unexpected field args.{extra[0]}")
    plain = {name: value for name, value in args.items() if name in fields}
    clean = protocol.validate_fields(fields, plain, where="args")
    for name, kind in kinds.items():
        if name not in args:
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"args.{name} is required")
        clean[name] = _CHECKS[kind](args[name])
    return clean


def parse_call(payload: Any) -> Call:
    """A Lambda invocation's payload: ``{"command": ..., "args": {...}}`` and nothing else."""
    if not isinstance(payload, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "the payload must be a JSON object")
    if len(json.dumps(payload, default=str).encode("utf-8", "surrogatepass")) > MAX_CALL_BYTES:
        raise errors.TooLarge(f"the payload is over {MAX_CALL_BYTES} bytes")
    extra = sorted(set(payload) - {"command", "args"})
    if extra:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unexpected field {extra[0]}")
    if "command" not in payload:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "command is required")
    command = parse_command(payload["command"])
    return Call(command, parse_args(command, payload.get("args")))


def parse_body(command: str, body: str | None) -> Call:
    """The HTTP path: the command from the path, its args as the JSON body (empty: none)."""
    parsed = parse_command(command)
    if body is not None and len(body.encode("utf-8", "surrogatepass")) > MAX_CALL_BYTES:
        raise errors.TooLarge(f"the body is over {MAX_CALL_BYTES} bytes")
    if body is None or not body.strip():
        return Call(parsed, parse_args(parsed, {}))
    try:
        args = json.loads(body)
    except (ValueError, RecursionError) as invalid:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "the body is not valid JSON") from invalid
    return Call(parsed, parse_args(parsed, args))
