"""The wire protocol: action and event names, error codes, limits, request parsing.

Declared once here and documented in docs/protocol.md. Client frames look like
``{"action": "message:send", "requestId": "r1", "data": {...}}``; server frames
like ``{"event": "ack", "requestId": "r1", "data": {...}}``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared import errors

# ---------------------------------------------------------------- names


class Action(StrEnum):
    """Client -> server actions; each is a route (RouteKey) in template.yaml."""

    HELLO = "hello"
    # The keep-alive: a route API Gateway answers itself (template.yaml PingRoute, a
    # MOCK integration), so it reaches no function and gets no reply.
    PING = "ping"
    SYNC = "sync"
    MESSAGE_SEND = "message:send"
    MESSAGE_EDIT = "message:edit"
    MESSAGE_DELETE = "message:delete"
    MESSAGE_REACT = "message:react"
    MESSAGE_UNREACT = "message:unreact"
    MESSAGE_READ = "message:read"
    CHAT_READ_ALL = "chat:read-all"
    CHAT_PRESENCE = "chat:presence"
    PRESENCE_HEARTBEAT = "presence:heartbeat"
    PRESENCE_SET = "presence:set"
    TYPING_START = "typing:start"
    TYPING_STOP = "typing:stop"
    TYPING_LIST = "typing:list"
    CALL_INVITE = "call:invite"
    CALL_ACCEPT = "call:accept"
    CALL_DECLINE = "call:decline"
    CALL_CANCEL = "call:cancel"
    CALL_JOIN = "call:join"
    CALL_LEAVE = "call:leave"
    CALL_REJOIN = "call:rejoin"
    CALL_SIGNAL = "call:signal"
    CALL_SCREEN = "call:screen"


class Event(StrEnum):
    """Server -> client events."""

    ACK = "ack"
    ERROR = "error"
    CONNECTION_SUCCESS = "connection:success"
    MESSAGE_NEW = "message:new"
    MESSAGE_EDITED = "message:edited"
    MESSAGE_DELETED = "message:deleted"
    MESSAGE_REACTION = "message:reaction"
    MESSAGE_READ = "message:read"
    CHAT_CREATED = "chat:created"
    CHAT_MEMBER_ADDED = "chat:member-added"
    CHAT_MEMBER_REMOVED = "chat:member-removed"
    USER_STATUS = "user:status"
    TYPING = "typing"
    CALL_RINGING = "call:ringing"
    CALL_ANSWERED_ELSEWHERE = "call:answered-elsewhere"
    CALL_JOINED = "call:joined"
    CALL_DECLINED = "call:declined"
    CALL_CANCELLED = "call:cancelled"
    CALL_MISSED = "call:missed"
    CALL_LEFT = "call:left"
    CALL_ENDED = "call:ended"
    CALL_SIGNAL = "call:signal"
    CALL_SCREEN = "call:screen"


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    UNKNOWN_ACTION = "unknown_action"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"


# ---------------------------------------------------------------- limits

MAX_FRAME_BYTES = 128 * 1024  # API Gateway's WebSocket frame limit
MAX_BODY_CHARS = 4000
MAX_ID_CHARS = 128
MAX_CHAT_NAME_CHARS = 200
MAX_CHAT_MEMBERS = 100
MAX_EMOJI_CHARS = 32
MAX_STATUS_TEXT_CHARS = 100
MAX_SYNC_CHATS = 100
# The most attachments a message may name (the AttachmentsPerMessage parameter's
# maximum; the deployed limit, at most this, is the domain's to enforce).
MAX_ATTACHMENTS = 20
# Matched whole, always through is_id(): with `^...$` and .match, `$` would also
# accept a final "\n" ("eve\n" is a different key that displays as "eve").
ID_PATTERN = re.compile(r"[A-Za-z0-9_.:@|+=-]{1,128}")
PRESENCE_STATUSES = ("online", "away", "busy")
# Calls (shared/calls): a full mesh of at most MAX_CALL_PEERS peer connections; each
# signal's payload (an SDP or an ICE candidate, relayed as is) at most MAX_SIGNAL_BYTES.
MAX_CALL_PEERS = 4
MAX_SIGNAL_BYTES = 32 * 1024
CALL_MEDIA = ("audio", "video")
SIGNAL_KINDS = ("offer", "answer", "candidate")


def is_id(value: object) -> bool:
    """True when ``value`` is an identifier: 1-128 ASCII characters of
    ``A-Z a-z 0-9 _ . : @ | + = -``, the whole string (no trailing newline, NUL or
    lookalike). Every id a request carries, and every user id a token names, is
    checked here and nowhere else."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


