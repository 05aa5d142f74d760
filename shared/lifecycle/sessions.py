"""A connection's life as presence sees it: opened ($connect), closed ($disconnect),
or swept (its TTL ran out and no $disconnect came)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.delivery import management_api
from shared.lifecycle import status
from shared.state import presence, redis_client
from shared.store import connections, rooms

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sessions")


def _chats_left(rooms_left: list[str]) -> list[str] | None:
    """The chats a user's last connection was in, which name their contacts (saving a
    Members Query); None when it was in none: its records were already removed (a
    fan-out's 410 got there first), so the contacts come from the memberships."""
    return rooms.chat_ids_of(rooms_left) or None


def opened(
    connection_id: str,
    user_id: str,
    stage: str,
    connected_at_ms: int,
    source_ip: str | None,
    endpoint: str,
) -> list[str]:
    """Register the connection (DynamoDB, authoritative), then the session (Redis);
    the user's first session makes them online for their contacts. Returns the chats."""
    chat_ids = connections.register(connection_id, user_id, connected_at_ms, source_ip)
    try:
        first = presence.touch(stage, user_id, connection_id)
    except redis_client.RedisUnavailable:
        return chat_ids  # presence degrades; heartbeats rebuild it
    if first:
        try:
            online = status.user_status(user_id, online=True)
            # Never post to the connecting connection: API Gateway answers 410 during $connect.
            status.announce(user_id, online, connection_id, chat_ids, endpoint)
        except Exception:
            log.exception("online announcement for %s failed", user_id)
    return chat_ids


def closed(connection_id: str, user_id: str | None, stage: str, endpoint: str) -> None:
    """Remove the connection's records, then its session; the last one leaving makes the
    user offline (last seen kept durably) for their contacts."""
    left = connections.unregister(connection_id)
    if not user_id:
        return
    try:
        last = presence.end(stage, user_id, connection_id)
    except redis_client.RedisUnavailable:
        return
    if last:
        # The last connection was in every chat of the user: its rooms name the contacts.
        status.went_offline(user_id, connection_id, endpoint, _chats_left(left))


def sweep(endpoint: str, limit: int = 500) -> dict[str, Any]:
    """Close sessions whose TTL ran out without a $disconnect: remove their records,
    close their sockets if still open (Management API DELETE), announce offline."""
    swept = offline = 0
    client = management_api.client(endpoint)
    for session in presence.expired_sessions(limit):
        last = presence.end(session.stage, session.user_id, session.connection_id)
        left = connections.unregister(session.connection_id)
        try:
            client.delete_connection(ConnectionId=session.connection_id)
        except client.exceptions.GoneException:
            pass
        except Exception:
            log.exception("closing swept connection %s failed", session.connection_id)
        swept += 1
        if last:
            status.went_offline(session.user_id, session.connection_id, endpoint, _chats_left(left))
            offline += 1
    return {"swept": swept, "offline": offline}


def close_all(user_id: str, endpoint: str) -> int:
    """Close every session of a user (Management API DELETE); returns how many were closed.
    API Gateway then invokes $disconnect for each. A connection already gone (410) has
    its records removed here."""
    client = management_api.client(endpoint)
    targets = [e.connection_id for e in rooms.resolve(rooms.user_room(user_id))]

    def close(connection_id: str) -> bool:
        try:
            client.delete_connection(ConnectionId=connection_id)
            return True
        except client.exceptions.GoneException:
            connections.unregister(connection_id)
            return False

    return sum(_pool.map(close, targets))
