"""$connect: registers the connection, joins its rooms (user + every chat) and its
presence session; a user's first session announces them online to their contacts.

A connection can't be posted to during its own $connect (API Gateway answers
410), so the greeting comes later, in answer to the client's `hello`.
"""

from __future__ import annotations

import time
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
        route="$connect",
        connectionId=connection_id,
        userId=user_id,
        requestId=ctx.get("requestId"),
    )
    if not connection_id or not isinstance(user_id, str) or not user_id:
        invocation.finish(status=401)
        return {"statusCode": 401}
    try:
        chats = sessions.opened(
            connection_id,
            user_id,
            str(ctx.get("stage") or ""),
            int(ctx.get("connectedAt") or time.time() * 1000),
            (ctx.get("identity") or {}).get("sourceIp"),
            management_endpoint(ctx),
        )
    except Exception:
        logger.exception("connect failed")
        invocation.finish(status=500, awsCalls=calls.counted())
        return {"statusCode": 500}
    invocation.finish(status=200, chats=len(chats), awsCalls=calls.counted())
    return {"statusCode": 200}
