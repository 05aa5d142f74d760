"""Every client action ($default and one route per action).

Parses the frame, runs the action, and answers the sender with `ack` (or the
action's reply) or `error` through the route response. Never raises: an
exception reaching API Gateway would show the client "Internal server error".
"""

from __future__ import annotations

import time
from typing import Any

from shared import actions, aws, log
from shared.context import Caller
from shared.protocol import ErrorCode, ProtocolError, error_frame, parse_request, peek_request_id

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    aws.reset_calls()
    ctx = event.get("requestContext") or {}
    body = event.get("body")
    if event.get("isBase64Encoded"):
        body = None
    request_id = peek_request_id(body)
    fields: dict[str, Any] = {
        "route": ctx.get("routeKey"),
        "connectionId": ctx.get("connectionId"),
        "userId": (ctx.get("authorizer") or {}).get("userId"),
        "requestId": ctx.get("requestId"),
        "clientRequestId": request_id,
    }
    try:
        caller = Caller.from_event(event)
        request = parse_request(body)
        outcome = actions.dispatch(request, caller)
        reply = outcome.reply
        fields["action"] = request.action.value
        if outcome.fanout is not None:
            fields["fanout"] = outcome.fanout.as_dict()
    except ProtocolError as error:
        reply = error_frame(error.code, error.message, request_id)
        fields["error"] = error.code.value
    except Exception:
        logger.exception("action failed")
        reply = error_frame(ErrorCode.INTERNAL_ERROR, "internal error, retry later", request_id)
        fields["error"] = ErrorCode.INTERNAL_ERROR.value
    log.invocation(started, **fields, awsCalls=aws.calls())
    return {"statusCode": 200, "body": reply}
