"""The token bucket against a real Redis (the unit session's redis-server), its configuration,
and the check the event function makes: one round trip, fails open."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from shared.observability import calls
from shared.protocol import Action
from shared.state import rate_limit, redis_client
from shared.state.rate_limit import DEFAULT_LIMITS, Limit, Policy, RateLimited, parse, take


@pytest.fixture(scope="module")
def r(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def conn() -> str:
    return f"conn-{uuid.uuid4().hex[:10]}="


# ---------------------------------------------------------------- bucket maths

T0 = 1_700_000_000_000


def test_a_fresh_bucket_serves_its_burst_then_refuses_with_the_time_to_a_token(
    r: redis.Redis, conn: str
) -> None:
    limit = Limit(burst=3, rate=2)  # a token every 500 ms
    served = [take(r, conn, "message", limit, now_ms=T0) for _ in range(3)]
    assert [d.allowed for d in served] == [True, True, True]
    assert [d.remaining for d in served] == [2, 1, 0]
    refused = take(r, conn, "message", limit, now_ms=T0)
    assert (refused.allowed, refused.retry_after_ms, refused.bucket) == (False, 500, "message")
    # 200 ms later, 0.4 of a token is back: 300 ms to go.
    assert take(r, conn, "message", limit, now_ms=T0 + 200).retry_after_ms == 300
    # Refusals take nothing: at the announced time, a token is there.
    assert take(r, conn, "message", limit, now_ms=T0 + 499).allowed is False
    assert take(r, conn, "message", limit, now_ms=T0 + 500).allowed is True
    assert take(r, conn, "message", limit, now_ms=T0 + 500).allowed is False


def test_the_refill_is_continuous_and_capped_at_the_burst(r: redis.Redis, conn: str) -> None:
    limit = Limit(burst=4, rate=10)
    for _ in range(4):
        assert take(r, conn, "b", limit, now_ms=T0).allowed
    # 250 ms at 10/s: 2.5 tokens, of which two can be taken.
    assert [take(r, conn, "b", limit, now_ms=T0 + 250).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    # The half token left over counts: 50 ms more make one.
    assert take(r, conn, "b", limit, now_ms=T0 + 300).allowed
    # An hour idle refills to the burst, no more.
    later = [take(r, conn, "b", limit, now_ms=T0 + 3_600_000) for _ in range(5)]
    assert [d.allowed for d in later] == [True] * 4 + [False]


def test_a_steady_flood_is_served_at_the_refill_rate(r: redis.Redis, conn: str) -> None:
    limit = Limit(burst=5, rate=5)
    served = sum(
        take(r, conn, "b", limit, now_ms=T0 + ms).allowed for ms in range(0, 10_000, 10)
    )  # 100 requests a second for 10 s
    assert served in (54, 55)  # the burst, then 5/s for 9.99 s


def test_buckets_are_per_connection_and_per_name(r: redis.Redis, conn: str) -> None:
    limit = Limit(burst=1, rate=1)
    assert take(r, conn, "message", limit, now_ms=T0).allowed
    assert not take(r, conn, "message", limit, now_ms=T0).allowed
    assert take(r, conn, "typing", limit, now_ms=T0).allowed
    assert take(r, conn + "other", "message", limit, now_ms=T0).allowed


def test_idle_buckets_expire_once_they_would_be_full_again(r: redis.Redis, conn: str) -> None:
    limit = Limit(burst=20, rate=5)
    take(r, conn, "message", limit)
    ttl = r.pttl(rate_limit.key(conn, "message"))
    assert 0 < ttl <= limit.ttl_ms == 20 * 1000 // 5 + 1000
    assert r.hgetall(rate_limit.key(conn, "message")).keys() == {"tokens", "at"}


def test_redis_clock_is_used_when_no_time_is_given(r: redis.Redis, conn: str) -> None:
    limit = Limit(burst=1, rate=0.5)
    assert take(r, conn, "b", limit).allowed
    refused = take(r, conn, "b", limit)
    assert not refused.allowed and 1900 <= refused.retry_after_ms <= 2000


def test_limits_must_be_positive() -> None:
    for burst, rate in ((0, 1), (1, 0), (1, -1), (1, float("inf"))):
        with pytest.raises(ValueError):
            Limit(burst, rate)


# ---------------------------------------------------------------- configuration


def test_empty_means_the_defaults() -> None:
    policy = parse("")
    assert policy == Policy()
    assert policy.bucket(Action.MESSAGE_SEND) == ("message", DEFAULT_LIMITS["message"])
    assert policy.bucket(Action.MESSAGE_EDIT) == ("message", DEFAULT_LIMITS["message"])
    assert policy.bucket(Action.TYPING_START) == ("typing", DEFAULT_LIMITS["typing"])
    assert policy.bucket(Action.TYPING_STOP) == ("typing", DEFAULT_LIMITS["typing"])
    assert policy.bucket(Action.PRESENCE_HEARTBEAT) == ("heartbeat", DEFAULT_LIMITS["heartbeat"])
    assert policy.bucket(Action.MESSAGE_REACT) == ("default", DEFAULT_LIMITS["default"])
    assert policy.bucket(Action.SYNC) == ("default", DEFAULT_LIMITS["default"])
    # A person never gets near the defaults: more than a message a second, sustained.
    assert all(limit.rate >= 1 and limit.burst >= 10 for limit in DEFAULT_LIMITS.values())


def test_buckets_and_actions_can_be_overridden_or_exempted() -> None:
    policy = parse(" message=3/0.5 , presence:set=2/1,typing=off")
    assert policy.bucket(Action.MESSAGE_SEND) == ("message", Limit(3, 0.5))
    assert policy.bucket(Action.PRESENCE_SET) == ("presence:set", Limit(2, 1))
    assert policy.bucket(Action.TYPING_START) is None
    assert policy.bucket(Action.HELLO) == ("default", DEFAULT_LIMITS["default"])
    assert parse("message:react=off").bucket(Action.MESSAGE_REACT) is None
    assert parse("message:react=off").bucket(Action.MESSAGE_UNREACT) is not None
    assert all(parse("off").bucket(action) is None for action in Action)


@pytest.mark.parametrize(
    "spec",
    [
        "message",
        "message=1",
        "message=a/1",
        "nope=1/1",
        "message=0/1",
        "message=1/0",
        "message=1/1,",
        "MESSAGE=1/1",
        "message=\u0663/1",  # an Arabic-Indic three: str.isdigit and \\d take it
        "message=1/\uff11",  # a fullwidth one
        "message=1/1\x00",
    ],
)
def test_invalid_limits_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse(spec)


def test_the_template_pattern_accepts_what_the_parser_accepts() -> None:
    import re

    from cfnlint.decode import decode

    from tests.conftest import ROOT

    decoded, _ = decode(str(ROOT / "template.yaml"))
    pattern = re.compile(decoded["Parameters"]["RateLimits"]["AllowedPattern"])
    for spec in ["", "off", "message=20/5", "message=3/0.5,presence:set=2/1,typing=off"]:
        assert pattern.match(spec), spec
        parse(spec)
    for spec in ["message", "message=a/1", "message=1/1,", "message=1/1;x=1/1"]:
        assert not pattern.match(spec), spec


def test_an_invalid_environment_value_falls_back_to_the_defaults(
    configure: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(rate_limits="message=lots")
    assert rate_limit.policy() == Policy()
    configure(rate_limits="message=2/1")
    assert rate_limit.policy().bucket(Action.MESSAGE_SEND) == ("message", Limit(2, 1))


# ---------------------------------------------------------------- the check


@pytest.fixture
def limited(
    configure: Callable[..., Any], r: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> redis.Redis:
    """check() on the test Redis with message=2/1."""
    configure(rate_limits="message=2/1")
    monkeypatch.setattr(redis_client, "client", lambda: r)
    monkeypatch.setattr(redis_client, "_down_until", 0.0)
    return r


def test_check_costs_one_round_trip_and_refuses_with_retry_after(
    limited: redis.Redis, conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rate_limit.check(Action.MESSAGE_SEND, "warm-up")  # loads the script on a fresh Redis
    sent_to_redis: list[Any] = []
    send = redis.connection.Connection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        sent_to_redis.append(command)
        send(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)
    calls.reset()
    decision = rate_limit.check(Action.MESSAGE_SEND, conn)
    assert calls.counted().get("redis.RoundTrip") == 1
    assert len(sent_to_redis) == 1  # one EVALSHA, one round trip
    assert decision is not None and decision.allowed and not decision.degraded
    assert rate_limit.check(Action.MESSAGE_SEND, conn) is not None
    with pytest.raises(RateLimited) as refused:
        rate_limit.check(Action.MESSAGE_SEND, conn)
    assert 0 < refused.value.decision.retry_after_ms <= 1000
    sent = json.loads(refused.value.frame("r9"))
    assert sent == {
        "event": "error",
        "requestId": "r9",
        "data": {
            "code": "rate_limited",
            "message": sent["data"]["message"],
            "retryAfterMs": refused.value.decision.retry_after_ms,
        },
    }
    # Other buckets of the same connection are untouched.
    assert rate_limit.check(Action.CHAT_READ_ALL, conn) is not None


@pytest.mark.parametrize("action", sorted(rate_limit.RIDES_ALONG))
def test_actions_with_a_redis_call_of_their_own_are_not_checked_apart(
    limited: redis.Redis, conn: str, action: Action
) -> None:
    calls.reset()
    assert rate_limit.check(action, conn) is None
    assert calls.counted() == {}
    assert rate_limit.take_for(action, conn) is not None


def test_a_take_queued_on_a_pipeline_decides_like_check(limited: redis.Redis, conn: str) -> None:
    take = rate_limit.take_for(Action.TYPING_START, conn)
    assert take is not None

    def once() -> Any:
        pipe = limited.pipeline(transaction=False)
        take.queue(pipe)
        pipe.incr("sb:test:side-effect")
        return pipe.execute()

    burst = take.limit.burst
    for _ in range(burst):
        result = once()
        assert take.decide(result[0]).allowed
    result = once()  # the action's own command ran in the same round trip
    with pytest.raises(RateLimited):
        take.decide(result[0])
    assert int(limited.get("sb:test:side-effect") or 0) == burst + 1


def test_exempt_actions_cost_no_round_trip(
    configure: Callable[..., Any], limited: redis.Redis, conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(rate_limits="off")
    calls.reset()
    assert rate_limit.check(Action.MESSAGE_SEND, conn) is None
    assert "redis.RoundTrip" not in calls.counted()


def test_check_fails_open_when_redis_is_down_or_errs(
    configure: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, conn: str
) -> None:
    def down(operation: Any) -> Any:
        raise redis_client.RedisUnavailable("down")

    monkeypatch.setattr(redis_client, "call", down)
    configure(rate_limits="message=1/1")
    for _ in range(5):
        decision = rate_limit.check(Action.MESSAGE_SEND, conn)
        assert decision is not None and decision.allowed and decision.degraded

    def broken(operation: Any) -> Any:
        raise redis.ResponseError("OOM command not allowed")

    monkeypatch.setattr(redis_client, "call", broken)
    decision = rate_limit.check(Action.MESSAGE_SEND, conn)
    assert decision is not None and decision.allowed and decision.degraded
