"""Presence state in Redis: live sessions per user with TTLs, and chosen statuses.

Keys:
- ``sb:sess:{userId}``: sorted set, connectionId -> expiry (epoch ms). A user is
  online while any member's expiry is in the future (multi-device).
- ``sb:sessions``: sorted set, ``"{stage} {userId} {connectionId}"`` -> expiry;
  the sweeper reads the expired ones, get_stats the live ones.
- ``sb:status:{userId}``: hash {status, text}: "online" | "away" | "busy".

Each transition is one Lua script (one round trip, atomic), which says whether
the user just came online or went offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared import clock
from shared.config import settings
from shared.state import redis_client

if TYPE_CHECKING:
    import redis

SESSIONS_KEY = "sb:sessions"
STATUS_TTL_SECONDS = 30 * 24 * 3600

_ADD = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return before
"""

_REMOVE = """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
local remaining = redis.call('ZCOUNT', KEYS[1], ARGV[3], '+inf')
if removed == 1 and remaining == 0 then
  -- Offline now. Expired sessions of the user still waiting for the sweeper must not
  -- announce it again when swept: forget them here (the sweeper still finds them in
  -- KEYS[2] and removes their records; ending them then returns removed = 0).
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
end
return {removed, remaining}
"""


def _user_key(user_id: str) -> str:
    return f"sb:sess:{user_id}"


def _status_key(user_id: str) -> str:
    return f"sb:status:{user_id}"


def _member(stage: str, user_id: str, connection_id: str) -> str:
    return f"{stage} {user_id} {connection_id}"


def ttl_seconds() -> int:
    return settings().presence_ttl_seconds


def heartbeat_interval_seconds() -> int:
    """Clients heartbeat twice per TTL, so one lost heartbeat never flips presence."""
    return max(1, ttl_seconds() // 2)


def touch(stage: str, user_id: str, connection_id: str) -> bool:
    """Register or renew a session; True when this made the user come online."""
    now = clock.now_ms()
    expiry = now + ttl_seconds() * 1000

    def run(r: redis.Redis) -> int:
        return int(
            r.eval(
                _ADD,
                2,
                _user_key(user_id),
                SESSIONS_KEY,
                connection_id,
                expiry,
                now,
                _member(stage, user_id, connection_id),
                ttl_seconds() * 1000 * 2,
            )
        )

    return redis_client.call(run) == 0


def end(stage: str, user_id: str, connection_id: str) -> bool:
    """Remove a session; True when this made the user offline: it was theirs and no
    live session of theirs is left.

    Once True, the user's other expired sessions are forgotten, so sweeping them
    later (or together) returns False; so does removing a session that is already
    gone (swept, or lost with a Redis restart): an offline announcement is made once.
    """

    def run(r: redis.Redis) -> list[int]:
        return list(
            r.eval(
                _REMOVE,
                2,
                _user_key(user_id),
                SESSIONS_KEY,
                connection_id,
                _member(stage, user_id, connection_id),
                clock.now_ms(),
            )
        )

    removed, remaining = redis_client.call(run)
    return int(removed) == 1 and int(remaining) == 0


@dataclass(frozen=True)
class ExpiredSession:
    stage: str
    user_id: str
    connection_id: str


def expired_sessions(limit: int = 500) -> list[ExpiredSession]:
    """Sessions whose TTL ran out without a $disconnect (oldest first)."""
    members = redis_client.call(
        lambda r: r.zrangebyscore(SESSIONS_KEY, "-inf", f"({clock.now_ms()}", start=0, num=limit)
    )
    found = []
    for member in members:
        parts = str(member).split(" ")
        if len(parts) == 3:
            found.append(ExpiredSession(*parts))
    return found


def online_many(user_ids: list[str]) -> dict[str, bool]:
    """Whether each user has a live session: one pipelined round trip."""
    if not user_ids:
        return {}
    now = clock.now_ms()

    def run(r: redis.Redis) -> list[int]:
        pipe = r.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcount(_user_key(user_id), now, "+inf")
        return list(pipe.execute())

    counts = redis_client.call(run)
    return {user_id: int(count) > 0 for user_id, count in zip(user_ids, counts, strict=True)}


def set_status(user_id: str, status: str, text: str | None) -> None:
    def run(r: redis.Redis) -> None:
        pipe = r.pipeline(transaction=True)
        pipe.delete(_status_key(user_id))
        pipe.hset(_status_key(user_id), mapping={"status": status, "text": text or ""})
        pipe.expire(_status_key(user_id), STATUS_TTL_SECONDS)
        pipe.execute()

    redis_client.call(run)


def statuses(user_ids: list[str]) -> dict[str, dict[str, str]]:
    """Chosen statuses ({status, text}) of users who set one: one pipelined round trip."""
    if not user_ids:
        return {}

    def run(r: redis.Redis) -> list[dict[str, str]]:
        pipe = r.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.hgetall(_status_key(user_id))
        return list(pipe.execute())

    found = redis_client.call(run)
    return {u: s for u, s in zip(user_ids, found, strict=True) if s}


def live_sessions() -> list[ExpiredSession]:
    """Every live session (for statistics)."""
    members = redis_client.call(lambda r: r.zrangebyscore(SESSIONS_KEY, clock.now_ms(), "+inf"))
    parts = (str(member).split(" ") for member in members)
    return [ExpiredSession(*p) for p in parts if len(p) == 3]


# ---------------------------------------------------------------- large chats

# Chats over the presence announce limit hear no per-user status changes; instead
# each keeps the set of its members who are online, which `chat:presence` pages.


def _chat_online_key(chat_id: str) -> str:
    return f"sb:chat-online:{chat_id}"


def track(chat_ids: list[str], user_id: str, online: bool) -> None:
    """Add the user to (or remove them from) the online sets of large chats: one round trip."""
    if not chat_ids:
        return

    def run(r: redis.Redis) -> None:
        pipe = r.pipeline(transaction=False)
        for chat_id in chat_ids:
            if online:
                pipe.sadd(_chat_online_key(chat_id), user_id)
            else:
                pipe.srem(_chat_online_key(chat_id), user_id)
        pipe.execute()

    redis_client.call(run)


def chat_online(chat_id: str, cursor: int = 0, count: int = 100) -> tuple[int, list[str], int]:
    """One page of a large chat's online members: (next cursor, 0 when done; user ids;
    how many are online in all), in one round trip (SSCAN + SCARD)."""

    def run(r: redis.Redis) -> list[Any]:
        pipe = r.pipeline(transaction=False)
        pipe.sscan(_chat_online_key(chat_id), cursor, count=count)
        pipe.scard(_chat_online_key(chat_id))
        return list(pipe.execute())

    (next_cursor, members), total = redis_client.call(run)
    users = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)
    return int(next_cursor), users, int(total)
