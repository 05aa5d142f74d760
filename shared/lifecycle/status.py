"""A user's status as their contacts see it (online, away, busy, offline, last seen),
and who hears when it changes.

Presence reads come from Redis (shared/state/presence.py) and fall back to
DynamoDB when Redis is down; announcements go to the connections of everyone who
shares a chat with the user, never to everyone.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared import clock, ids
from shared.config import settings
from shared.delivery.fanout import FanoutResult, deliver
from shared.protocol import Event, frame
from shared.state import presence, redis_client
from shared.store import chats, connections, rooms
from shared.store.models import Connection, Member, User

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="status")


def _durable(user_id: str) -> User | None:
    try:
        return User.get(user_id)
    except User.DoesNotExist:
        return None


def user_status(user_id: str, online: bool | None = None) -> dict[str, Any]:
    """``{userId, status, text, lastSeen}``: status is offline, or the chosen one if online.

    One Redis round trip for the chosen status; DynamoDB (Users) only when Redis has
    none (an offline user's lastSeen, or a status Redis lost).
    """
    if online is None:
        online = is_online(user_id)
    try:
        chosen = presence.statuses([user_id]).get(user_id)
    except redis_client.RedisUnavailable:
        chosen = None
    durable = _durable(user_id) if chosen is None or not online else None
    if chosen is None and durable is not None and durable.status:
        chosen = {"status": durable.status, "text": durable.status_text or ""}
    if online:
        return online_status(user_id, (chosen or {}).get("status"), (chosen or {}).get("text"))
    last_seen = durable.last_seen if durable is not None else None
    return {
        "userId": user_id,
        "status": "offline",
        "text": None,
        "lastSeen": ids.iso_from_ms(int(last_seen)) if last_seen else None,
    }


def online_status(user_id: str, status: str | None, text: str | None) -> dict[str, Any]:
    """The ``user:status`` payload of an online user (last seen: now)."""
    return {
        "userId": user_id,
        "status": status or "online",
        "text": text or None,
        "lastSeen": ids.iso_from_ms(clock.now_ms()),
    }


def contact_connections(user_id: str, chat_ids: list[str] | None = None) -> list[str]:
    """Connections of everyone who shares a small chat with the user (their own included)."""
    return audience(user_id, chat_ids)[0]


def audience(user_id: str, chat_ids: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Who hears the user's status changes: the connections in the user's chats of at most
    ``PresenceAnnounceLimit`` members, and the larger chats (which hear nothing; their
    online sets are kept instead). One Query for the user's chats (unless given), one
    BatchGetItem for their sizes and one room Query per small chat, concurrently."""
    if chat_ids is None:
        chat_ids = connections.user_chat_ids(user_id)
    if not chat_ids:
        return [], []
    limit = settings().presence_announce_limit
    counts = chats.sizes(chat_ids)
    small = [chat_id for chat_id in chat_ids if counts[chat_id] <= limit]
    large = [chat_id for chat_id in chat_ids if counts[chat_id] > limit]
    found = _pool.map(lambda chat_id: rooms.resolve(rooms.chat_room(chat_id)), small)
    targets = list(dict.fromkeys(e.connection_id for entries in found for e in entries))
    return targets, large


def announce(
    user_id: str,
    status: dict[str, Any] | None = None,
    exclude_connection: str | None = None,
    chat_ids: list[str] | None = None,
    endpoint: str | None = None,
) -> FanoutResult:
    """``user:status`` to the users who share a small chat with ``user_id`` (not to
    everyone); the user joins or leaves the online sets of the large ones."""
    payload = status or user_status(user_id)
    targets, large = audience(user_id, chat_ids)
    if large:
        # Redis down: the sets catch up with the user's next change.
        with contextlib.suppress(redis_client.RedisUnavailable):
            presence.track(large, user_id, payload["status"] != "offline")
    targets = [c for c in targets if c != exclude_connection]
    return deliver(targets, frame(Event.USER_STATUS, payload), endpoint)


def went_offline(
    user_id: str,
    exclude_connection: str | None = None,
    endpoint: str | None = None,
    chat_ids: list[str] | None = None,
    now: int | None = None,
) -> FanoutResult:
    """Record last seen (``now``, epoch ms, default the clock's) durably and tell the
    user's contacts (of ``chat_ids`` when the caller knows them, as the last
    connection's rooms: that saves the Members Query)."""
    now = clock.now_ms() if now is None else now
    User(user_id).update(actions=[User.last_seen.set(now)])
    payload = {
        "userId": user_id,
        "status": "offline",
        "text": None,
        "lastSeen": ids.iso_from_ms(now),
    }
    return announce(user_id, payload, exclude_connection, chat_ids, endpoint)


def is_online(user_id: str) -> bool:
    """Redis first (a live session); DynamoDB (a connection record) when Redis is down."""
    try:
        return presence.online_many([user_id])[user_id]
    except redis_client.RedisUnavailable:
        return bool(connections.user_connection_ids(user_id))


def chat_users(chat_id: str) -> list[dict[str, Any]]:
    """Members of a chat who are online now, with their chosen status. A large chat's
    come from its online set (paged), not from a Query of every member."""
    if chats.size(chat_id) > settings().presence_announce_limit:
        return _large_chat_users(chat_id)
    member_ids = [m.user_id for m in Member.query(chat_id)]
    try:
        return online_entries(member_ids)
    except redis_client.RedisUnavailable:
        online = {u: bool(connections.user_connection_ids(u)) for u in member_ids}
        return _entries(member_ids, online, {})


def online_entries(user_ids: list[str]) -> list[dict[str, Any]]:
    """``{userId, status}`` of those of ``user_ids`` who are online now: two Redis round
    trips (RedisUnavailable when Redis is down)."""
    online = presence.online_many(user_ids)
    return _entries(user_ids, online, presence.statuses([u for u in user_ids if online[u]]))


def _entries(
    user_ids: list[str], online: dict[str, bool], chosen: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    return [
        {"userId": u, "status": chosen.get(u, {}).get("status") or "online"}
        for u in user_ids
        if online[u]
    ]


def stats() -> dict[str, Any]:
    """Live connections, online users and per-stage connection counts."""
    try:
        sessions = presence.live_sessions()
    except redis_client.RedisUnavailable:
        count = sum(1 for _ in Connection.scan(attributes_to_get=["connectionId"]))
        return {"connections": count, "onlineUsers": None, "stages": {}, "source": "dynamodb"}
    stages: dict[str, int] = {}
    for session in sessions:
        stages[session.stage] = stages.get(session.stage, 0) + 1
    return {
        "connections": len(sessions),
        "onlineUsers": len({s.user_id for s in sessions}),
        "stages": stages,
        "source": "redis",
    }


def _large_chat_users(chat_id: str) -> list[dict[str, Any]]:
    try:
        found: list[str] = []
        cursor = -1
        while cursor != 0:
            cursor, user_ids, _ = presence.chat_online(chat_id, max(cursor, 0), 1000)
            found += user_ids
        return online_entries(sorted(set(found)))
    except redis_client.RedisUnavailable:
        return []
