"""Fan-out through the API Gateway Management API: the one way anything reaches
more than one connection.

``deliver`` decides how: up to ``FanoutInlineLimit`` recipients (settings), the
invocation posts itself, concurrently, a bounded number in flight, through
shared/delivery/management_api.py (botocore's signer, asyncio keep-alive
connections reused across invocations); beyond it, or when the room was not
read to its end, the recipients go to the delivery function in batches of
``FanoutBatchSize`` (shared/delivery/handover.py, run by
shared/delivery/worker.py), so the caller's answer never waits for a large
fan-out. A 410 (GoneException) removes that stale connection and its room
entries; throttling (429), 5xx and timeouts are retried with jittered backoff,
three attempts in all. The public functions mirror the Socket.IO manager
Switchboard replaces: broadcast_to_chat, send_to_user, broadcast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from shared import protocol
from shared.config import settings
from shared.delivery import handover
from shared.delivery.jobs import Job
from shared.store import connections, rooms

log = logging.getLogger(__name__)

# Cleaning up after 410s (a few DynamoDB calls each) runs beside the next ones.
_cleanup_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fanout-cleanup")


@dataclass
class FanoutResult:
    """How a fan-out went: delivered, gone (410: cleaned up, unless the connection is young
    enough to be inside its own $connect) and failed connection ids."""

    delivered: int = 0
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Handed to the delivery function: the connections known when handed over (a
    # room's unread rest is not counted) and the jobs (invocations) it took.
    handed_over: int = 0
    jobs: int = 0

    def as_dict(self) -> dict[str, Any]:
        summary = {"delivered": self.delivered, "gone": len(self.gone), "failed": len(self.failed)}
        if self.jobs:
            summary.update(handedOver=self.handed_over, jobs=self.jobs)
        return summary

    def merge(self, other: FanoutResult) -> FanoutResult:
        self.delivered += other.delivered
        self.gone += other.gone
        self.failed += other.failed
        self.handed_over += other.handed_over
        self.jobs += other.jobs
        return self


def _forget(connection_id: str) -> None:
    try:
        connections.unregister_if_stale(connection_id)
    except Exception:  # the TTL removes it later; never fail the fan-out for this
        log.exception("cleanup of gone connection %s failed", connection_id)


def post_to_connections(
    connection_ids: Iterable[str], payload: str | bytes, endpoint: str | None = None
) -> FanoutResult:
    """Post one payload to many connections concurrently (shared/management_api.py)."""
    endpoint = endpoint or settings().management_endpoint
    data = payload.encode() if isinstance(payload, str) else payload
    targets = list(dict.fromkeys(connection_ids))
    if not targets:
        # Nobody to post to (a user with no contacts online): no asyncio import, no
        # fan-out loop thread, no signer credentials or TLS context on a first call.
        return FanoutResult()
    # Imported here: it brings asyncio, which only the invocations that fan out pay.
    from shared.delivery import management_api

    api = management_api.for_endpoint(endpoint, settings().region)
    result = FanoutResult()
    for connection_id, status in zip(targets, api.post_many(targets, data), strict=True):
        if status == 200:
            result.delivered += 1
        elif status == 410:
            result.gone.append(connection_id)
        else:
            log.warning("post to %s failed with status %s", connection_id, status or "no answer")
            result.failed.append(connection_id)
    if result.gone:
        list(_cleanup_pool.map(_forget, result.gone))
    return result


def deliver(
    targets: Sequence[str],
    payload: str,
    endpoint: str | None = None,
    rest: Job | None = None,
) -> FanoutResult:
    """Post ``payload`` to ``targets`` and to the recipients ``rest`` describes (a room's
    unread rest): inline when they are known and within the inline limit, else
    handed to the delivery function in batches (inline too when there is none)."""
    endpoint = endpoint or settings().management_endpoint
    targets = list(dict.fromkeys(targets))
    if rest is None and len(targets) <= settings().fanout_inline_limit:
        return post_to_connections(targets, payload, endpoint)
    from shared.delivery import worker  # only the invocations that shard pay for it

    jobs = worker.batches(targets, payload, endpoint)
    if rest is not None:
        jobs.append(replace(rest, frame=payload, endpoint=endpoint))
    return worker.dispatch(jobs)


def room_rest(
    page: rooms.Page, exclude: Iterable[str] = (), exclude_user: str | None = None
) -> Job | None:
    """The job that reads and delivers the rest of a room read in part (None: it was all
    read); its frame and endpoint are filled in by ``deliver``."""
    if page.complete:
        return None
    return Job(
        "", "", room=page.room, after=page.after, exclude=tuple(exclude), exclude_user=exclude_user
    )


def first_page_limit() -> int | None:
    """How much of a room an invocation reads itself: all of it (None), unless sharded
    delivery is on, then just past the inline limit (one more for the sender's own
    connection, one more to tell that there is more); one Query for a room that fits."""
    if not handover.available():
        return None
    return settings().fanout_inline_limit + 2


def first_page(room: str) -> rooms.Page:
    return rooms.first_page(room, first_page_limit())


def broadcast_to_room(
    room: str,
    event: protocol.Event | str,
    data: Any,
    exclude_connection: str | None = None,
    endpoint: str | None = None,
    exclude_user: str | None = None,
) -> FanoutResult:
    """Every connection in ``room`` but the excluded connection and every device of the
    excluded user: one Query + N posts (a large room's rest handed over)."""
    page = first_page(room)
    exclude = () if exclude_connection is None else (exclude_connection,)
    targets = [
        e.connection_id
        for e in page
        if e.connection_id not in exclude and (exclude_user is None or e.user_id != exclude_user)
    ]
    rest = room_rest(page, exclude, exclude_user)
    return deliver(targets, protocol.frame(event, data), endpoint, rest)


def broadcast_to_chat(
    chat_id: str,
    event: protocol.Event | str,
    data: Any,
    exclude_connection: str | None = None,
    endpoint: str | None = None,
    exclude_user: str | None = None,
) -> FanoutResult:
    """Every connection in ``chat:{chat_id}`` but the excluded connection and user's
    devices: one Query + N posts."""
    return broadcast_to_room(
        rooms.chat_room(chat_id), event, data, exclude_connection, endpoint, exclude_user
    )


def send_to_user(
    user_id: str, event: protocol.Event | str, data: Any, endpoint: str | None = None
) -> FanoutResult:
    """Every device of a user (the ``user:{id}`` room): one Query + N posts."""
    return broadcast_to_room(rooms.user_room(user_id), event, data, None, endpoint)


def broadcast(event: protocol.Event | str, data: Any, endpoint: str | None = None) -> FanoutResult:
    """Every live connection: the connections table read in parallel Scan segments,
    each by its own delivery invocation (inline, one after the other, without a
    delivery function). An administrative operation, never on a per-message path."""
    from shared.delivery import worker

    endpoint = endpoint or settings().management_endpoint
    return worker.dispatch(worker.segments(protocol.frame(event, data), endpoint))
