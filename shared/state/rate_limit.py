"""Per-connection rate limits: a token bucket per connection and bucket, in Redis.

Every client action draws one token from its bucket before it is dispatched; an
empty bucket refuses the request with ``rate_limited`` and ``retryAfterMs``
(the time until a token is back), and nothing of the refused request happens.
Buckets are per connection, so a flooding client slows down nobody else.

Buckets (``message`` covers the actions that store and fan out a message;
actions named nowhere fall in ``default``):

| bucket | actions | burst | refill |
| --- | --- | --- | --- |
| ``message`` | message:send, message:edit, message:delete | 20 | 5/s |
| ``typing`` | typing:start, typing:stop | 10 | 2/s |
| ``heartbeat`` | presence:heartbeat | 10 | 1/s |
| ``default`` | every other action | 30 | 10/s |

``RATE_LIMITS`` (the ``RateLimits`` template parameter) overrides them:
``name=burst/rate`` entries separated by commas, where ``name`` is a bucket
above or an action (which then gets a bucket of its own), e.g.
``message=40/10,presence:set=5/0.5``; ``name=off`` exempts a bucket or an
action, ``off`` alone turns limiting off. Empty: the defaults.

One Redis round trip per request: a Lua script refills and takes atomically on
``sb:rl:{connectionId}:{bucket}`` (a hash of tokens and the refill time, by
Redis' own clock, so Lambda containers' clocks never disagree), and expires the
key once the bucket would be full again: idle buckets vanish. Redis is not the
source of truth: when it is unreachable, or answers with an error, the limiter
fails open (the request is served, the invocation is logged ``degraded``).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.config import settings
from shared.protocol import Action, ErrorCode, Event, ProtocolError, frame
from shared.state import redis_client

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "sb:rl:"
DEFAULT_BUCKET = "default"


@dataclass(frozen=True)
class Limit:
    """A bucket of ``burst`` tokens refilled at ``rate`` tokens per second."""

    burst: int
    rate: float

    def __post_init__(self) -> None:
        if self.burst < 1 or not math.isfinite(self.rate) or self.rate <= 0:
            raise ValueError(f"a limit needs burst >= 1 and rate > 0, not {self}")

    @property
    def ttl_ms(self) -> int:
        """How long an untouched bucket takes to refill completely (+1 s): after that a
        missing key and a full bucket are the same, so the key may expire."""
        return math.ceil(self.burst * 1000 / self.rate) + 1000


# A person typing never gets near these; a client loop or a script does within seconds.
DEFAULT_LIMITS: dict[str, Limit] = {
    # Sending, editing, deleting: each is a write plus one post per recipient.
    # A fast typist sends a message every second or two; 20 covers pasting a
    # list line by line or flushing an outbox after a reconnect.
    "message": Limit(20, 5),
    # typing:start is renewed every 2 s while typing (0.5/s); 2/s leaves room for
    # start/stop toggling across a few chats.
    "typing": Limit(10, 2),
    # Heartbeats are explicit checks now (keep-alives are pings, which reach no function);
    # anything near 1/s is a bug.
    "heartbeat": Limit(10, 1),
    # call:signal: a peer trickles its ICE candidates (a few to a few dozen per peer it
    # connects to) and renegotiates on screen sharing, all within seconds.
    "signal": Limit(120, 20),
    # Reactions, read receipts, sync, hello, presence:set, typing:list: reading
    # a busy chat marks messages read quickly, so this one is the loosest.
    DEFAULT_BUCKET: Limit(30, 10),
}

DEFAULT_ACTION_BUCKETS: dict[Action, str] = {
    Action.MESSAGE_SEND: "message",
    Action.MESSAGE_EDIT: "message",
    Action.MESSAGE_DELETE: "message",
    Action.TYPING_START: "typing",
    Action.TYPING_STOP: "typing",
    Action.PRESENCE_HEARTBEAT: "heartbeat",
    Action.CALL_SIGNAL: "signal",
}


@dataclass(frozen=True)
class Policy:
    """Which bucket each action draws from, and each bucket's limit (None: unlimited)."""

    limits: dict[str, Limit | None] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    action_buckets: dict[Action, str] = field(default_factory=lambda: dict(DEFAULT_ACTION_BUCKETS))

    def bucket(self, action: Action) -> tuple[str, Limit] | None:
        """The bucket ``action`` draws from and its limit, or None when it is not limited."""
        name = self.action_buckets.get(action, DEFAULT_BUCKET)
        limit = self.limits.get(name)
        return None if limit is None else (name, limit)


OFF = Policy(limits={}, action_buckets={})
_ENTRY = re.compile(r"([a-z:-]+)=(?:(off)|([0-9]+)/([0-9]+(?:\.[0-9]+)?))")  # whole entry


def parse(spec: str) -> Policy:
    """A Policy from ``RATE_LIMITS`` text (see the module docstring); ValueError if invalid."""
    spec = spec.strip()
    if not spec:
        return Policy()
    if spec.lower() == "off":
        return OFF
    limits: dict[str, Limit | None] = dict(DEFAULT_LIMITS)
    action_buckets = dict(DEFAULT_ACTION_BUCKETS)
    actions = {a.value: a for a in Action}
    for entry in (part.strip() for part in spec.split(",")):
        match = _ENTRY.fullmatch(entry)
        if match is None:
            raise ValueError(f"rate limit {entry!r} is not name=burst/rate or name=off")
        name, off, burst, rate = match.groups()
        if name in actions:
            action_buckets[actions[name]] = name  # an action named gets its own bucket
        elif name not in DEFAULT_LIMITS:
            raise ValueError(f"rate limit {name!r} is neither a bucket nor an action")
        limits[name] = None if off else Limit(int(burst), float(rate))
    return Policy(limits, action_buckets)


