"""$disconnect: removes the connection, its room entries and its presence session
(best effort: API Gateway may never send it; TTLs and the sweeper back it up)."""

from __future__ import annotations

from typing import Any

from shared.invocation import GatewayEvent, lambda_handler
from shared.lifecycle import sessions
from shared.observability import log

logger = log.setup()


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"statusCode": 500}, {"status": 500, "reason": event.disconnect_reason}


@lambda_handler(route="$disconnect", failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    if event.connection_id is not None:
        sessions.closed(event.connection_id, event.user_id, event.stage, event.management_endpoint)
    report.update(status=200, reason=event.disconnect_reason)
    return {"statusCode": 200}
