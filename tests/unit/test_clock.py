"""The one clock: wall-clock time in epoch milliseconds and whole seconds, UTC."""

from __future__ import annotations

import time

import pytest

from shared import clock


def test_now_ms_is_the_wall_clock_in_milliseconds() -> None:
    before = int(time.time() * 1000)
    now = clock.now_ms()
    after = int(time.time() * 1000)
    assert isinstance(now, int)
    assert before <= now <= after


def test_now_s_is_the_wall_clock_in_whole_seconds_for_ttl_attributes() -> None:
    before = int(time.time())
    now = clock.now_s()
    after = int(time.time())
    assert isinstance(now, int)
    assert before <= now <= after


@pytest.mark.parametrize(
    ("epoch", "ms", "s"),
    [
        (1_700_000_000.9999, 1_700_000_000_999, 1_700_000_000),
        (1_700_000_000.1234, 1_700_000_000_123, 1_700_000_000),
        (0.0, 0, 0),
    ],
)
def test_both_truncate_rather_than_round(
    monkeypatch: pytest.MonkeyPatch, epoch: float, ms: int, s: int
) -> None:
    monkeypatch.setattr(time, "time", lambda: epoch)
    assert (clock.now_ms(), clock.now_s()) == (ms, s)


def test_the_seconds_are_the_milliseconds_divided_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_795_687_200.5)
    assert clock.now_s() == clock.now_ms() // 1000
