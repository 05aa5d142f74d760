"""Fixtures of the emulator tests: one emulator per session on the fixture template."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from infra.emulator import Emulator
from tests.infra.support import FIXTURES, Recorder


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    # No schedule timers here: scheduled fixtures run on demand (or in their own emulator).
    with Emulator(
        FIXTURES / "template.yaml",
        stage="local",
        idle_timeout=30,
        max_connection_duration=120,
        schedules=False,
    ) as emu:
        yield emu


@pytest.fixture(scope="session")
def recorder(emulator: Emulator) -> Recorder:
    return Recorder(redis.Redis.from_url(emulator.redis_url, decode_responses=True))
