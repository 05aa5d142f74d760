"""Event subscriptions: callbacks per event name, and async-iterator subscriptions.

Events are dispatched by one task, one at a time, in the order they were emitted:
a callback sees the events of its name in order, and an awaited (async) callback
holds back the ones after it (a slow callback delays delivery, it never reorders
it). A callback that raises is logged and does not stop delivery. Subscriptions
(``subscribe()``) have a queue each and never hold back the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

log = logging.getLogger("switchboard_client.events")

ALL = "*"


@dataclass(frozen=True)
class Event:
    """One event: its name (``message:new``, ``client:resumed``, ...) and its data."""

    name: str
    data: Any


Handler = Callable[[Event], Awaitable[None] | None]
_CLOSED = object()


class Subscription:
    """Events of some names (all of them when none are given) as an async iterator.

    ``async for event in subscription`` ends when the subscription or the bus closes.
    """

    def __init__(self, bus: EventBus, names: frozenset[str]) -> None:
        self._bus = bus
        self.names = names
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = False

    def wants(self, name: str) -> bool:
        return not self.names or name in self.names

    def _put(self, item: Any) -> None:
        self._queue.put_nowait(item)

    async def get(self, timeout: float | None = None) -> Event:
        """The next event; ``TimeoutError`` after ``timeout`` seconds, ``StopAsyncIteration``
        once closed and drained."""
        async with asyncio.timeout(timeout):
            item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # stays closed for the next reader too
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    def pending(self) -> list[Event]:
        """The events received and not read yet (without waiting), removed from the queue."""
        items = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is _CLOSED:
                self._queue.put_nowait(_CLOSED)
                break
            items.append(item)
        return items

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._unsubscribe(self)
            self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.get()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    """Routes emitted events to callbacks (``on``) and subscriptions (``subscribe``)."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._subscriptions: list[Subscription] = []
        self._queue: asyncio.Queue[Event | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # ---------------------------------------------------------------- subscribing
    def on(self, name: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(event)`` for every event ``name`` (``"*"``: every event).
        ``handler`` may be a coroutine function. Returns a function that unsubscribes."""
        self._handlers.setdefault(name, []).append(handler)

        def off() -> None:
            handlers = self._handlers.get(name, [])
            with contextlib.suppress(ValueError):
                handlers.remove(handler)

        return off

    def subscribe(self, *names: str) -> Subscription:
        """An async iterator of the events of ``names`` (of every event if none)."""
        subscription = Subscription(self, frozenset(names))
        if self._closed:
            subscription.close()
        else:
            self._subscriptions.append(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)

    # ---------------------------------------------------------------- emitting
    def start(self) -> None:
        """Start dispatching (on the running loop); emitted events wait until then."""
        if self._task is None and not self._closed:
            if self._queue is None:
                self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._dispatch())

    def emit(self, name: str, data: Any = None) -> None:
        """Queue an event for delivery, after every event emitted before it."""
        if self._closed:
            return
        if self._queue is None:
            self._queue = asyncio.Queue()
        self._queue.put_nowait(Event(str(name), data))

    async def _dispatch(self) -> None:
        assert self._queue is not None
        try:
            while True:
                event = await self._queue.get()
                try:
                    if event is None:
                        return
                    await self._deliver(event)
                finally:
                    self._queue.task_done()
        finally:
            if self._closed:
                self._close_subscriptions()

    async def _deliver(self, event: Event) -> None:
        for subscription in list(self._subscriptions):
            if subscription.wants(event.name):
                subscription._put(event)
        handlers = list(self._handlers.get(event.name, ())) + list(self._handlers.get(ALL, ()))
        for handler in handlers:
            try:
                result = handler(event)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event handler %r failed on %s", handler, event.name)

    async def drain(self) -> None:
        """Wait until every event emitted so far has been delivered."""
        if self._queue is not None and self._task is not None and not self._task.done():
            await self._queue.join()

    async def aclose(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (for at most ``timeout`` s), then stop; subscriptions end."""
        if self._closed:
            return
        self._closed = True
        task = self._task
        if task is None or task.done() or self._queue is None:
            self._close_subscriptions()
            return
        self._queue.put_nowait(None)
        if asyncio.current_task() is task:  # closed from a handler: the dispatcher ends after it
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _close_subscriptions(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.close()