class ProtocolError(errors.Invalid):
    """A frame that does not parse (bad JSON, unknown action, a mistyped field): an
    ``Invalid`` that carries its own wire code. Becomes an ``error`` event to its
    sender only."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# Each kind of domain refusal, as the wire names it: the one mapping, used by the
# event function (an ``error`` frame) and the REST app (whose statuses follow the code).
ERROR_CODES: dict[type[errors.DomainError], ErrorCode] = {
    errors.Invalid: ErrorCode.BAD_REQUEST,
    errors.Unauthorized: ErrorCode.UNAUTHORIZED,
    errors.Forbidden: ErrorCode.FORBIDDEN,
    errors.NotFound: ErrorCode.NOT_FOUND,
    errors.Conflict: ErrorCode.CONFLICT,
    errors.Internal: ErrorCode.INTERNAL_ERROR,
}


# The HTTP status each code means on the HTTP API (the REST app and the server API);
# an ``errors.TooLarge`` is 413 whatever its code.
HTTP_STATUSES: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.UNKNOWN_ACTION: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
}


def http_status(error: errors.DomainError) -> int:
    return 413 if isinstance(error, errors.TooLarge) else HTTP_STATUSES[error_code(error)]


def error_code(error: errors.DomainError) -> ErrorCode:
    """The wire code of a domain refusal: its own if it carries one, else its kind's."""
    if isinstance(error, ProtocolError):
        return error.code
    for kind in type(error).__mro__:
        if kind in ERROR_CODES:
            return ERROR_CODES[kind]
    return ErrorCode.BAD_REQUEST


# ---------------------------------------------------------------- schemas


@dataclass(frozen=True)
class Field:
    """One field of an action's ``data``.

    kinds: ``id`` (ID_PATTERN), ``text`` (free text up to max_chars, no control
    characters but newline and tab), ``emoji`` (1-32 characters, no whitespace
    or control characters), ``choice`` (one of ``choices``), ``id_map`` (an
    object of at most MAX_SYNC_CHATS ids, each mapped to an id or null),
    ``id_list`` (a list of at most ``max_items`` ids), ``bool`` (true or false),
    ``json_object`` (an object whose compact JSON is at most ``max_chars`` bytes).
    """

    required: bool = True
    max_chars: int = MAX_ID_CHARS
    is_id: bool = True
    kind: str = ""
    choices: tuple[str, ...] = ()
    max_items: int = 0

    @property
    def resolved_kind(self) -> str:
        return self.kind or ("id" if self.is_id else "text")


ID = Field()
BODY = Field(max_chars=MAX_BODY_CHARS, is_id=False)
EMOJI = Field(kind="emoji", max_chars=MAX_EMOJI_CHARS)

