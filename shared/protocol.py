"""The wire protocol: action and event names, error codes, limits, request parsing.

Declared once here and documented in docs/protocol.md. Client frames look like
``{"action": "message:send", "requestId": "r1", "data": {...}}``; server frames
like ``{"event": "ack", "requestId": "r1", "data": {...}}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# ---------------------------------------------------------------- names


class Action(StrEnum):
    """Client -> server actions; each is a route (RouteKey) in template.yaml."""

    HELLO = "hello"
    MESSAGE_SEND = "message:send"


class Event(StrEnum):
    """Server -> client events."""

    ACK = "ack"
    ERROR = "error"
    CONNECTION_SUCCESS = "connection:success"
    MESSAGE_NEW = "message:new"
    CHAT_CREATED = "chat:created"


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    UNKNOWN_ACTION = "unknown_action"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    INTERNAL_ERROR = "internal_error"


# ---------------------------------------------------------------- limits

MAX_FRAME_BYTES = 128 * 1024  # API Gateway's WebSocket frame limit
MAX_BODY_CHARS = 4000
MAX_ID_CHARS = 128
MAX_CHAT_NAME_CHARS = 200
MAX_CHAT_MEMBERS = 100
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@|+=-]{1,128}$")


class ProtocolError(Exception):
    """A request the server refuses; becomes an ``error`` event to its sender only."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- schemas


@dataclass(frozen=True)
class Field:
    """One field of an action's ``data``: a string, validated for shape and length."""

    required: bool = True
    max_chars: int = MAX_ID_CHARS
    is_id: bool = True


ACTION_FIELDS: dict[Action, dict[str, Field]] = {
    Action.HELLO: {},
    Action.MESSAGE_SEND: {
        "chatId": Field(),
        "body": Field(max_chars=MAX_BODY_CHARS, is_id=False),
        "clientMessageId": Field(required=False),
    },
}


@dataclass(frozen=True)
class Request:
    """A parsed, validated client frame."""

    action: Action
    request_id: str | int | None
    data: dict[str, str]


def _check_request_id(value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "requestId must be a string or an integer")
    if isinstance(value, int) and abs(value) < 2**53:
        return value
    if isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS:
        return value
    raise ProtocolError(
        ErrorCode.BAD_REQUEST, f"requestId must be a string of 1-{MAX_ID_CHARS} characters"
    )


def peek_request_id(body: str | None) -> str | int | None:
    """The requestId of a frame if it has a valid one: errors echo it when they can."""
    try:
        frame = json.loads(body or "")
        return _check_request_id(frame.get("requestId")) if isinstance(frame, dict) else None
    except (ValueError, ProtocolError, RecursionError):
        return None


def _validate_string(name: str, value: Any, spec: Field) -> str:
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"data.{name} must be a string")
    if spec.is_id:
        if not ID_PATTERN.match(value):
            raise ProtocolError(
                ErrorCode.BAD_REQUEST,
                f"data.{name} must be 1-{MAX_ID_CHARS} characters of A-Z a-z 0-9 _ . : @ | + = -",
            )
        return value
    if not value.strip():
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"data.{name} must not be empty")
    if len(value) > spec.max_chars:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"data.{name} is longer than {spec.max_chars} characters"
        )
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value) or "\x7f" in value:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"data.{name} contains control characters")
    return value


def validate_fields(fields: dict[str, Field], data: Any, where: str = "data") -> dict[str, str]:
    """Check ``data`` against a field table: no missing, extra or mistyped fields."""
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where} must be an object")
    extra = sorted(set(data) - set(fields))
    if extra:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"unexpected field {where}.{extra[0]}")
    clean: dict[str, str] = {}
    for name, spec in fields.items():
        if name not in data or data[name] is None:
            if spec.required:
                raise ProtocolError(ErrorCode.BAD_REQUEST, f"{where}.{name} is required")
            continue
        clean[name] = _validate_string(name, data[name], spec)
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


def frame(event: Event, data: Any, request_id: str | int | None = None) -> str:
    """A server -> client frame, serialized."""
    payload: dict[str, Any] = {"event": event.value}
    if request_id is not None:
        payload["requestId"] = request_id
    payload["data"] = data
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def error_frame(code: ErrorCode, message: str, request_id: str | int | None = None) -> str:
    return frame(Event.ERROR, {"code": code.value, "message": message}, request_id)
