"""The emulator's own redis-server: stopped (an outage) and started again on the same URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from infra.emulator import Emulator
from tests.infra.support import FIXTURES


@pytest.fixture(scope="module")
def outage() -> Iterator[Emulator]:
    with Emulator(FIXTURES / "template.yaml", schedules=False) as emu:
        if not emu.owns_redis:
            pytest.skip("REDIS_URL is set: the emulator did not spawn its own Redis")
        yield emu


def test_stop_and_restart_redis_on_the_same_url(outage: Emulator) -> None:
    url = outage.redis_url
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    assert client.ping()
    assert outage.run_schedule("ScheduledFunction")["ok"] is True  # a warm worker, connected

    outage.stop_redis()
    outage.stop_redis()  # idempotent
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    error = outage.run_schedule("ScheduledFunction")  # the function fails; the emulator lives
    assert "ConnectionError" in error["errorType"]

    outage.start_redis()
    outage.start_redis()  # no-op while running
    assert outage.redis_url == url
    assert redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    assert client.ping()  # an old client reconnects to the same address
    assert outage.run_schedule("ScheduledFunction")["ok"] is True  # so does the function


def test_redis_controls_need_an_own_redis() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        Emulator(FIXTURES / "template.yaml").start_redis()
    with pytest.raises(RuntimeError, match="external Redis"):
        Emulator(FIXTURES / "template.yaml", redis_url="redis://127.0.0.1:1/0").stop_redis()