ACTION_FIELDS: dict[Action, dict[str, Field]] = {
    Action.HELLO: {},
    Action.PING: {},
    Action.SYNC: {"chats": Field(kind="id_map")},
    # body may be left out when attachments are given (checked by the action).
    Action.MESSAGE_SEND: {
        "chatId": ID,
        "body": Field(required=False, max_chars=MAX_BODY_CHARS, is_id=False),
        "clientMessageId": Field(required=False),
        "attachments": Field(required=False, kind="id_list", max_items=MAX_ATTACHMENTS),
    },
    Action.MESSAGE_EDIT: {"chatId": ID, "messageId": ID, "body": BODY},
    Action.MESSAGE_DELETE: {"chatId": ID, "messageId": ID},
    Action.MESSAGE_REACT: {"chatId": ID, "messageId": ID, "emoji": EMOJI},
    Action.MESSAGE_UNREACT: {"chatId": ID, "messageId": ID, "emoji": EMOJI},
    Action.MESSAGE_READ: {"chatId": ID, "messageId": ID},
    Action.CHAT_READ_ALL: {"chatId": ID},
    Action.CHAT_PRESENCE: {"chatId": ID, "cursor": Field(required=False)},
    Action.PRESENCE_HEARTBEAT: {},
    Action.PRESENCE_SET: {
        "status": Field(kind="choice", choices=PRESENCE_STATUSES),
        "text": Field(required=False, max_chars=MAX_STATUS_TEXT_CHARS, is_id=False),
    },
    Action.TYPING_START: {"chatId": ID},
    Action.TYPING_STOP: {"chatId": ID},
    Action.TYPING_LIST: {"chatId": ID},
    Action.CALL_INVITE: {
        "chatId": ID,
        "media": Field(kind="choice", choices=CALL_MEDIA),
        "userIds": Field(required=False, kind="id_list", max_items=MAX_CALL_PEERS - 1),
    },
    Action.CALL_ACCEPT: {"callId": ID},
    Action.CALL_DECLINE: {"callId": ID},
    Action.CALL_CANCEL: {"callId": ID},
    Action.CALL_JOIN: {"callId": ID},
    Action.CALL_LEAVE: {"callId": ID},
    Action.CALL_REJOIN: {"callId": ID, "peerId": ID},
    Action.CALL_SIGNAL: {
        "callId": ID,
        "to": ID,
        "kind": Field(kind="choice", choices=SIGNAL_KINDS),
        "payload": Field(kind="json_object", max_chars=MAX_SIGNAL_BYTES),
    },
    Action.CALL_SCREEN: {"callId": ID, "sharing": Field(kind="bool")},
}


@dataclass(frozen=True)
class Request:
    """A parsed, validated client frame."""

    action: Action
    request_id: str | int | None
    data: dict[str, Any]


def _check_request_id(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "requestId must be a string or an integer")
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and is_id(value):
        return value
    raise ProtocolError(
        ErrorCode.BAD_REQUEST,
        f"requestId must be an integer or 1-{MAX_ID_CHARS} characters of "
        "A-Z a-z 0-9 _ . : @ | + = -",
    )


@dataclass(frozen=True)
class Peek:
    """What can be read off a frame that may not parse: its action (when it names
    a known one) for logs and metrics, and its requestId (when valid) for errors."""

    action: str | None = None
    request_id: str | int | None = None


@functools.lru_cache(maxsize=8)
def peek(body: str | None) -> Peek:
    """The action and requestId of a frame, as far as they are valid (parsed once)."""
    try:
        frame = json.loads(body or "")
    except (ValueError, RecursionError):
        return Peek()
    if not isinstance(frame, dict):
        return Peek()
    action = frame.get("action")
    try:
        request_id = _check_request_id(frame.get("requestId"))
    except ProtocolError:
        request_id = None
    known = action if isinstance(action, str) and action in Action._value2member_map_ else None
    return Peek(known, request_id)


def _validate_id_map(name: str, value: Any, where: str) -> dict[str, str | None]:
    if not isinstance(value, dict) or len(value) > MAX_SYNC_CHATS:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"{where}.{name} must be an object of at most {MAX_SYNC_CHATS} ids",
        )
    for key, item in value.items():
        if not is_id(key) or not (item is None or is_id(item)):
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"{where}.{name} must map ids to an id or null"
            )
    return value


