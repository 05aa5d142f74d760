"""Typing state in Redis: who is typing in a chat, expiring 3 s after the last renewal.

``sb:typing:{chatId}`` is a sorted set userId -> expiry (epoch ms); the key
itself expires with its last renewal, so a client that crashed mid-typing
stops "typing" for everybody.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from shared import clock
from shared.state import redis_client

if TYPE_CHECKING:
    import redis

TYPING_TTL_MS = 3000


def _key(chat_id: str) -> str:
    return f"sb:typing:{chat_id}"


def start(chat_id: str, user_id: str) -> int:
    """Mark the user typing; returns the expiry (epoch ms). One round trip."""
    expires_at = clock.now_ms() + TYPING_TTL_MS

    def run(r: redis.Redis) -> None:
        pipe = r.pipeline(transaction=True)
        pipe.zadd(_key(chat_id), {user_id: expires_at})
        pipe.pexpire(_key(chat_id), TYPING_TTL_MS)
        pipe.execute()

    redis_client.degrade(run, None)
    return expires_at


def stop(chat_id: str, user_id: str) -> None:
    redis_client.degrade(lambda r: r.zrem(_key(chat_id), user_id), 0)


def who(chat_id: str) -> list[tuple[str, int]]:
    """Users typing now, with their expiry: one round trip."""
    now = clock.now_ms()

    def run(r: redis.Redis) -> list[tuple[str, float]]:
        return cast(
            list[tuple[str, float]], r.zrangebyscore(_key(chat_id), now, "+inf", withscores=True)
        )

    found: list[tuple[str, float]] = redis_client.degrade(run, [])
    return [(str(user_id), int(score)) for user_id, score in found]
