"""shared.state.presence: sessions per user in Redis, their check-by times, renewals, statuses."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis

from shared import clock, config
from shared.observability import calls
from shared.state import presence
from shared.state.presence import SESSIONS_KEY, ExpiredSession
from shared.state.redis_client import RedisUnavailable
from tests import waits

Configure = Callable[..., config.Settings]
T0 = 1_800_000_000_000
TTL_S = 600  # the default PRESENCE_TTL_SECONDS
TTL_MS = TTL_S * 1000


class Clock:
    """``shared.clock.now_ms`` as the domain sees it, moved by hand."""

    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def r(configure: Configure, redis_url: str) -> Iterator[redis.Redis]:
    """The session's real redis-server, flushed, with settings pointing at it."""
    configure(redis_url=redis_url, presence_ttl_seconds=TTL_S)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    calls.reset()
    yield client
    client.close()


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch, r: redis.Redis) -> Clock:
    fake = Clock()
    monkeypatch.setattr(clock, "now_ms", fake)
    return fake


def online(user_id: str) -> bool:
    return presence.online_many([user_id])[user_id]


# ---------------------------------------------------------------- TTL and heartbeats


def test_the_ttl_comes_from_the_settings(configure: Configure) -> None:
    configure(presence_ttl_seconds=90)
    assert presence.ttl_seconds() == 90


@pytest.mark.parametrize(("ttl", "interval"), [(600, 540), (3600, 540), (130, 117), (3, 2), (1, 1)])
def test_clients_keep_alive_at_nine_tenths_of_the_ttl_and_at_most_every_nine_minutes(
    configure: Configure, ttl: int, interval: int
) -> None:
    configure(presence_ttl_seconds=ttl)
    assert presence.keep_alive_seconds() == interval
    assert interval < presence.GATEWAY_IDLE_TIMEOUT_SECONDS


# ---------------------------------------------------------------- sessions


def test_a_first_session_brings_the_user_online(now: Clock) -> None:
    assert presence.touch("prod", "alice", "c1") is True
    assert online("alice") is True


