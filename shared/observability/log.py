"""Structured JSON logs with correlation fields; tokens and secrets never reach a log line.

Every invocation writes one JSON line to stderr (``{"level":"INFO","msg":"invocation",
...}``: route, ids, outcome, latency, AWS calls) and one EMF document to stdout
(shared.metrics). A handler opens its invocation with ``begin(context, ...)``;
until it ``finish``es, every record logged through ``logging`` (exceptions
included) is a JSON line carrying the same correlation fields. A Lambda
environment serves one invocation at a time, so the current invocation is
module-level: fan-out pool threads log with it too.

Redaction is a safeguard, not a licence to log events: values that look like a
JWT, a bearer credential or a ``token=`` query parameter are masked anywhere in
a line, and so is any value under a key that names a secret.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.observability import metrics

REDACTED = "[REDACTED]"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_QUERY_TOKEN = re.compile(r"(?i)([?&;](?:access_|id_)?token=)[^&\s\"']+")
_SENSITIVE_SUFFIXES = ("token", "authorization", "secret", "password", "passwd", "cookie", "apikey")
_CLIENT_ID_MAX = 128

_configured = False
_lock = threading.Lock()
_current: dict[str, Any] = {}


def redact_text(text: str) -> str:
    """Mask JWT-looking values, bearer credentials and ``token=`` query parameters."""
    text = _JWT.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _QUERY_TOKEN.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def is_sensitive_key(key: str) -> bool:
    """``token``, ``Authorization``, ``jwtSecret``, ``x-api-key``... (case and dashes ignored)."""
    normalized = re.sub(r"[^a-z0-9]", "", key.lower())
    return normalized.endswith(_SENSITIVE_SUFFIXES)


def redact(value: Any, key: str | None = None) -> Any:
    """A copy of ``value`` safe to log: secrets under sensitive keys and JWTs masked."""
    # Counts such as awsCalls["sts.GetSessionToken"] are not secrets.
    numeric = value is None or isinstance(value, (bool, int, float))
    if key is not None and not numeric and is_sensitive_key(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact_text(str(value))


def dumps(record: Mapping[str, Any]) -> str:
    """One redacted JSON line (the whole text is scanned once more as a last resort)."""
    text = json.dumps(redact(dict(record)), default=str, separators=(",", ":"), ensure_ascii=False)
    return redact_text(text)


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current() -> dict[str, Any]:
    """The correlation fields of the invocation in progress ({} between invocations)."""
    with _lock:
        return dict(_current)


def bind(**fields: Any) -> None:
    """Add correlation fields to the invocation in progress (e.g. a user id once verified);
    nothing happens outside an invocation."""
    with _lock:
        if _current:
            _current.update({k: v for k, v in fields.items() if v is not None})


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line with the current invocation's correlation fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "level": record.levelname,
            "msg": record.getMessage(),
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "logger": record.name,
        }
        for key, value in current().items():
            line.setdefault(key, value)
        if record.exc_info:
            exc_type, exc, _ = record.exc_info
            line["errorType"] = exc_type.__name__ if exc_type else None
            line["errorMessage"] = str(exc) if exc is not None else None
            line["stackTrace"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            line["stackTrace"] = record.exc_text
        if record.stack_info:
            line["stackInfo"] = record.stack_info
        return dumps(line)


def setup() -> logging.Logger:
    """JSON logging for the container, once (Lambda ships stderr to CloudWatch Logs).

    In a Lambda environment the runtime's own root handler is kept (it writes
    where Lambda reads) and given the JSON formatter; elsewhere a stderr
    handler is added when the root logger has none.
    """
    global _configured
    if not _configured:
        root = logging.getLogger()
        formatter = JsonFormatter()
        if not root.handlers:
            stderr = logging.StreamHandler(sys.stderr)
            stderr.setFormatter(formatter)
            root.addHandler(stderr)
        elif os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            for handler in root.handlers:
                handler.setFormatter(formatter)
        root.setLevel(logging.INFO)
        for noisy in ("botocore", "pynamodb", "mangum"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _configured = True
    return logging.getLogger("switchboard")


def client_request_id(value: Any) -> str | int | None:
    """A client-supplied request id fit for a log line (short, printable), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and 0 < len(value) <= _CLIENT_ID_MAX and value.isprintable():
        return value
    return None


