"""Fan-out through the API Gateway Management API.

A room resolves with one Query; posts go out concurrently, a bounded number in
flight, through shared/management_api.py (botocore's signer, asyncio keep-alive
connections reused across invocations); a 410 (GoneException) removes that stale
connection and its room entries; throttling (429), 5xx and timeouts are
retried with jittered backoff, three attempts in all. The public functions mirror the Socket.IO
manager Switchboard replaces: broadcast_to_chat, send_to_user, broadcast.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared import protocol
from shared.config import settings
from shared.store import connections, rooms
from shared.store.models import Connection

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

    def as_dict(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "gone": len(self.gone), "failed": len(self.failed)}


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


def broadcast_to_room(
    room: str,
    event: protocol.Event,
    data: Any,
    exclude_connection: str | None = None,
    endpoint: str | None = None,
) -> FanoutResult:
    entries = rooms.resolve(room)
    targets = [e.connection_id for e in entries if e.connection_id != exclude_connection]
    return post_to_connections(targets, protocol.frame(event, data), endpoint)


def broadcast_to_chat(
    chat_id: str,
    event: protocol.Event,
    data: Any,
    exclude_connection: str | None = None,
    endpoint: str | None = None,
) -> FanoutResult:
    """Every connection in ``chat:{chat_id}`` but the excluded one: one Query + N posts."""
    return broadcast_to_room(rooms.chat_room(chat_id), event, data, exclude_connection, endpoint)


def send_to_user(
    user_id: str, event: protocol.Event, data: Any, endpoint: str | None = None
) -> FanoutResult:
    """Every device of a user (the ``user:{id}`` room): one Query + N posts."""
    return broadcast_to_room(rooms.user_room(user_id), event, data, None, endpoint)


def broadcast(event: protocol.Event, data: Any, endpoint: str | None = None) -> FanoutResult:
    """Every live connection. Reads the whole connections table (a Scan): an
    administrative operation, never on a per-message path."""
    targets = [c.connection_id for c in Connection.scan(attributes_to_get=["connectionId"])]
    return post_to_connections(targets, protocol.frame(event, data), endpoint)
