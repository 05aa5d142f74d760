"""Fixtures of the lifecycle tests: a local Management API, a clock moved by hand, and
connections opened the way $connect opens them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import clock, config
from shared.lifecycle import sessions
from tests.unit import management_stub
from tests.unit.management_stub import STAGE, Gateway

T0 = 1_800_000_000_000  # 2027-01-15T08:00:00Z


@pytest.fixture
def gateway(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """A local Management API (tests/unit/management_stub.py) the lifecycle posts to."""
    with management_stub.serving(monkeypatch) as server:
        yield server


class Clock:
    """``shared.clock`` as the domain sees it: each reading one millisecond later than the
    last; ``advance`` moves it on (a TTL running out without waiting for it)."""

    def __init__(self) -> None:
        self.ms = T0

    def now_ms(self) -> int:
        self.ms += 1
        return self.ms

    def now_s(self) -> int:
        return self.ms // 1000

    def advance(self, ms: int) -> None:
        self.ms += ms


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every module's ``clock.now_ms()``/``now_s()`` answered by a Clock starting at T0."""
    fake = Clock()
    monkeypatch.setattr(clock, "now_ms", fake.now_ms)
    monkeypatch.setattr(clock, "now_s", fake.now_s)
    return fake


def open_session(connection_id: str, user_id: str, gateway: Gateway) -> list[str]:
    """$connect for ``connection_id``: its records, its session, and the online announcement."""
    return sessions.opened(
        connection_id, user_id, STAGE, clock.now_ms(), "203.0.113.9", gateway.endpoint
    )
