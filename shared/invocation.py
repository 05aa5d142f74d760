"""One invocation wrapper for the Lambda entry points, and a typed view of their events.

Every ``functions/*/app.py`` is a body decorated with ``lambda_handler``: the
wrapper resets the count of AWS calls, opens the invocation log with the
event's correlation fields, runs the body, turns any exception into the
function's own failure answer (an exception reaching API Gateway would show the
client "Internal server error"), and logs the invocation line with what the
body reported and the AWS calls it made.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from shared.observability import calls, log

Fields = dict[str, Any]
R = TypeVar("R")
Body = Callable[["GatewayEvent", Fields], R]
Handler = Callable[[dict[str, Any], Any], R]

logger = logging.getLogger("switchboard.invocation")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class GatewayEvent:
    """A typed view of an API Gateway event (WebSocket, or HTTP API payload 2.0)."""

    def __init__(self, raw: Mapping[str, Any] | None, lambda_context: Any = None) -> None:
        self.raw: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        self.lambda_context = lambda_context  # the runtime's context object, as given
        context = self.raw.get("requestContext")
        self.context: Mapping[str, Any] = context if isinstance(context, Mapping) else {}

    def _authorizer(self) -> Mapping[str, Any]:
        found = self.context.get("authorizer")
        return found if isinstance(found, Mapping) else {}

    @property
    def connection_id(self) -> str | None:
        return _text(self.context.get("connectionId"))

    @property
    def route_key(self) -> str | None:
        return _text(self.context.get("routeKey"))

    @property
    def request_id(self) -> str | None:
        return _text(self.context.get("requestId"))

    @property
    def user_id(self) -> str | None:
        """The user the authorizer vouched for: ``authorizer.userId`` on the WebSocket,
        ``authorizer.lambda.userId`` on the HTTP API; None when no authorizer ran."""
        authorizer = self._authorizer()
        lambda_context = authorizer.get("lambda")
        if isinstance(lambda_context, Mapping):
            return _text(lambda_context.get("userId"))
        return _text(authorizer.get("userId"))

    @property
    def stage(self) -> str:
        return str(self.context.get("stage") or "")

    @property
    def domain_name(self) -> str:
        return str(self.context.get("domainName") or "")

    @property
    def management_endpoint(self) -> str:
        """The Management API of the stage the event came through: https://{domain}/{stage}."""
        return f"https://{self.domain_name}/{self.stage}"

    @property
    def connected_at(self) -> int | None:
        value = self.context.get("connectedAt")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return int(value) if math.isfinite(value) else None

    @property
    def source_ip(self) -> str | None:
        identity = self.context.get("identity")
        http = self.context.get("http")
        if isinstance(identity, Mapping) and _text(identity.get("sourceIp")):
            return _text(identity.get("sourceIp"))
        return _text(http.get("sourceIp")) if isinstance(http, Mapping) else None

    @property
    def disconnect_reason(self) -> str | None:
        return _text(self.context.get("disconnectReason"))

    @property
    def body(self) -> str | None:
        """The frame's text; None for a binary (base64) frame, which no action takes."""
        if self.raw.get("isBase64Encoded"):
            return None
        body = self.raw.get("body")
        return body if isinstance(body, str) else None

    @property
    def http_method(self) -> str | None:
        http = self.context.get("http")
        return _text(http.get("method")) if isinstance(http, Mapping) else None

    @property
    def http_path(self) -> str | None:
        http = self.context.get("http")
        return _text(http.get("path")) if isinstance(http, Mapping) else None

    @property
    def headers(self) -> dict[str, str]:
        headers = self.raw.get("headers")
        if not isinstance(headers, Mapping):
            return {}
        return {str(k).lower(): str(v) for k, v in headers.items()}


def correlation(event: GatewayEvent) -> Fields:
    """The fields every record of a WebSocket invocation carries."""
    return {
        "connectionId": event.connection_id,
        "userId": event.user_id,
        "requestId": event.request_id,
    }


def lambda_handler(
    *,
    failure: Callable[[GatewayEvent], tuple[R, Fields]],
    route: str | Callable[[GatewayEvent], str | None] | None = None,
    fields: Callable[[GatewayEvent], Fields] = correlation,
    retried: bool = False,
) -> Callable[[Body[R]], Handler[R]]:
    """Wrap an entry point's body ``(event, report) -> response``.

    ``route`` names the invocation in the log (default: the event's route key);
    ``fields`` gives its correlation fields; the body adds what it did to
    ``report``; ``failure`` gives the answer and log fields when the body raised.
    A ``retried`` function (invoked asynchronously: Lambda retries a failed
    invocation, then sends it to its on-failure destination) logs the failure and
    lets the exception reach Lambda; no function behind API Gateway is one.
    """

    def decorate(body: Body[R]) -> Handler[R]:
        @functools.wraps(body)
        def handler(raw: dict[str, Any], context: Any) -> R:
            calls.reset()
            event = GatewayEvent(raw, context)
            name = route(event) if callable(route) else (route or event.route_key)
            invocation = log.begin(context, route=name, **fields(event))
            report: Fields = {}
            try:
                response = body(event, report)
            except Exception:
                logger.exception("%s failed", name or "invocation")
                response, report = failure(event)
                if retried:
                    invocation.finish(**report, awsCalls=calls.counted())
                    raise
            invocation.finish(**report, awsCalls=calls.counted())
            return response

        return handler

    return decorate
