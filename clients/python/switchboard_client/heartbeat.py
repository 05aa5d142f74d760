"""Keeping an idle connection open: what to send and how often (``keep_alive_plan``, from
``hello``), and the timer that sends it (``Heartbeat``: ``beat()`` every ``interval``
seconds until stopped, one timer per connection).

A server that announces ``keepAlive`` in ``hello`` gets the one-way frame it names
(``{"action": "ping"}``: API Gateway answers it without running a function, and nothing
comes back) every ``keepAlive.intervalSeconds``. An older server gets
``presence:heartbeat`` every ``heartbeatSeconds``, acked: a heartbeat left unacked
drops the connection (a dead one is then noticed within the interval plus the request
timeout; with one-way pings, only when a send fails or the OS reports the connection
gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from switchboard_client.wire import DEFAULT_HEARTBEAT_SECONDS

log = logging.getLogger("switchboard_client.heartbeat")


@dataclass(frozen=True)
class KeepAlivePlan:
    """Every ``interval`` seconds: the one-way frame ``{"action": ping}``, or (``ping``
    None, a server without ``keepAlive``) an acked ``presence:heartbeat``."""

    interval: float
    ping: str | None


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return None
    return float(value)


def keep_alive_plan(hello: Mapping[str, Any], override: float | None = None) -> KeepAlivePlan:
    """The plan of one connection, from its ``hello`` answer; ``override`` (the client's
    ``heartbeat_interval``) replaces the announced interval either way. A ``keepAlive``
    without a usable action or interval is taken as absent (heartbeats always work)."""
    keep_alive = hello.get("keepAlive")
    if isinstance(keep_alive, Mapping):
        action = keep_alive.get("action")
        interval = _positive(keep_alive.get("intervalSeconds"))
        if isinstance(action, str) and action and interval is not None:
            return KeepAlivePlan(override or interval, action)
    interval = _positive(hello.get("heartbeatSeconds")) or float(DEFAULT_HEARTBEAT_SECONDS)
    return KeepAlivePlan(override or interval, None)


def renew_after(hello: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(afterSeconds, maxSeconds)`` of a ``hello``'s ``renew``: when to replace the
    connection, and when API Gateway cuts it; None when absent or unusable (an older
    server: the client reconnects after the cut instead)."""
    renew = hello.get("renew")
    if not isinstance(renew, Mapping):
        return None
    after, limit = _positive(renew.get("afterSeconds")), _positive(renew.get("maxSeconds"))
    if after is None or limit is None or after >= limit:
        return None
    return after, limit


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
