"""The keep-alive: the timer beats on its interval, survives a failing beat, stops. A
server that announces ``keepAlive`` gets one-way pings at its interval (nothing awaited,
no presence:heartbeat timer), the interval following each new ``hello``, a failed ping
costing the connection and nothing else; an older server gets acked heartbeats as
before, and a heartbeat that is never acked costs the connection (which is then
replaced). ``heartbeat_interval`` overrides either interval.

The timers of the live clients here run on a fake clock (``TimerClock``): the test
says when an interval has gone by, so the real 540 s interval is used as is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from switchboard_client import ConnectionLost, SwitchboardClient, core
from switchboard_client.heartbeat import Heartbeat, KeepAlivePlan, keep_alive_plan
from switchboard_client.transport import Transport
from switchboard_client.wire import Frame
from tests.client.conftest import FAST, WAIT, OpenDevice, Recorder
from tests.client.fakeserver import FakeServer

pytestmark = pytest.mark.anyio

PING = {"action": "ping", "intervalSeconds": 540}


class TimerClock:
    """The heartbeat timers' ``sleep``: records each interval asked for and returns when
    the test calls ``advance()`` (every timer asleep then wakes up)."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._sleepers: list[asyncio.Future[None]] = []
        self._changed = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waits.append(seconds)
        self._sleepers.append(future)
        self._changed.set()
        await future

    def advance(self) -> None:
        sleepers, self._sleepers = self._sleepers, []
        for future in sleepers:
            if not future.done():
                future.set_result(None)

    async def asleep(self, count: int) -> list[float]:
        """The intervals asked for so far, once a timer went to sleep ``count`` times."""
        async with asyncio.timeout(WAIT):
            while len(self.waits) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.waits


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[TimerClock]:
    """Every client's heartbeat timer on one fake clock (the client's own ``sleep`` option
    paces reconnects and rate limits, which stay real here)."""
    timer = TimerClock()
    monkeypatch.setattr(
        core, "Heartbeat", lambda interval, beat: Heartbeat(interval, beat, sleep=timer.sleep)
    )
    yield timer
    timer.advance()


def keep_alive_client(server: FakeServer, **options: Any) -> tuple[SwitchboardClient, Recorder]:
    # A long request timeout: a ping that waited for an answer would hold its timer that long.
    options.setdefault("request_timeout", WAIT)
    client = SwitchboardClient(server.url, "t", backoff=FAST, **options)
    return client, Recorder(client)


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


@pytest.mark.parametrize(
    ("hello", "override", "plan"),
    [
        ({"keepAlive": PING, "heartbeatSeconds": 65}, None, KeepAlivePlan(540, "ping")),
        ({"keepAlive": PING, "heartbeatSeconds": 65}, 30, KeepAlivePlan(30, "ping")),
        ({"keepAlive": PING | {"intervalSeconds": 0.5}}, None, KeepAlivePlan(0.5, "ping")),
        ({"heartbeatSeconds": 65}, None, KeepAlivePlan(65, None)),
        ({"heartbeatSeconds": 300}, 30, KeepAlivePlan(30, None)),
        ({}, None, KeepAlivePlan(65, None)),
        # A keepAlive the client cannot follow is taken as absent: heartbeats always work.
        ({"keepAlive": {"action": "ping"}, "heartbeatSeconds": 90}, None, KeepAlivePlan(90, None)),
        ({"keepAlive": {"action": "ping", "intervalSeconds": 0}}, None, KeepAlivePlan(65, None)),
        ({"keepAlive": {"action": "ping", "intervalSeconds": True}}, None, KeepAlivePlan(65, None)),
        ({"keepAlive": {"action": "", "intervalSeconds": 540}}, None, KeepAlivePlan(65, None)),
        ({"keepAlive": "ping", "heartbeatSeconds": "65"}, None, KeepAlivePlan(65, None)),
    ],
)
def test_the_plan_follows_hello_and_the_option_overrides_its_interval(
    hello: dict[str, Any], override: float | None, plan: KeepAlivePlan
) -> None:
    assert keep_alive_plan(hello, override) == plan


async def test_pings_go_out_at_the_announced_interval_unanswered_and_no_heartbeat_timer(
    fake_server: FakeServer, clock: TimerClock
) -> None:
    fake_server.keep_alive = PING
    client, inbox = keep_alive_client(fake_server)
    hello = await client.connect()
    try:
        assert hello["keepAlive"] == PING
        assert client.keep_alive == KeepAlivePlan(540, "ping")
        assert await clock.asleep(1) == [540]
        for beats in (1, 2, 3):
            clock.advance()
            pings = await fake_server.wait_actions("ping", beats, WAIT)
            # Nothing answers a ping and nothing waits for an answer: the timer is at
            # once asleep for the next interval (a request would hold it for WAIT).
            assert await clock.asleep(beats + 1) == [540] * (beats + 1)
        assert pings == [{"action": "ping"}] * 3  # exactly that: no requestId, no data
        assert fake_server.actions("presence:heartbeat") == []
        assert inbox.named("client:heartbeat") == []
        assert client.connected and client.reconnects == 0
        assert len(fake_server.connections) == 1
    finally:
        await client.close()


