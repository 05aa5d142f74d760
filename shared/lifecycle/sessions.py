"""A connection's life as presence sees it: opened ($connect), closed ($disconnect),
or swept (its TTL ran out and no $disconnect came). Each publishes its events
(``connection.opened``/``closed``, and ``user.online``/``offline`` for a user's first
and last connection) in one PutEvents, when the stack publishes those families."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared import clock
from shared.delivery import management_api
from shared.eventbus import publisher, schema
from shared.eventbus.schema import Entry, Family
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
    events = [schema.connection_opened(connection_id, user_id, stage, connected_at_ms, source_ip)]
    try:
        first = presence.touch(stage, user_id, connection_id)
    except redis_client.RedisUnavailable:
        _publish(events)
        return chat_ids  # presence degrades; heartbeats rebuild it
    if first:
        events.append(schema.user_online(user_id, clock.now_ms()))
        try:
            online = status.user_status(user_id, online=True)
            # Never post to the connecting connection: API Gateway answers 410 during $connect.
            status.announce(user_id, online, connection_id, chat_ids, endpoint)
        except Exception:
            log.exception("online announcement for %s failed", user_id)
    _publish(events)
    return chat_ids


def _publish(events: list[Entry]) -> None:
    if publisher.publishes(Family.CONNECTION, Family.USER):
        publisher.publish_quietly(events)


def closed(connection_id: str, user_id: str | None, stage: str, endpoint: str) -> None:
    """Remove the connection's records, then its session; the last one leaving makes the
    user offline (last seen kept durably) for their contacts."""
    left = connections.unregister(connection_id)
    if not user_id:
        return
    events = [schema.connection_closed(connection_id, user_id, stage, "disconnected")]
    try:
        last = presence.end(stage, user_id, connection_id)
    except redis_client.RedisUnavailable:
        _publish(events)
        return
    if last:
        now = clock.now_ms()
        events.append(schema.user_offline(user_id, now))
        # The last connection was in every chat of the user: its rooms name the contacts.
        status.went_offline(user_id, connection_id, endpoint, _chats_left(left), now)
    _publish(events)


def sweep(endpoint: str, limit: int = 500) -> dict[str, Any]:
    """Close sessions whose TTL ran out without a $disconnect: remove their records,
    close their sockets if still open (Management API DELETE), announce offline."""
    swept = offline = 0
    client = management_api.client(endpoint)
    events: list[Entry] = []
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
        events.append(
            schema.connection_closed(
                session.connection_id, session.user_id, session.stage, "expired"
            )
        )
        if last:
            now = clock.now_ms()
            events.append(schema.user_offline(session.user_id, now))
            chats_left = _chats_left(left)
            status.went_offline(session.user_id, session.connection_id, endpoint, chats_left, now)
            offline += 1
    _publish(events)
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
