"""Reconnect delays: exponential, capped, fully jittered; never above the cap."""

from __future__ import annotations

import random

import pytest

from switchboard_client.backoff import Backoff


def test_the_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(base=0.5, factor=2.0, cap=30.0)
    assert [backoff.ceiling(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_full_jitter_spans_zero_to_the_ceiling() -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=10.0)
    assert backoff.delay(3, lambda: 0.0) == 0.0
    assert backoff.delay(3, lambda: 0.5) == 4.0
    assert backoff.delay(3, lambda: 0.999999) == pytest.approx(8.0, rel=1e-5)
    assert backoff.delay(10, lambda: 0.999999) <= 10.0


def test_delays_are_bounded_for_any_attempt_and_any_random_value() -> None:
    backoff = Backoff(base=0.5, factor=3.0, cap=20.0)
    rng = random.Random(7)
    for attempt in [*range(50), 1_000, 10**9]:
        for _ in range(20):
            delay = backoff.delay(attempt, rng.random)
            assert 0.0 <= delay <= backoff.ceiling(attempt) <= 20.0


def test_out_of_range_random_values_are_clamped() -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=4.0)
    assert backoff.delay(5, lambda: 7.0) == 4.0
    assert backoff.delay(5, lambda: -1.0) == 0.0


def test_jitter_spreads_clients_that_dropped_together() -> None:
    backoff = Backoff(base=0.5, factor=2.0, cap=30.0)
    rng = random.Random(1)
    delays = [backoff.delay(4, rng.random) for _ in range(200)]
    assert len({round(d, 3) for d in delays}) > 150  # not in lockstep
    assert min(delays) < 1.0 and max(delays) > 7.0  # the whole [0, 8] range is used


@pytest.mark.parametrize("kwargs", [{"base": -1}, {"cap": -1}, {"factor": 0.5}])
def test_nonsense_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
