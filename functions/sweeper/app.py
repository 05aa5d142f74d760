"""Scheduled sweeper (EventBridge, every minute): sessions whose $disconnect never came."""

from __future__ import annotations

from typing import Any

from shared.config import settings
from shared.lifecycle import sessions
from shared.observability import calls, log
from shared.state import redis_client

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.reset()
    invocation = log.begin(context, route="sweeper")
    try:
        result = sessions.sweep(settings().management_endpoint)
    except redis_client.RedisUnavailable:
        result = {"swept": 0, "offline": 0, "skipped": "redis unavailable"}
    except Exception:
        logger.exception("sweep failed")
        result = {"swept": 0, "offline": 0, "error": True}
    failed = "error" in result or "skipped" in result
    invocation.finish(**result, failed=failed, awsCalls=calls.counted())
    return result
