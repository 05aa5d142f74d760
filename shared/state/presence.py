"""Presence state in Redis: live sessions per user, and chosen statuses.

A session lives from its connection's ``$connect`` to its ``$disconnect``, or until
the sweeper learns from API Gateway that the connection is gone: an idle connection
costs nothing here (clients keep it open with pings API Gateway answers itself, which
never reach a function). Each session carries a *check-by* time, the moment it has
gone a presence TTL without news; the sweeper asks API Gateway about the sessions
past it (shared/lifecycle/sessions.py ``sweep``) and renews or ends each.

Keys:
- ``sb:sess:{userId}``: sorted set, connectionId -> check-by (epoch ms). A user is
  online while the set has any member (multi-device). The key itself expires after
  two TTLs without a renewal (a safety net should the sweeper stop).
- ``sb:sessions``: sorted set, ``"{stage} {userId} {connectionId}"`` -> check-by;
  the sweeper reads the ones past it, get_stats all of them.
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

    from shared.state.rate_limit import Take

SESSIONS_KEY = "sb:sessions"
STATUS_TTL_SECONDS = 30 * 24 * 3600

_ADD = """
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
return before
"""

_REMOVE = """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return {removed, redis.call('ZCARD', KEYS[1])}
"""

# Renew a session still open (XX: never bring back one that ended meanwhile).
_RENEW = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[3])
  return 1
end
return 0
"""


def _user_key(user_id: str) -> str:
    return f"sb:sess:{user_id}"


def _status_key(user_id: str) -> str:
    return f"sb:status:{user_id}"


def _member(stage: str, user_id: str, connection_id: str) -> str:
    return f"{stage} {user_id} {connection_id}"


def ttl_seconds() -> int:
    return settings().presence_ttl_seconds


# API Gateway closes a connection that has been idle (no frame from the client) for 10
# minutes; a keep-alive comes well before that.
GATEWAY_IDLE_TIMEOUT_SECONDS = 600
KEEP_ALIVE_MAX_SECONDS = 540


def keep_alive_seconds() -> int:
    """How often clients send a ping: nine tenths of the TTL, and never near API
    Gateway's idle timeout (9 minutes at most)."""
    return max(1, min(KEEP_ALIVE_MAX_SECONDS, ttl_seconds() * 9 // 10))


def touch(stage: str, user_id: str, connection_id: str, take: Take | None = None) -> bool:
    """Register a session (or push back its check-by time: it was just heard from);
    True when this made the user come online. One round trip, the rate limiter's
    ``take`` included (RateLimited when it was refused; the session is refreshed
    anyway, which is harmless)."""
    now = clock.now_ms()
    expiry = now + ttl_seconds() * 1000

    def run(r: redis.Redis) -> list[Any]:
        pipe = r.pipeline(transaction=False)
        if take is not None:
            take.queue(pipe)
        pipe.eval(
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
        return list(pipe.execute())

    results = redis_client.call(run)
    if take is not None:
        take.decide(results[0])
    return int(results[-1]) == 0


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


def renew(stage: str, user_id: str, connection_id: str, check_by_ms: int) -> bool:
    """Set a session's next check-by time (the sweeper found it open); False when the
    session had ended meanwhile (nothing is brought back)."""

    def run(r: redis.Redis) -> int:
        return int(
            r.eval(
                _RENEW,
                2,
                _user_key(user_id),
                SESSIONS_KEY,
                connection_id,
                check_by_ms,
                _member(stage, user_id, connection_id),
                ttl_seconds() * 1000 * 2,
            )
        )

    return redis_client.call(run) == 1


@dataclass(frozen=True)
class ExpiredSession:
    """A session (named when sessions expired): where it is, and its check-by time
    (epoch ms; 0 when not read)."""

    stage: str
    user_id: str
    connection_id: str
    check_by_ms: int = 0


def _sessions(members: Any) -> list[ExpiredSession]:
    """Sessions from ``(member, score)`` pairs (ZRANGEBYSCORE ... WITHSCORES)."""
    found = []
    for member, score in members:
        text = member.decode() if isinstance(member, bytes) else str(member)
        parts = text.split(" ")
        if len(parts) == 3:
            found.append(ExpiredSession(parts[0], parts[1], parts[2], int(score)))
    return found


def expired_sessions(limit: int = 500) -> list[ExpiredSession]:
    """Sessions past their check-by time, to ask API Gateway about (oldest first)."""
    now = clock.now_ms()
    found: Any = redis_client.call(
        lambda r: r.zrangebyscore(
            SESSIONS_KEY, "-inf", f"({now}", start=0, num=limit, withscores=True
        )
    )
    return _sessions(found)


def online_many(user_ids: list[str]) -> dict[str, bool]:
    """Whether each user has a session: one pipelined round trip."""
    if not user_ids:
        return {}

    def run(r: redis.Redis) -> list[int]:
        pipe = r.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcard(_user_key(user_id))
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
    """Every session (for statistics)."""
    found: Any = redis_client.call(
        lambda r: r.zrangebyscore(SESSIONS_KEY, "-inf", "+inf", withscores=True)
    )
    return _sessions(found)


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
