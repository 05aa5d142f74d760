"""Typing state in Redis: who is typing in a chat, expiring 3 s after the last renewal.

``sb:typing:{chatId}`` is a sorted set userId -> expiry (epoch ms); the key
itself expires with its last renewal, so a client that crashed mid-typing
stops "typing" for everybody.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from shared import clock
from shared.state import redis_client

if TYPE_CHECKING:
    import redis

    from shared.state.rate_limit import Take

TYPING_TTL_MS = 3000


def _key(chat_id: str) -> str:
    return f"sb:typing:{chat_id}"


def _with_take(take: Take | None, queue: Any) -> None:
    """Run ``queue``'s commands (and the rate limiter's ``take`` first, when given) in one
    round trip; RateLimited when the take was refused. A Redis outage: nothing happens
    (typing degrades, and rate limiting fails open)."""

    def run(r: redis.Redis) -> list[Any]:
        pipe = r.pipeline(transaction=False)
        if take is not None:
            take.queue(pipe)
        queue(pipe)
        return list(pipe.execute())

    results = redis_client.degrade(run, None)
    if results is not None and take is not None:
        take.decide(results[0])


def start(chat_id: str, user_id: str, take: Take | None = None) -> int:
    """Mark the user typing; returns the expiry (epoch ms). One round trip, the rate
    limiter's ``take`` included."""
    expires_at = clock.now_ms() + TYPING_TTL_MS

    def queue(pipe: Any) -> None:
        pipe.zadd(_key(chat_id), {user_id: expires_at})
        pipe.pexpire(_key(chat_id), TYPING_TTL_MS)

    _with_take(take, queue)
    return expires_at


def stop(chat_id: str, user_id: str, take: Take | None = None) -> None:
    """The user stopped typing. One round trip, the rate limiter's ``take`` included."""
    _with_take(take, lambda pipe: pipe.zrem(_key(chat_id), user_id))


def who(chat_id: str) -> list[tuple[str, int]]:
    """Users typing now, with their expiry: one round trip."""
    now = clock.now_ms()

    def run(r: redis.Redis) -> list[tuple[str, float]]:
        return cast(
            list[tuple[str, float]], r.zrangebyscore(_key(chat_id), now, "+inf", withscores=True)
        )

    found: list[tuple[str, float]] = redis_client.degrade(run, [])
    return [(str(user_id), int(score)) for user_id, score in found]
