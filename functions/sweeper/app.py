"""Scheduled sweeper (EventBridge, every minute): sessions whose $disconnect never came."""

from __future__ import annotations

import time
from typing import Any

from shared import aws, log, redis_client, sessions
from shared.config import settings

logger = log.setup()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    aws.reset_calls()
    try:
        result = sessions.sweep(settings().management_endpoint)
    except redis_client.RedisUnavailable:
        result = {"swept": 0, "offline": 0, "skipped": "redis unavailable"}
    except Exception:
        logger.exception("sweep failed")
        result = {"swept": 0, "offline": 0, "error": True}
    log.invocation(started, route="sweeper", **result, awsCalls=aws.calls())
    return result