def rest_route(app: Any, method: str | None, path: str | None) -> str:
    """``"GET /chats/{chat_id}/messages"``: the route template a REST request matched.

    Metrics take it as a dimension, so it must not carry ids; a path no route
    matches is ``"GET (unmatched)"``.
    """
    from starlette.routing import Match

    method = (method or "?").upper()[:16]
    scope = {"type": "http", "method": method, "path": path or "/", "root_path": ""}
    partial = None
    for route in getattr(app, "routes", []):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return f"{method} {route.path}"
        if match is Match.PARTIAL and partial is None:
            partial = route.path  # the path matched, the method did not (405)
    return f"{method} {partial}" if partial else f"{method} (unmatched)"


class Invocation:
    """One handler invocation: correlation fields for every log record, then one
    invocation line and one EMF document."""

    def __init__(self, context: Any, route: str | None, fields: dict[str, Any]) -> None:
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()  # Lambda runs one invocation per process
        self.function = (
            getattr(context, "function_name", None)
            or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
            or "unknown"
        )
        self.aws_request_id = getattr(context, "aws_request_id", None)
        self.route = route
        with _lock:
            _current.clear()
            _current.update(
                {
                    k: v
                    for k, v in {
                        "function": self.function,
                        "awsRequestId": self.aws_request_id,
                        "route": route,
                        **fields,
                    }.items()
                    if v is not None
                }
            )

    def bind(self, **fields: Any) -> None:
        bind(**fields)

    def finish(
        self,
        *,
        failed: bool | None = None,
        fanout: Any = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Write the invocation line (stderr) and its EMF document (stdout); return the line.

        ``failed`` defaults to: an ``error`` field, a status of 400 or more, or
        an ``outcome`` of deny/error. ``fanout`` is a FanoutResult (or its dict).
        MessagesSent counts a ``message:send`` that fanned out (a new message;
        a retried duplicate stores nothing and fans out nothing).
        """
        latency_ms = round((time.perf_counter() - self.started) * 1000, 2)
        with _lock:
            correlation = dict(_current)
            _current.clear()
        fan = _fanout_dict(fanout)
        record: dict[str, Any] = {"level": "INFO", "msg": "invocation", "timestamp": _timestamp()}
        record.update(correlation)
        record["latencyMs"] = latency_ms
        # CPU of the whole process (the fan-out loop thread included): against
        # latencyMs it tells computing from waiting on AWS.
        record["cpuMs"] = round((time.process_time() - self.cpu_started) * 1000, 2)
        if fan is not None:
            record["fanout"] = fan
        record.update({k: v for k, v in fields.items() if v is not None})
        if failed is None:
            failed = bool(
                record.get("error")
                or _status(record.get("status")) >= 400
                or record.get("outcome") in ("deny", "error")
            )
        if failed:
            record["level"] = "ERROR" if _is_server_error(record) else "WARNING"
        print(dumps(record), file=sys.stderr, flush=True)
        route = record.get("route") or self.route
        metrics.emit(
            metrics.invocation_document(
                function=self.function,
                route=str(route) if route else "unknown",
                latency_ms=latency_ms,
                errors=1 if failed else 0,
                fanout=fan,
                messages_sent=1 if record.get("action") == "message:send" and fan else 0,
                properties=redact(
                    {
                        "awsRequestId": self.aws_request_id,
                        "requestId": record.get("requestId"),
                        "connectionId": record.get("connectionId"),
                    }
                ),
            )
        )
        return record


def begin(context: Any, route: str | None = None, **fields: Any) -> Invocation:
    """Open an invocation: its correlation fields apply to every record logged until finish."""
    return Invocation(context, route, fields)


def _is_server_error(record: Mapping[str, Any]) -> bool:
    """A fault of ours (5xx, internal error, a crashed step) rather than a refused request."""
    return (
        _status(record.get("status")) >= 500
        or record.get("error") in ("internal_error", True)
        or record.get("outcome") == "error"
    )


def _status(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _fanout_dict(fanout: Any) -> dict[str, int] | None:
    if fanout is None:
        return None
    if hasattr(fanout, "as_dict"):
        return dict(fanout.as_dict())
    return {k: int(fanout.get(k, 0)) for k in ("delivered", "gone", "failed")}
