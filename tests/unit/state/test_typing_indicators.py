"""shared.state.typing_indicators: who is typing in a chat, each expiring 3 s after renewal."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from shared import clock, config
from shared.observability import calls
from shared.state import typing_indicators as typing
from shared.state.typing_indicators import TYPING_TTL_MS

Configure = Callable[..., config.Settings]
T0 = 1_800_000_000_000


class Clock:
    """``shared.clock.now_ms`` as the domain sees it, moved by hand."""

    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def r(configure: Configure, redis_url: str) -> Iterator[redis.Redis]:
    """The session's real redis-server, flushed, with settings pointing at it."""
    configure(redis_url=redis_url)
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


def test_start_marks_the_user_typing_until_three_seconds_from_now(now: Clock) -> None:
    assert typing.start("chat1", "alice") == T0 + TYPING_TTL_MS
    assert typing.who("chat1") == [("alice", T0 + TYPING_TTL_MS)]


def test_start_and_who_are_one_round_trip_each(now: Clock) -> None:
    typing.start("chat1", "alice")
    assert calls.counted() == {"redis.RoundTrip": 1}
    typing.who("chat1")
    assert calls.counted() == {"redis.RoundTrip": 2}


def test_everyone_typing_is_listed_soonest_expiry_first(now: Clock) -> None:
    typing.start("chat1", "bob")
    now.ms += 500
    typing.start("chat1", "alice")
    assert typing.who("chat1") == [
        ("bob", T0 + TYPING_TTL_MS),
        ("alice", T0 + 500 + TYPING_TTL_MS),
    ]


def test_typing_expires_three_seconds_after_the_last_start(now: Clock) -> None:
    typing.start("chat1", "alice")
    now.ms += TYPING_TTL_MS
    assert [u for u, _ in typing.who("chat1")] == ["alice"]
    now.ms += 1
    assert typing.who("chat1") == []


def test_a_new_start_renews_the_expiry(now: Clock) -> None:
    typing.start("chat1", "alice")
    now.ms += 2000
    renewed = typing.start("chat1", "alice")
    now.ms += 2000  # 4 s after the first start, 2 s after the renewal
    assert typing.who("chat1") == [("alice", renewed)]


def test_stop_removes_only_that_user(now: Clock) -> None:
    typing.start("chat1", "alice")
    typing.start("chat1", "bob")
    typing.stop("chat1", "alice")
    assert [u for u, _ in typing.who("chat1")] == ["bob"]


def test_stopping_a_user_who_is_not_typing_is_harmless(now: Clock) -> None:
    typing.stop("chat1", "alice")
    assert typing.who("chat1") == []


def test_chats_are_separate(now: Clock) -> None:
    typing.start("chat1", "alice")
    typing.start("chat2", "bob")
    assert [u for u, _ in typing.who("chat1")] == ["alice"]
    assert [u for u, _ in typing.who("chat2")] == ["bob"]


def test_nobody_types_in_a_chat_never_typed_in(now: Clock) -> None:
    assert typing.who("quiet") == []


def test_the_chats_key_expires_with_its_last_renewal(now: Clock, r: redis.Redis) -> None:
    typing.start("chat1", "alice")
    assert 0 < r.pttl("sb:typing:chat1") <= TYPING_TTL_MS


def test_without_redis_typing_degrades_to_nobody_typing(
    configure: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(redis_url="")
    monkeypatch.setattr(clock, "now_ms", lambda: T0)
    assert typing.start("chat1", "alice") == T0 + TYPING_TTL_MS  # still answers its expiry
    typing.stop("chat1", "alice")  # and does not raise
    assert typing.who("chat1") == []
