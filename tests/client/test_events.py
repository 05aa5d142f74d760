"""Subscriptions: callbacks per event name in emission order, async iterators, closing."""

from __future__ import annotations

import asyncio

import pytest

from switchboard_client.events import Event, EventBus

pytestmark = pytest.mark.anyio


async def test_callbacks_get_their_events_in_emission_order() -> None:
    bus = EventBus()
    got: list[tuple[str, int]] = []
    everything: list[str] = []
    bus.on("a", lambda e: got.append(("a", e.data)))
    bus.on("b", lambda e: got.append(("b", e.data)))
    bus.on("*", lambda e: everything.append(e.name))
    bus.emit("a", 1)  # emitted before start: held, not lost
    bus.start()
    for i in range(2, 6):
        bus.emit("a" if i % 2 else "b", i)
    bus.emit("c", 0)
    await bus.drain()
    assert got == [("a", 1), ("b", 2), ("a", 3), ("b", 4), ("a", 5)]
    assert everything == ["a", "b", "a", "b", "a", "c"]
    await bus.aclose()


async def test_a_slow_async_callback_delays_but_never_reorders() -> None:
    bus = EventBus()
    bus.start()
    got: list[int] = []

    async def slow(event: Event) -> None:
        await asyncio.sleep(0.01 if event.data % 2 else 0)
        got.append(event.data)

    bus.on("n", slow)
    for i in range(10):
        bus.emit("n", i)
    await bus.drain()
    assert got == list(range(10))
    await bus.aclose()


async def test_a_failing_callback_does_not_stop_delivery() -> None:
    bus = EventBus()
    bus.start()
    got: list[int] = []

    def boom(event: Event) -> None:
        raise RuntimeError("handler bug")

    bus.on("n", boom)
    bus.on("n", lambda e: got.append(e.data))
    bus.emit("n", 1)
    bus.emit("n", 2)
    await bus.drain()
    assert got == [1, 2]
    await bus.aclose()


async def test_off_unsubscribes() -> None:
    bus = EventBus()
    bus.start()
    got: list[int] = []
    off = bus.on("n", lambda e: got.append(e.data))
    bus.emit("n", 1)
    await bus.drain()
    off()
    off()  # twice is harmless
    bus.emit("n", 2)
    await bus.drain()
    assert got == [1]
    await bus.aclose()


async def test_subscriptions_iterate_their_names_and_end_when_the_bus_closes() -> None:
    bus = EventBus()
    bus.start()
    typing = bus.subscribe("typing")
    everything = bus.subscribe()
    bus.emit("typing", 1)
    bus.emit("message:new", 2)
    bus.emit("typing", 3)
    await bus.aclose()  # delivers what is queued first
    assert [e.data async for e in typing] == [1, 3]
    assert [e.name async for e in everything] == ["typing", "message:new", "typing"]
    late = bus.subscribe("x")
    with pytest.raises(StopAsyncIteration):
        await late.get(timeout=1)


async def test_a_closed_subscription_gets_nothing_more() -> None:
    bus = EventBus()
    bus.start()
    async with bus.subscribe("n") as sub:
        bus.emit("n", 1)
        assert (await sub.get(timeout=5)).data == 1
    bus.emit("n", 2)
    await bus.drain()
    assert sub.pending() == []
    with pytest.raises(TimeoutError):
        await bus.subscribe("n").get(timeout=0.01)
    await bus.aclose()


async def test_closing_from_inside_a_callback_does_not_deadlock() -> None:
    bus = EventBus()
    bus.start()
    sub = bus.subscribe("n")

    async def close_bus(event: Event) -> None:
        await bus.aclose()

    bus.on("stop", close_bus)
    bus.emit("n", 1)
    bus.emit("stop")
    bus.emit("n", 2)
    assert [e.data async for e in sub] == [1, 2]
