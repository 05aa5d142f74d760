"""Every client action ($default and one route per action).

Parses the frame, takes a token from the connection's rate-limit bucket for the
action (shared/rate_limit.py), runs the action, and answers the sender with `ack` (or the
action's reply) or `error` through the route response. Never raises: an
exception reaching API Gateway would show the client "Internal server error".
"""

from __future__ import annotations

from typing import Any

from shared.actions import dispatch as actions
from shared.actions.caller import Caller
from shared.observability import calls, log
from shared.protocol import ErrorCode, ProtocolError, error_frame, parse_request, peek_request_id
from shared.state import rate_limit

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.reset()
    ctx = event.get("requestContext") or {}
    body = event.get("body")
    if event.get("isBase64Encoded"):
        body = None
    request_id = peek_request_id(body)
    invocation = log.begin(
        context,
        route=ctx.get("routeKey"),
        connectionId=ctx.get("connectionId"),
        userId=(ctx.get("authorizer") or {}).get("userId"),
        requestId=ctx.get("requestId"),
        clientRequestId=log.client_request_id(request_id),
    )
    fields: dict[str, Any] = {}
    fanout = None
    try:
        caller = Caller.from_event(event)
        request = parse_request(body)
        fields["action"] = request.action.value
        invocation.bind(action=request.action.value)
        limited = rate_limit.check(request.action, caller.connection_id)
        if limited is not None and limited.degraded:
            fields["rateLimit"] = "degraded"
        outcome = actions.dispatch(request, caller)
        reply = outcome.reply
        fanout = outcome.fanout
    except rate_limit.RateLimited as refused:
        reply = refused.frame(request_id)
        fields["error"] = refused.code.value
        fields["retryAfterMs"] = refused.decision.retry_after_ms
    except ProtocolError as error:
        reply = error_frame(error.code, error.message, request_id)
        fields["error"] = error.code.value
    except Exception:
        logger.exception("action failed")
        reply = error_frame(ErrorCode.INTERNAL_ERROR, "internal error, retry later", request_id)
        fields["error"] = ErrorCode.INTERNAL_ERROR.value
    invocation.finish(**fields, fanout=fanout, awsCalls=calls.counted())
    return {"statusCode": 200, "body": reply}
