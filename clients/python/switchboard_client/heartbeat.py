"""The heartbeat timer: calls ``beat()`` every ``interval`` seconds until stopped.

One timer per connection; the client's ``beat`` sends ``presence:heartbeat`` and
drops the connection when no ack comes back (a dead connection is noticed within
``interval`` plus the request timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("switchboard_client.heartbeat")


class Heartbeat:
    def __init__(
        self,
        interval: float,
        beat: Callable[[], Awaitable[None]],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if interval <= 0:
            raise ValueError("the heartbeat interval must be positive")
        self.interval = interval
        self._beat = beat
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while not self._stopped:
            await self._sleep(self.interval)
            if self._stopped:
                return
            try:
                await self._beat()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("heartbeat failed")

    async def stop(self) -> None:
        self._stopped = True
        task, self._task = self._task, None
        if task is None or task is asyncio.current_task():
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