def test_a_second_device_or_a_renewal_does_not_bring_the_user_online_again(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    assert presence.touch("prod", "alice", "c2") is False
    assert presence.touch("prod", "alice", "c1") is False


def test_touch_is_one_round_trip(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    assert calls.counted() == {"redis.RoundTrip": 1}


def test_a_session_stays_online_past_its_check_by_time_until_it_is_ended(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    now.ms += 10 * TTL_MS  # idle: no news is not bad news; the sweeper asks API Gateway
    assert online("alice") is True
    assert presence.end("prod", "alice", "c1") is True
    assert online("alice") is False


def test_a_user_is_online_while_any_device_is(now: Clock) -> None:
    presence.touch("prod", "alice", "phone")
    presence.touch("prod", "alice", "laptop")
    presence.end("prod", "alice", "phone")
    assert online("alice") is True


def test_the_users_key_expires_in_redis_after_twice_the_ttl(now: Clock, r: redis.Redis) -> None:
    presence.touch("prod", "alice", "c1")
    assert TTL_MS < r.pttl("sb:sess:alice") <= 2 * TTL_MS


def test_a_session_nobody_renews_is_forgotten_with_its_key_in_real_time(
    configure: Configure, r: redis.Redis
) -> None:
    """The safety net should the sweeper stop: the user's key expires after two TTLs."""
    configure(presence_ttl_seconds=1)
    presence.touch("prod", "alice", "c1")
    assert online("alice") is True
    deadline = time.monotonic() + waits.after(2)
    while online("alice"):
        assert time.monotonic() < deadline, "the key outlived twice its TTL"
        time.sleep(0.05)


# ---------------------------------------------------------------- renewing (the sweeper)


def test_renew_sets_the_next_check_by_time(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    now.ms += TTL_MS + 1
    (due,) = presence.expired_sessions()
    assert due == ExpiredSession("prod", "alice", "c1", T0 + TTL_MS)
    assert presence.renew("prod", "alice", "c1", now.ms + TTL_MS) is True
    assert presence.expired_sessions() == []
    assert presence.live_sessions() == [ExpiredSession("prod", "alice", "c1", now.ms + TTL_MS)]


def test_renew_never_brings_back_a_session_that_ended(now: Clock, r: redis.Redis) -> None:
    presence.touch("prod", "alice", "c1")
    presence.end("prod", "alice", "c1")
    assert presence.renew("prod", "alice", "c1", now.ms + TTL_MS) is False
    assert online("alice") is False
    assert presence.live_sessions() == []
    assert r.exists("sb:sess:alice") == 0


def test_renew_pushes_back_the_users_key_expiry(now: Clock, r: redis.Redis) -> None:
    presence.touch("prod", "alice", "c1")
    r.pexpire("sb:sess:alice", 1000)
    presence.renew("prod", "alice", "c1", now.ms + TTL_MS)
    assert r.pttl("sb:sess:alice") > TTL_MS


# ---------------------------------------------------------------- ending a session


def test_ending_the_last_session_takes_the_user_offline(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    presence.touch("prod", "alice", "c2")
    assert presence.end("prod", "alice", "c1") is False  # c2 still there
    assert online("alice") is True
    assert presence.end("prod", "alice", "c2") is True
    assert online("alice") is False


def test_ending_a_session_that_is_already_gone_announces_nothing(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    assert presence.end("prod", "alice", "c1") is True
    assert presence.end("prod", "alice", "c1") is False
    assert presence.end("prod", "bob", "never-seen") is False


def test_a_user_whose_sessions_all_end_is_announced_offline_once(now: Clock) -> None:
    presence.touch("prod", "alice", "tab-1")  # e.g. two tabs of a laptop that went to sleep
    presence.touch("prod", "alice", "tab-2")
    now.ms += TTL_MS + 1
    swept = [presence.end(s.stage, s.user_id, s.connection_id) for s in presence.expired_sessions()]
    assert swept == [False, True]


def test_ending_a_session_removes_it_from_the_sessions_index(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    presence.end("prod", "alice", "c1")
    now.ms += TTL_MS + 1
    assert presence.expired_sessions() == []
    assert presence.live_sessions() == []


# ---------------------------------------------------------------- sessions past their check-by time


def test_expired_sessions_lists_sessions_past_their_check_by_time_oldest_first(
    now: Clock,
) -> None:
    presence.touch("prod", "alice", "c1")
    now.ms += 10
    presence.touch("dev", "bob", "c2")
    now.ms += 10
    presence.touch("prod", "carol", "c3")
    now.ms = T0 + TTL_MS + 15  # alice's and bob's are due, carol's not yet
    assert presence.expired_sessions() == [
        ExpiredSession("prod", "alice", "c1", T0 + TTL_MS),
        ExpiredSession("dev", "bob", "c2", T0 + 10 + TTL_MS),
    ]


def test_a_session_is_not_due_at_the_instant_of_its_check_by_time(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    now.ms += TTL_MS
    assert presence.expired_sessions() == []
    now.ms += 1
    assert [s.connection_id for s in presence.expired_sessions()] == ["c1"]


def test_expired_sessions_returns_at_most_limit(now: Clock) -> None:
    for i in range(5):
        presence.touch("prod", f"u{i}", f"c{i}")
        now.ms += 1
    now.ms += TTL_MS
    found = presence.expired_sessions(limit=2)
    assert [s.user_id for s in found] == ["u0", "u1"]


def test_a_session_heard_from_again_is_not_due(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    now.ms += TTL_MS
    presence.touch("prod", "alice", "c1")  # any action through a function
    now.ms += 1
    assert presence.expired_sessions() == []


def test_malformed_index_members_are_skipped(now: Clock, r: redis.Redis) -> None:
    r.zadd(SESSIONS_KEY, {"no-spaces": T0 - 1, "one two three four": T0 - 1, "p u c": T0 - 1})
    assert presence.expired_sessions() == [ExpiredSession("p", "u", "c", T0 - 1)]
    r.zadd(SESSIONS_KEY, {"bad": T0 + 10, "p2 u2 c2": T0 + 10})
    assert [s.connection_id for s in presence.live_sessions()] == ["c", "c2"]


def test_live_sessions_lists_every_session_of_every_stage(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    presence.touch("dev", "bob", "c2")
    now.ms += 10 * TTL_MS
    assert sorted((s.stage, s.user_id) for s in presence.live_sessions()) == [
        ("dev", "bob"),
        ("prod", "alice"),
    ]


# ---------------------------------------------------------------- online_many


def test_online_many_answers_for_each_user_in_one_round_trip(now: Clock) -> None:
    presence.touch("prod", "alice", "c1")
    calls.reset()
    assert presence.online_many(["alice", "bob", "alice"]) == {"alice": True, "bob": False}
    assert calls.counted() == {"redis.RoundTrip": 1}


def test_online_many_of_nobody_asks_redis_nothing(now: Clock) -> None:
    assert presence.online_many([]) == {}
    assert calls.counted() == {}


# ---------------------------------------------------------------- statuses


def test_a_chosen_status_is_read_back_with_its_text(now: Clock) -> None:
    presence.set_status("alice", "busy", "in a meeting")
    assert presence.statuses(["alice"]) == {"alice": {"status": "busy", "text": "in a meeting"}}


def test_a_status_without_text_has_empty_text(now: Clock) -> None:
    presence.set_status("alice", "away", None)
    assert presence.statuses(["alice"]) == {"alice": {"status": "away", "text": ""}}


def test_a_new_status_replaces_the_old_one_and_its_text(now: Clock) -> None:
    presence.set_status("alice", "busy", "in a meeting")
    presence.set_status("alice", "online", None)
    assert presence.statuses(["alice"]) == {"alice": {"status": "online", "text": ""}}


def test_statuses_leaves_out_users_who_chose_none_in_one_round_trip(now: Clock) -> None:
    presence.set_status("bob", "away", "lunch")
    calls.reset()
    assert presence.statuses(["alice", "bob", "carol"]) == {
        "bob": {"status": "away", "text": "lunch"}
    }
    assert calls.counted() == {"redis.RoundTrip": 1}


def test_statuses_of_nobody_asks_redis_nothing(now: Clock) -> None:
    assert presence.statuses([]) == {}
    assert calls.counted() == {}


def test_a_status_is_kept_thirty_days(now: Clock, r: redis.Redis) -> None:
    presence.set_status("alice", "busy", None)
    assert presence.STATUS_TTL_SECONDS == 30 * 24 * 3600
    assert (
        presence.STATUS_TTL_SECONDS - 5 <= r.ttl("sb:status:alice") <= presence.STATUS_TTL_SECONDS
    )


# ---------------------------------------------------------------- Redis down


def test_presence_raises_redis_unavailable_when_redis_is_down(configure: Configure) -> None:
    configure(redis_url="")
    with pytest.raises(RedisUnavailable):
        presence.touch("prod", "alice", "c1")
    with pytest.raises(RedisUnavailable):
        presence.online_many(["alice"])
    with pytest.raises(RedisUnavailable):
        presence.end("prod", "alice", "c1")
    with pytest.raises(RedisUnavailable):
        presence.statuses(["alice"])
