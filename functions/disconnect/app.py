"""$disconnect: removes the connection and its room entries (best effort; TTL backs it up)."""

from __future__ import annotations

import time
from typing import Any

from shared import aws, connections, log

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    aws.reset_calls()
    ctx = event.get("requestContext") or {}
    connection_id = ctx.get("connectionId")
    fields = {
        "route": "$disconnect",
        "connectionId": connection_id,
        "userId": (ctx.get("authorizer") or {}).get("userId"),
        "requestId": ctx.get("requestId"),
        "reason": ctx.get("disconnectReason"),
    }
    try:
        if connection_id:
            connections.unregister(connection_id)
    except Exception:
        logger.exception("disconnect cleanup failed")
        log.invocation(started, **fields, status=500, awsCalls=aws.calls())
        return {"statusCode": 500}
    log.invocation(started, **fields, status=200, awsCalls=aws.calls())
    return {"statusCode": 200}
