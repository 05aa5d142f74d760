"""Scheduled sweeper (EventBridge, every minute): sessions whose $disconnect never came."""

from __future__ import annotations

from typing import Any

from shared import aws, log, redis_client, sessions
from shared.config import settings

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    aws.reset_calls()
    invocation = log.begin(context, route="sweeper")
    try:
        result = sessions.sweep(settings().management_endpoint)
    except redis_client.RedisUnavailable:
        result = {"swept": 0, "offline": 0, "skipped": "redis unavailable"}
    except Exception:
        logger.exception("sweep failed")
        result = {"swept": 0, "offline": 0, "error": True}
    failed = "error" in result or "skipped" in result
    invocation.finish(**result, failed=failed, awsCalls=aws.calls())
    return result