async def test_without_keep_alive_the_client_heartbeats_as_before(
    fake_server: FakeServer, clock: TimerClock
) -> None:
    fake_server.heartbeat_seconds = 90
    client, inbox = keep_alive_client(fake_server)
    await client.connect()
    try:
        assert client.keep_alive == KeepAlivePlan(90, None)
        assert await clock.asleep(1) == [90]
        clock.advance()
        acks = await inbox.wait_count("client:heartbeat", 1)
        assert acks[0] == {"ttlSeconds": 130, "heartbeatSeconds": 65, "presence": "ok"}
        [beat] = fake_server.actions("presence:heartbeat")
        assert beat["requestId"]
        assert fake_server.actions("ping") == []
        assert await clock.asleep(2) == [90, 90]
    finally:
        await client.close()


async def test_the_interval_follows_each_new_hello(
    fake_server: FakeServer, clock: TimerClock
) -> None:
    fake_server.keep_alive = PING
    client, inbox = keep_alive_client(fake_server)
    await client.connect()
    try:
        assert await clock.asleep(1) == [540]
        # The server's choice changes between connections: the next hello says 300 s...
        fake_server.keep_alive = {"action": "ping", "intervalSeconds": 300}
        await client.reconnect()
        await inbox.wait_count("client:resumed", 1)
        assert (await clock.asleep(2))[-1] == 300
        assert client.keep_alive == KeepAlivePlan(300, "ping")
        clock.advance()
        await fake_server.wait_actions("ping", 1, WAIT)
        # ... then a server without keep-alive pings: heartbeats again, at its interval.
        fake_server.keep_alive = None
        await client.reconnect()
        await inbox.wait_count("client:resumed", 2)
        assert client.keep_alive == KeepAlivePlan(65, None)
        sleeping = len(await clock.asleep(1))
        clock.advance()
        await fake_server.wait_actions("presence:heartbeat", 1, WAIT)
        assert clock.waits[sleeping - 1] == 65
        assert len(fake_server.actions("ping")) == 1
    finally:
        await client.close()


@pytest.mark.parametrize("announced", [PING, None])
async def test_heartbeat_interval_overrides_the_announced_one(
    fake_server: FakeServer, clock: TimerClock, announced: dict[str, Any] | None
) -> None:
    fake_server.keep_alive = announced
    client, _ = keep_alive_client(fake_server, heartbeat_interval=30)
    await client.connect()
    try:
        assert await clock.asleep(1) == [30]
        clock.advance()
        action = "ping" if announced else "presence:heartbeat"
        await fake_server.wait_actions(action, 1, WAIT)
        assert client.keep_alive == KeepAlivePlan(30, "ping" if announced else None)
    finally:
        await client.close()


async def test_a_ping_that_cannot_be_sent_drops_the_connection_and_raises_nothing(
    fake_server: FakeServer, clock: TimerClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake_server.keep_alive = PING
    failures = 1

    class FailingPings(Transport):
        async def send(self, frame: Frame) -> None:
            nonlocal failures
            if frame.get("action") == "ping" and failures:
                failures -= 1
                raise ConnectionLost("the connection closed before the frame was sent")
            await super().send(frame)

    async def open_transport(url: str, token: str) -> Transport:
        return await FailingPings.open(url, token)

    client, inbox = keep_alive_client(fake_server, open_transport=open_transport)
    await client.connect()
    try:
        await clock.asleep(1)
        with caplog.at_level(logging.INFO, logger="switchboard_client"):
            clock.advance()
            await inbox.wait_count("client:resumed", 1)
        assert "keep-alive not sent" in caplog.text
        assert "heartbeat failed" not in caplog.text  # nothing raised out of the beat
        assert client.reconnects == 1 and not client.closed
        clock.advance()
        await fake_server.wait_actions("ping", 1, WAIT)  # the new connection pings
    finally:
        await client.close()


async def test_the_interval_comes_from_hello_by_default(device: OpenDevice, user: Any) -> None:
    alice = await device(user("alice"))
    assert alice.client.hello_data is not None
    assert alice.client.hello_data["keepAlive"] == {"action": "ping", "intervalSeconds": 540}
    assert alice.client.keep_alive == KeepAlivePlan(540, "ping")  # a ping every 9 minutes
    ack = await alice.client.heartbeat()
    assert ack == {"ttlSeconds": 600, "heartbeatSeconds": 540, "presence": ack["presence"]}
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
