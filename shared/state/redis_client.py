"""The Redis connection for presence and typing, with a circuit breaker.

Redis is never the source of truth: when it is unreachable, calls fail fast
(short timeouts, then skipped for a few seconds) and callers degrade instead
of failing the request.

redis-py is imported on first use, not at module import: it costs about 50 ms,
which only the routes that touch Redis should pay (benchmarks/cold_start.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from shared.config import on_change, settings
from shared.observability import calls
from shared.retries import REDIS

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEOUT_SECONDS = REDIS.read_timeout_seconds  # never retried: the circuit breaker answers
OPEN_CIRCUIT_SECONDS = 2.0

_lock = threading.Lock()
_client: redis.Redis | None = None
_down_until = 0.0


def _forget() -> None:
    """Settings changed: the next call connects to the (maybe new) REDIS_URL."""
    global _client, _down_until
    with _lock:
        _client, _down_until = None, 0.0


on_change(_forget)


class RedisUnavailable(Exception):
    """Redis is not configured, down, or was down a moment ago."""


def client() -> redis.Redis:
    """One client (and connection pool) per container, made on first use."""
    global _client
    with _lock:
        if _client is None:
            import redis

            url = settings().redis_url
            if not url:
                raise RedisUnavailable("REDIS_URL is not set")
            _client = redis.Redis.from_url(
                url,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS.connect_timeout_seconds,
                health_check_interval=30,
                decode_responses=True,
            )
        return _client


def call(operation: Callable[[redis.Redis], T]) -> T:
    """Run ``operation`` (one round trip: a command, a script or a pipeline) on Redis, or
    raise RedisUnavailable (at once while the circuit is open)."""
    global _down_until
    if time.monotonic() < _down_until:
        raise RedisUnavailable("redis was unreachable a moment ago")
    calls.record("redis.RoundTrip")
    import redis  # already loaded by client() unless it raised before

    try:
        return operation(client())
    except (redis.ConnectionError, redis.TimeoutError) as error:
        _down_until = time.monotonic() + OPEN_CIRCUIT_SECONDS
        log.warning("redis unavailable: %s", error)
        raise RedisUnavailable(str(error)) from error


def degrade(operation: Callable[[redis.Redis], T], fallback: T) -> T:
    """Like call(), but a Redis outage yields ``fallback`` (logged) instead of an error."""
    try:
        return call(operation)
    except RedisUnavailable:
        return fallback
