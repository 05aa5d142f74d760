"""$disconnect: removes the connection, its room entries and its presence session
(best effort: API Gateway may never send it; TTLs and the sweeper back it up)."""

from __future__ import annotations

from typing import Any

from shared.actions.caller import management_endpoint
from shared.lifecycle import sessions
from shared.observability import calls, log

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.reset()
    ctx = event.get("requestContext") or {}
    connection_id = ctx.get("connectionId")
    user_id = (ctx.get("authorizer") or {}).get("userId")
    invocation = log.begin(
        context,
        route="$disconnect",
        connectionId=connection_id,
        userId=user_id,
        requestId=ctx.get("requestId"),
    )
    reason = ctx.get("disconnectReason")
    try:
        if connection_id:
            sessions.closed(
                connection_id,
                user_id if isinstance(user_id, str) else None,
                str(ctx.get("stage") or ""),
                management_endpoint(ctx),
            )
    except Exception:
        logger.exception("disconnect cleanup failed")
        invocation.finish(status=500, reason=reason, awsCalls=calls.counted())
        return {"statusCode": 500}
    invocation.finish(status=200, reason=reason, awsCalls=calls.counted())
    return {"statusCode": 200}