_policy_lock = threading.Lock()
_policy_cache: tuple[str, Policy] | None = None


def policy() -> Policy:
    """The Policy of ``settings().rate_limits`` (RATE_LIMITS), parsed once per value. An
    invalid value is logged and replaced by the defaults: a typo must not take the chat down."""
    global _policy_cache
    spec = settings().rate_limits
    with _policy_lock:
        if _policy_cache is None or _policy_cache[0] != spec:
            try:
                parsed = parse(spec)
            except ValueError:
                log.exception("invalid RATE_LIMITS, using the defaults")
                parsed = Policy()
            _policy_cache = (spec, parsed)
        return _policy_cache[1]


# ---------------------------------------------------------------- the bucket

# KEYS[1] the bucket; ARGV: burst, rate (tokens/s), cost, key TTL (ms), now (ms; empty:
# Redis' clock). Returns {allowed (0/1), retry after (ms), tokens left (floored)}.
_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[5])
if not now then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.max(1, math.ceil((cost - tokens) * 1000 / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', at)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, retry, math.floor(tokens)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    bucket: str
    retry_after_ms: int = 0
    remaining: int = 0
    degraded: bool = False


def key(connection_id: str, bucket: str) -> str:
    return f"{KEY_PREFIX}{connection_id}:{bucket}"


def take(
    r: redis.Redis,
    connection_id: str,
    bucket: str,
    limit: Limit,
    cost: int = 1,
    now_ms: int | None = None,
) -> Decision:
    """Refill the bucket and take ``cost`` tokens if it holds them: one round trip
    (EVALSHA; the script is loaded once after a Redis restart). ``now_ms`` replaces
    Redis' clock (tests)."""
    script = _script(r)
    allowed, retry, remaining = script(
        keys=[key(connection_id, bucket)],
        args=[limit.burst, repr(limit.rate), cost, limit.ttl_ms, "" if now_ms is None else now_ms],
        client=r,
    )
    return Decision(bool(allowed), bucket, int(retry), int(remaining))


_registered: Any = None


def _script(r: redis.Redis) -> Any:
    """The script object (its SHA is the same for every client; calls pass their client)."""
    global _registered
    if _registered is None:
        _registered = r.register_script(_TAKE)
    return _registered


class RateLimited(ProtocolError):
    """The connection's bucket for this action is empty; nothing was done."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(
            ErrorCode.RATE_LIMITED,
            f"too many requests ({decision.bucket}), retry in {decision.retry_after_ms} ms",
        )
        self.decision = decision

    def frame(self, request_id: str | int | None) -> str:
        data = {
            "code": self.code.value,
            "message": self.message,
            "retryAfterMs": self.decision.retry_after_ms,
        }
        return frame(Event.ERROR, data, request_id)


# Actions that make a Redis call of their own: their token is taken in that same round
# trip (``Take``, queued on the action's pipeline by shared/actions/typing.py and
# session.py), so check() leaves them alone.
RIDES_ALONG = frozenset({Action.TYPING_START, Action.TYPING_STOP, Action.PRESENCE_HEARTBEAT})


@dataclass(frozen=True)
class Take:
    """A token take queued on another call's pipeline: one round trip for both. The
    action's own commands run whatever the answer (refreshing a typing indicator or a
    session is harmless); a refused take then raises RateLimited, so nothing is sent."""

    bucket: str
    limit: Limit
    connection_id: str

    def queue(self, pipe: Any) -> None:
        limit = self.limit
        _script(pipe)(
            keys=[key(self.connection_id, self.bucket)],
            args=[limit.burst, repr(limit.rate), 1, limit.ttl_ms, ""],
            client=pipe,
        )

    def decide(self, result: Any) -> Decision:
        """The decision the queued take's result holds; RateLimited when refused."""
        allowed, retry, remaining = result
        decision = Decision(bool(allowed), self.bucket, int(retry), int(remaining))
        if not decision.allowed:
            raise RateLimited(decision)
        return decision


def take_for(action: Action, connection_id: str) -> Take | None:
    """The take to queue with ``action``'s own Redis call; None when it is not limited."""
    found = policy().bucket(action)
    return None if found is None else Take(found[0], found[1], connection_id)


def check(action: Action, connection_id: str) -> Decision | None:
    """Take a token for ``action`` on ``connection_id``, or raise RateLimited.

    None when the action is not limited, or takes its token with its own Redis call
    (RIDES_ALONG). Fails open: if Redis is unreachable (or errs) the request is
    allowed and the Decision says ``degraded``."""
    if action in RIDES_ALONG:
        return None
    found = policy().bucket(action)
    if found is None:
        return None
    bucket, limit = found
    import redis  # imported on first use (shared/redis_client.py says why)

    try:
        decision = redis_client.call(lambda r: take(r, connection_id, bucket, limit))
    except redis_client.RedisUnavailable:
        # redis_client logged the failure; the invocation line says "degraded".
        return Decision(True, bucket, degraded=True)
    except redis.RedisError as error:
        log.warning("rate limit not checked (%s): %s", bucket, error)
        return Decision(True, bucket, degraded=True)
    if not decision.allowed:
        raise RateLimited(decision)
    return decision
