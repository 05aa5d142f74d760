"""A connection's life as presence sees it: opened ($connect), closed ($disconnect),
or swept (API Gateway, asked once the session went a TTL without news, says it is gone
and no $disconnect came). Each publishes its events
(``connection.opened``/``closed``, and ``user.online``/``offline`` for a user's first
and last connection) in one PutEvents, when the stack publishes those families."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared import clock
from shared.delivery import management_client
from shared.eventbus import publisher, schema
from shared.eventbus.schema import Entry, Family
from shared.lifecycle import status
from shared.state import calls as call_state
from shared.state import presence, redis_client
from shared.store import connections, rooms

log = logging.getLogger(__name__)
_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sessions")
# A session API Gateway says is open, but quiet for a TTL already (its client gone
# silent; API Gateway closes it at its idle timeout), is asked about again this soon.
RECHECK_MS = 60_000
GONE = -1  # what _asked answers for a connection API Gateway no longer has


def _chats_left(rooms_left: list[str]) -> list[str]:
    """The chats a user's last connection was in (every chat of the user's), which name
    their contacts: the Members Query unregistering made serves the announcement too."""
    return rooms.chat_ids_of(rooms_left)


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
    left = connections.unregister(connection_id, user_id)
    _leave_call(connection_id)
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


def _leave_call(connection_id: str) -> None:
    """If the connection was a call's peer, start its grace period (shared/calls). One
    Redis GET; never fails the close: the call's own TTL ends it at worst."""
    try:
        call_id = call_state.call_of_connection(connection_id)
        if call_id:
            from shared.calls import lifecycle  # only a connection in a call pays the import

            lifecycle.connection_dropped(connection_id, call_id)
    except redis_client.RedisUnavailable:
        return
    except Exception:
        log.exception("the call of connection %s was not told it dropped", connection_id)


def _asked(client: Any, connection_id: str) -> int | None:
    """What API Gateway says of a connection: its lastActiveAt (epoch ms) while open,
    GONE when closed, None when it could not be asked (ask again later)."""
    try:
        answer = client.get_connection(ConnectionId=connection_id)
    except client.exceptions.GoneException:
        return GONE
    except Exception:
        log.exception("asking about connection %s failed", connection_id)
        return None
    last_active = answer.get("LastActiveAt") or answer.get("ConnectedAt")
    return int(last_active.timestamp() * 1000) if last_active is not None else clock.now_ms()


def sweep(endpoint: str, limit: int = 500) -> dict[str, Any]:
    """Ask API Gateway about the sessions past their check-by time (GET
    @connections/{id}, concurrently): one still open is renewed until a TTL after its
    last activity (an idle connection kept alive by pings is never taken offline); one
    that is gone (its $disconnect never came) has its records removed, its socket closed
    and, if it was the user's last, the user announced offline, last seen when the
    connection was last heard from."""
    due = presence.expired_sessions(limit)
    if not due:
        return {"checked": 0, "renewed": 0, "swept": 0, "offline": 0}
    client = management_client.client(endpoint)
    answers = list(_pool.map(lambda s: _asked(client, s.connection_id), due))
    now = clock.now_ms()
    ttl_ms = presence.ttl_seconds() * 1000
    recheck_ms = min(RECHECK_MS, ttl_ms)
    renewed = swept = offline = 0
    events: list[Entry] = []
    for session, last_active in zip(due, answers, strict=True):
        if last_active != GONE:
            known = last_active if last_active is not None else 0
            presence.renew(
                session.stage,
                session.user_id,
                session.connection_id,
                max(known + ttl_ms, now + recheck_ms),
            )
            renewed += 1
            continue
        last = presence.end(session.stage, session.user_id, session.connection_id)
        left = connections.unregister(session.connection_id, session.user_id)
        _leave_call(session.connection_id)
        swept += 1
        events.append(
            schema.connection_closed(
                session.connection_id, session.user_id, session.stage, "expired"
            )
        )
        if last:
            # Last heard from: a TTL before the check-by time the session was past.
            last_seen = min(now, max(session.check_by_ms - ttl_ms, 0)) or now
            events.append(schema.user_offline(session.user_id, last_seen))
            chats_left = _chats_left(left)
            status.went_offline(
                session.user_id, session.connection_id, endpoint, chats_left, last_seen
            )
            offline += 1
    _publish(events)
    return {"checked": len(due), "renewed": renewed, "swept": swept, "offline": offline}


def sweep_for(endpoint: str, seconds: float, limit: int = 500) -> dict[str, Any]:
    """Sweep batch after batch (``sweep``) until no session is due or ``seconds`` have
    passed: every open session comes due once per TTL, so a large stage has thousands
    due each minute. Each batch leaves nothing due behind it (renewed, ended, or asked
    again in a minute), so the loop ends."""
    deadline = time.monotonic() + seconds
    total = {"checked": 0, "renewed": 0, "swept": 0, "offline": 0, "batches": 0}
    while True:
        result = sweep(endpoint, limit)
        total["batches"] += 1
        for key in ("checked", "renewed", "swept", "offline"):
            total[key] += result[key]
        if result["checked"] < limit or time.monotonic() >= deadline:
            return total


def close_all(user_id: str, endpoint: str) -> int:
    """Close every session of a user (Management API DELETE); returns how many were closed.
    API Gateway then invokes $disconnect for each. A connection already gone (410) has
    its records removed here."""
    client = management_client.client(endpoint)
    targets = [e.connection_id for e in rooms.resolve(rooms.user_room(user_id))]

    def close(connection_id: str) -> bool:
        try:
            client.delete_connection(ConnectionId=connection_id)
            return True
        except client.exceptions.GoneException:
            connections.unregister(connection_id, user_id)
            return False

    return sum(_pool.map(close, targets))
