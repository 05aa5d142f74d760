"""Requests and their replies: request ids, the table of replies awaited, which actions
may be resent after a reconnect, and turning a reply frame into data or an exception.

Every action is answered on the sending connection by exactly one frame carrying its
``requestId`` (``ack``, ``connection:success`` or ``error``). A request is bound to the
connection (its *generation*) it was sent on; when that connection ends, its waiters
fail with ``ConnectionLost`` and the caller decides whether to resend.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from switchboard_client.errors import RequestTimeout, ServerError
from switchboard_client.wire import Action, Event, Frame

# Actions whose resend after a lost reply does no harm: they are idempotent on the server
# (message:send with a clientMessageId is stored once and acked with the original) or
# read-only. Not in here: message:edit (each edit is applied, with a version of its own),
# message:delete (a second delete is not_found), typing:start (stale after a reconnect)
# and presence:heartbeat (it keeps one connection alive: the new one sends its own).
# Of the calls, call:rejoin and call:screen set a state (resending sets it again); the
# others change the call (a second accept is a conflict, a second leave not_found) or
# relay a signal once, so the caller decides.
RESENDABLE: frozenset[str] = frozenset(
    {
        Action.HELLO,
        Action.SYNC,
        Action.MESSAGE_REACT,
        Action.MESSAGE_UNREACT,
        Action.MESSAGE_READ,
        Action.CHAT_READ_ALL,
        Action.CHAT_PRESENCE,
        Action.PRESENCE_SET,
        Action.TYPING_STOP,
        Action.TYPING_LIST,
        Action.CALL_REJOIN,
        Action.CALL_SCREEN,
    }
)


def is_resendable(action: str, data: Mapping[str, Any] | None) -> bool:
    """True when ``action`` with ``data`` may be sent again after a drop without effect."""
    if action == Action.MESSAGE_SEND:
        return bool(data and data.get("clientMessageId"))
    return action in RESENDABLE


def build_frame(action: str, request_id: str, data: Mapping[str, Any] | None) -> Frame:
    frame: Frame = {"action": action, "requestId": request_id}
    if data is not None:
        frame["data"] = dict(data)
    return frame


def reply_data(frame: Frame, action: str | None = None) -> Any:
    """The ``data`` of a reply; raises the ``ServerError`` subclass of an ``error``."""
    if frame.get("event") == Event.ERROR:
        raise ServerError.from_reply(frame.get("data"), action)
    return frame.get("data")


class PendingRequests:
    """Futures of the requests awaiting a reply, by requestId, each bound to a connection."""

    def __init__(self, prefix: str = "q") -> None:
        self._prefix = prefix
        self._counter = itertools.count(1)
        self._waiting: dict[str, tuple[int, asyncio.Future[Frame]]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def open(self, generation: int) -> tuple[str, asyncio.Future[Frame]]:
        """A fresh requestId and the future its reply will resolve."""
        request_id = f"{self._prefix}{next(self._counter)}"
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (generation, future)
        return request_id, future

    def resolve(self, request_id: str, generation: int, frame: Frame) -> bool:
        """Hand ``frame`` to the request it answers; False when nobody waits for it
        (a reply after its timeout, or one from another connection)."""
        entry = self._waiting.get(request_id)
        if entry is None or entry[0] != generation:
            return False
        del self._waiting[request_id]
        if not entry[1].done():
            entry[1].set_result(frame)
        return True

    def waiting_on(self, generation: int) -> list[asyncio.Future[Frame]]:
        """The futures of the requests still awaiting a reply on connection ``generation``."""
        return [future for sent_on, future in self._waiting.values() if sent_on == generation]

    def forget(self, request_id: str) -> None:
        self._waiting.pop(request_id, None)

    def fail(self, generation: int | None, error: BaseException) -> None:
        """Fail the requests sent on connection ``generation`` (all of them for None)."""
        for request_id, (sent_on, future) in list(self._waiting.items()):
            if generation is None or sent_on == generation:
                del self._waiting[request_id]
                if not future.done():
                    future.set_exception(error)
                    future.exception()  # retrieved here: a waiter may be gone already


# The server's rate-limit buckets (docs/protocol.md, "Rate limits").
_BUCKETS: dict[str, str] = {
    Action.MESSAGE_SEND: "message",
    Action.MESSAGE_EDIT: "message",
    Action.MESSAGE_DELETE: "message",
    Action.TYPING_START: "typing",
    Action.TYPING_STOP: "typing",
    Action.PRESENCE_HEARTBEAT: "heartbeat",
    Action.CALL_SIGNAL: "signal",
}


def bucket_of(action: str) -> str:
    return _BUCKETS.get(action, "default")


class Pacer:
    """Paces the requests of a rate-limited bucket: after a ``rate_limited``, no request
    of that bucket goes out before the advised time, and then one at a time (each waits
    for the previous one's reply), so an outbox flushed after a reconnect trickles out
    at the rate the server refills instead of being refused wholesale."""

    def __init__(self) -> None:
        self._not_before: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def hold(self, action: str, until: float) -> None:
        """No request of ``action``'s bucket before ``until`` (loop time)."""
        bucket = bucket_of(action)
        self._not_before[bucket] = max(self._not_before.get(bucket, 0.0), until)

    @contextlib.asynccontextmanager
    async def turn(
        self, action: str, deadline: float, sleep: Callable[[float], Awaitable[None]]
    ) -> AsyncIterator[None]:
        """Wait for the turn of a request of ``action`` (at once when not limited);
        ``RequestTimeout`` if it would come after ``deadline`` (loop time)."""
        bucket = bucket_of(action)
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(bucket, asyncio.Lock())
        if loop.time() >= self._not_before.get(bucket, 0.0) and not lock.locked():
            yield
            return
        try:
            async with asyncio.timeout_at(deadline):
                await lock.acquire()
        except TimeoutError:
            raise RequestTimeout(f"{action}: rate limited until past the timeout") from None
        try:
            delay = self._not_before.get(bucket, 0.0) - loop.time()
            if loop.time() + delay >= deadline:
                raise RequestTimeout(f"{action}: rate limited until past the timeout")
            if delay > 0:
                await sleep(delay)
            yield
        finally:
            lock.release()
