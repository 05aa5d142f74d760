"""Fixtures of the client tests: clients on the session emulator (directly or through a
TCP proxy that can cut the network), a recorder of what each client delivered, and a
scripted fake server for unit tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from switchboard_client import Backoff, SwitchboardClient
from switchboard_client.events import Event
from tests.client.fakeserver import FakeServer
from tests.client.netproxy import TcpProxy

# Reconnect fast in tests: the schedule itself is tested in test_backoff and test_core.
FAST = Backoff(base=0.05, factor=2.0, cap=0.5)
WAIT = 45.0  # generous: the machine is shared; nothing here asserts on speed


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """Every event a client delivered, in delivery order; wait for conditions on them."""

    def __init__(self, client: SwitchboardClient) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        client.on("*", self._record)

    def _record(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def named(self, name: str) -> list[Any]:
        return [e.data for e in self.events if e.name == name]

    def messages(self, chat_id: str | None = None) -> list[dict[str, Any]]:
        """The ``message:new`` deliveries (of one chat), in order."""
        return [m for m in self.named("message:new") if chat_id is None or m["chatId"] == chat_id]

    def message_ids(self, chat_id: str | None = None) -> list[str]:
        return [m["id"] for m in self.messages(chat_id)]

    async def wait(self, predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = [e.name for e in self.events]
                raise AssertionError(f"timed out waiting for {what}; delivered: {names}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 1.0))

    async def wait_count(self, name: str, count: int, timeout: float = WAIT) -> list[Any]:
        await self.wait(lambda: len(self.named(name)) >= count, f"{count} x {name}", timeout)
        return self.named(name)

    async def wait_ids(self, ids: list[str], timeout: float = WAIT) -> None:
        wanted = set(ids)
        await self.wait(
            lambda: wanted <= set(self.message_ids()),
            f"messages {sorted(wanted - set(self.message_ids()))}",
            timeout,
        )


@dataclass
class Device:
    client: SwitchboardClient
    inbox: Recorder


OpenDevice = Callable[..., Awaitable[Device]]


@pytest.fixture
async def device(emulator: Any) -> AsyncIterator[OpenDevice]:
    """``await device("alice-x", url=..., **client_options)``: a connected client and its
    recorder (the recorder is attached before connecting, so it sees everything)."""
    opened: list[SwitchboardClient] = []

    async def open_device(
        user_id: str, *, url: str | None = None, emu: Any = None, **options: Any
    ) -> Device:
        emu = emu or emulator
        options.setdefault("backoff", FAST)
        options.setdefault("request_timeout", 30.0)
        options.setdefault("rest_url", emu.rest_url)
        options.setdefault("token", emu.token(user_id))
        client = SwitchboardClient(url or emu.websocket_url, **options)
        inbox = Recorder(client)
        opened.append(client)
        await client.connect()
        return Device(client, inbox)

    yield open_device
    for client in opened:
        await client.close()


@pytest.fixture
async def proxy(emulator: Any) -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the session emulator."""
    net = await TcpProxy("127.0.0.1", emulator.port).start()
    yield net
    await net.close()


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeServer]:
    server = await FakeServer().start()
    yield server
    await server.close()
