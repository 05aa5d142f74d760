"""$connect: registers the connection, joins its rooms (user + every chat) and its
presence session; a user's first session announces them online to their contacts.

A connection can't be posted to during its own $connect (API Gateway answers
410), so the greeting comes later, in answer to the client's `hello`.
"""

from __future__ import annotations

from typing import Any

from shared import clock
from shared.invocation import GatewayEvent, lambda_handler
from shared.lifecycle import sessions
from shared.observability import log

logger = log.setup()


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"statusCode": 500}, {"status": 500}  # the handshake is refused


@lambda_handler(route="$connect", failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    if event.connection_id is None or event.user_id is None:
        report["status"] = 401
        return {"statusCode": 401}
    chats = sessions.opened(
        event.connection_id,
        event.user_id,
        event.stage,
        event.connected_at or clock.now_ms(),
        event.source_ip,
        event.management_endpoint,
    )
    report.update(status=200, chats=len(chats))
    return {"statusCode": 200}
