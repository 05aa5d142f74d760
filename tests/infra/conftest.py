"""Fixtures of the emulator tests: one emulator per session on the fixture template."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from infra.emulator import Emulator

FIXTURES = Path(__file__).parent / "fixtures"


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


class Recorder:
    """Reads back the events the fixture functions pushed to Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def events(self, route_key: str) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self.client.lrange(f"events:{route_key}", 0, -1)]

    def wait(self, route_key: str, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events(route_key):
                if predicate(event):
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no {route_key} event matched")

    def connect_event(self, tag: str) -> dict[str, Any]:
        return self.wait(
            "$connect", lambda e: (e.get("queryStringParameters") or {}).get("tag") == tag
        )

    def for_connection(self, route_key: str, connection_id: str) -> dict[str, Any]:
        return self.wait(route_key, lambda e: e["requestContext"]["connectionId"] == connection_id)


def new_tag() -> str:
    return uuid.uuid4().hex