def _validate_id_list(name: str, value: Any, spec: Field, where: str) -> list[str]:
    if (
        not isinstance(value, list)
        or len(value) > spec.max_items
        or not all(is_id(item) for item in value)
    ):
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"{where}.{name} must be a list of at most {spec.max_items} ids"
        )
    return value


def _validate_json_object(name: str, value: Any, spec: Field, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} must be an object")
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as error:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} is not valid JSON") from error
    if size > spec.max_chars:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"{where}.{name} is larger than {spec.max_chars} bytes"
        )
    return value


def _validate_value(name: str, value: Any, spec: Field, where: str) -> Any:
    kind = spec.resolved_kind
    if kind == "id_map":
        return _validate_id_map(name, value, where)
    if kind == "id_list":
        return _validate_id_list(name, value, spec, where)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} must be true or false")
        return value
    if kind == "json_object":
        return _validate_json_object(name, value, spec, where)
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: "\ud800" is valid JSON, not text
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"{where}.{name} is not valid Unicode"
        ) from error
    if kind == "choice":
        if value not in spec.choices:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"{where}.{name} must be one of {', '.join(spec.choices)}"
            )
        return value
    if kind == "emoji":
        if not 0 < len(value) <= spec.max_chars or any(
            ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in value
        ):
            raise ProtocolError(
                ErrorCode.BAD_REQUEST,
                f"{where}.{name} must be 1-{spec.max_chars} characters without spaces",
            )
        return value
    if kind == "id":
        if not is_id(value):
            raise ProtocolError(
                ErrorCode.BAD_REQUEST,
                f"{where}.{name} must be 1-{MAX_ID_CHARS} characters of "
                "A-Z a-z 0-9 _ . : @ | + = -",
            )
        return value
    if not value.strip():
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} must not be empty")
    if len(value) > spec.max_chars:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"{where}.{name} is longer than {spec.max_chars} characters"
        )
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value) or "\x7f" in value:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} contains control characters")
    return value


def validate_fields(fields: dict[str, Field], data: Any, where: str = "data") -> dict[str, Any]:
    """Check ``data`` against a field table: no missing, extra or mistyped fields."""
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be an object")
    extra = sorted(set(data) - set(fields))
    if extra:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unexpected field {where}.{extra[0]}")
    clean: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in data or data[name] is None:
            if spec.required:
                raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} is required")
            continue
        clean[name] = _validate_value(name, data[name], spec, where)
    return clean


def parse_request(body: str | None) -> Request:
    """Parse and validate one client frame, or raise ProtocolError."""
    if body is None or not body.strip():
        raise ProtocolError(ErrorCode.BAD_REQUEST, "empty frame")
    if len(body.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "frame too large")
    try:
        frame = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "frame is not valid JSON") from exc
    if not isinstance(frame, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "frame must be a JSON object")
    request_id = _check_request_id(frame.get("requestId"))
    extra = sorted(set(frame) - {"action", "requestId", "data"})
    if extra:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unexpected field {extra[0]}")
    action_name = frame.get("action")
    if not isinstance(action_name, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "action must be a string")
    try:
        action = Action(action_name)
    except ValueError as exc:
        raise ProtocolError(
            ErrorCode.UNKNOWN_ACTION, f"unknown action {action_name[:MAX_ID_CHARS]!r}"
        ) from exc
    data = frame.get("data", {})
    return Request(action, request_id, validate_fields(ACTION_FIELDS[action], data))


# ---------------------------------------------------------------- frames


def frame(event: Event | str, data: Any, request_id: str | int | None = None) -> str:
    """A server -> client frame, serialized: one of Switchboard's events, or an
    application event the server API pushes (``shared/server_api/schema.py`` checks
    its name)."""
    payload: dict[str, Any] = {"event": str(event)}
    if request_id is not None:
        payload["requestId"] = request_id
    payload["data"] = data
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def error_frame(code: ErrorCode, message: str, request_id: str | int | None = None) -> str:
    return frame(Event.ERROR, {"code": code.value, "message": message}, request_id)
