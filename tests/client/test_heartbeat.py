"""The heartbeat timer: beats on its interval, survives a failing beat, stops; on a live
client it keeps the session alive and a heartbeat that is never acked costs the
connection (which is then replaced)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from switchboard_client import SwitchboardClient
from switchboard_client.heartbeat import Heartbeat
from tests.client.conftest import FAST, OpenDevice, Recorder
from tests.client.fakeserver import FakeServer

pytestmark = pytest.mark.anyio


async def test_the_timer_beats_every_interval_until_stopped() -> None:
    waited: list[float] = []
    beats = 0
    enough = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        await asyncio.sleep(0)

    async def beat() -> None:
        nonlocal beats
        beats += 1
        if beats == 3:
            raise RuntimeError("one failed beat")  # logged; the timer goes on
        if beats == 5:
            enough.set()

    heartbeat = Heartbeat(65, beat, sleep=sleep)
    heartbeat.start()
    await asyncio.wait_for(enough.wait(), 10)
    await heartbeat.stop()
    assert not heartbeat.running
    assert beats >= 5
    assert set(waited) == {65}


def test_a_nonpositive_interval_is_refused() -> None:
    with pytest.raises(ValueError):
        Heartbeat(0, lambda: asyncio.sleep(0))


async def test_a_client_heartbeats_on_its_timer(device: OpenDevice, user: Any) -> None:
    alice = await device(user("alice"), heartbeat_interval=0.05)
    acks = await alice.inbox.wait_count("client:heartbeat", 3)
    assert acks[0]["ttlSeconds"] > acks[0]["heartbeatSeconds"] > 0
    assert acks[0]["presence"] in ("ok", "degraded")
    assert alice.client.reconnects == 0


async def test_the_interval_comes_from_hello_by_default(device: OpenDevice, user: Any) -> None:
    alice = await device(user("alice"))
    assert alice.client.hello_data is not None
    assert alice.client.hello_data["heartbeatSeconds"] == 65  # then every 65 s
    ack = await alice.client.heartbeat()
    assert ack == {"ttlSeconds": 130, "heartbeatSeconds": 65, "presence": ack["presence"]}
    assert ack["presence"] in ("ok", "degraded")


async def test_a_heartbeat_never_acked_drops_the_connection_and_a_new_one_follows(
    fake_server: FakeServer,
) -> None:
    fake_server.answer_heartbeats = False
    client = SwitchboardClient(
        fake_server.url, "t", heartbeat_interval=0.05, request_timeout=2.0, backoff=FAST
    )
    inbox = Recorder(client)
    await client.connect()
    try:
        await inbox.wait_count("client:disconnected", 1)
        connected = await inbox.wait_count("client:connected", 2)
        assert connected[0]["resumed"] is False and connected[1]["resumed"] is True
    finally:
        await client.close()
    assert len(fake_server.connections) >= 2
