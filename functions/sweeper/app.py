"""Scheduled sweeper (EventBridge, every minute): sessions whose $disconnect never came."""

from __future__ import annotations

from typing import Any

from shared.config import settings
from shared.invocation import GatewayEvent, lambda_handler
from shared.lifecycle import sessions
from shared.observability import log
from shared.state import redis_client

logger = log.setup()
# Batches of due sessions for at most this long per run (the function's timeout is 60 s;
# the schedule runs it every minute).
SWEEP_SECONDS = 40.0


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    result = {"swept": 0, "offline": 0, "error": True}
    return result, {**result, "failed": True}


@lambda_handler(route="sweeper", fields=lambda event: {}, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    try:
        result = sessions.sweep_for(settings().management_endpoint, SWEEP_SECONDS)
    except redis_client.RedisUnavailable:
        result = {"swept": 0, "offline": 0, "skipped": "redis unavailable"}
    report.update(result, failed="skipped" in result)
    return result
