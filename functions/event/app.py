"""Every client action (the WebSocket API's `$default` route).

Parses the frame, takes a token from the connection's rate-limit bucket for the
action (shared/state/rate_limit.py), runs the action (shared/actions), and answers
the sender with `ack` (or the action's reply) or `error` through the route
response. A domain refusal becomes its wire code (shared/protocol.py:
error_code); anything else an `internal_error`: nothing reaches API Gateway.
"""

from __future__ import annotations

from typing import Any

from shared.actions import dispatch
from shared.actions.caller import Caller
from shared.errors import DomainError
from shared.invocation import GatewayEvent, correlation, lambda_handler
from shared.observability import log
from shared.protocol import ErrorCode, error_code, error_frame, parse_request, peek
from shared.state import rate_limit

logger = log.setup()


def _route(event: GatewayEvent) -> str | None:
    """The action named by the frame (logs and metrics by action), else the route key."""
    return peek(event.body).action or event.route_key


def _fields(event: GatewayEvent) -> dict[str, Any]:
    return {
        **correlation(event),
        "clientRequestId": log.client_request_id(peek(event.body).request_id),
    }


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    reply = error_frame(
        ErrorCode.INTERNAL_ERROR, "internal error, retry later", peek(event.body).request_id
    )
    return {"statusCode": 200, "body": reply}, {"error": ErrorCode.INTERNAL_ERROR.value}


@lambda_handler(route=_route, fields=_fields, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    request_id = peek(event.body).request_id
    try:
        caller = Caller.from_event(event)
        request = parse_request(event.body)
        report["action"] = request.action.value
        log.bind(action=request.action.value)
        limited = rate_limit.check(request.action, caller.connection_id)
        if limited is not None and limited.degraded:
            report["rateLimit"] = "degraded"
        outcome = dispatch.dispatch(request, caller)
        reply = outcome.reply
        report["fanout"] = outcome.fanout
    except rate_limit.RateLimited as refused:
        reply = refused.frame(request_id)
        report["error"] = refused.code.value
        report["retryAfterMs"] = refused.decision.retry_after_ms
    except DomainError as refused:
        code = error_code(refused)
        reply = error_frame(code, refused.message, request_id)
        report["error"] = code.value
    # An empty reply (a ping that reached the function) sends nothing back.
    return {"statusCode": 200, "body": reply} if reply else {"statusCode": 200}
