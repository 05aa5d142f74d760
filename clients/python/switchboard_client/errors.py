"""Exceptions: the server's `error` replies (one class per code) and the client's own failures.

Every server error carries its ``code``; ``ServerError.from_reply`` picks the class.
"""

from __future__ import annotations

from typing import Any, ClassVar

from switchboard_client.wire import ErrorCode


class SwitchboardError(Exception):
    """Base class of everything this package raises."""


# ---------------------------------------------------------------- the server said no
class ServerError(SwitchboardError):
    """An `error` reply: ``code`` (an ErrorCode value), ``message``, the whole ``data``."""

    code: ClassVar[str] = "error"
    _by_code: ClassVar[dict[str, type[ServerError]]] = {}

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        action: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code or self.code}: {message}" + (f" ({action})" if action else ""))
        if code is not None:
            self.code = code  # type: ignore[misc]  # an unknown code keeps its own name
        self.message = message
        self.action = action
        self.data: dict[str, Any] = dict(data or {})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ServerError._by_code[cls.code] = cls

    @classmethod
    def from_reply(cls, data: Any, action: str | None = None) -> ServerError:
        """The exception for an `error` frame's data (``{"code", "message", ...}``)."""
        data = data if isinstance(data, dict) else {}
        code = str(data.get("code") or "error")
        message = str(data.get("message") or "")
        error_class = cls._by_code.get(code)
        if error_class is None:
            return ServerError(message, code=code, action=action, data=data)
        return error_class(message, action=action, data=data)


class BadRequest(ServerError):
    code = ErrorCode.BAD_REQUEST.value


class UnknownAction(ServerError):
    code = ErrorCode.UNKNOWN_ACTION.value


class Unauthorized(ServerError):
    code = ErrorCode.UNAUTHORIZED.value


class Forbidden(ServerError):
    code = ErrorCode.FORBIDDEN.value


class NotFound(ServerError):
    code = ErrorCode.NOT_FOUND.value


class Conflict(ServerError):
    code = ErrorCode.CONFLICT.value


class RateLimited(ServerError):
    """Refused before anything was done; ``retry_after`` (seconds) is the server's advice."""

    code = ErrorCode.RATE_LIMITED.value

    @property
    def retry_after(self) -> float:
        try:
            return max(0.0, float(self.data.get("retryAfterMs", 0)) / 1000)
        except (TypeError, ValueError):
            return 0.0


class InternalError(ServerError):
    code = ErrorCode.INTERNAL_ERROR.value


# ---------------------------------------------------------------- the client's own failures
class ConnectError(SwitchboardError):
    """The WebSocket could not be opened; ``status`` is the HTTP status of a refusal."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(ConnectError):
    """The handshake was refused for the token (HTTP 401: missing, 403: invalid)."""


class ConnectionLost(SwitchboardError):
    """The connection dropped while a request that is not safe to resend was in flight:
    it may or may not have been carried out."""


class RequestTimeout(SwitchboardError, TimeoutError):
    """No reply within the request's timeout (waiting for a reconnect included)."""


class ClientClosed(SwitchboardError):
    """The client is closed (``close()``, a fatal error, or never connected)."""
