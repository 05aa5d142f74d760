"""A membership's life: begun with the chat (every member's live connections join its
room at once and hear ``chat:created``), added (the user's live connections join the
chat's room at once and the chat hears ``chat:member-added``), removed (they leave at
once, and both the chat and the removed user hear ``chat:member-removed``)."""

from __future__ import annotations

import contextlib
from typing import Any

from shared.config import settings
from shared.delivery import fanout
from shared.protocol import Event, frame
from shared.state import presence, redis_client
from shared.store import chats, connections, dynamodb, rooms


def create(
    creator_id: str, member_ids: list[str], name: str | None, endpoint: str | None = None
) -> dict[str, Any]:
    """A new chat of the creator (its admin) and ``member_ids``: stored, joined by every
    member's live connections, announced to them. Returns its wire form."""
    chat, members, live = chats.create_chat(creator_id, member_ids, name)
    wire = chats.chat_to_wire(chat, members)
    targets = [entry.connection_id for entries in live.values() for entry in entries]
    if targets:
        fanout.deliver(targets, frame(Event.CHAT_CREATED, wire), endpoint)
    return wire


def add(
    chat_id: str,
    user_id: str,
    added_by: str | None = None,
    role: str = "member",
    endpoint: str | None = None,
) -> bool:
    """Add a member; False (and nothing sent) if already a member."""
    if not chats.add_member(chat_id, user_id, role):
        return False
    live = rooms.resolve(rooms.user_room(user_id))
    if live:
        connections.join_room(rooms.chat_room(chat_id), live)
        _track(chat_id, user_id, online=True)
    payload = {"chatId": chat_id, "userId": user_id, "role": role, "addedBy": added_by}
    fanout.broadcast_to_chat(chat_id, Event.CHAT_MEMBER_ADDED, payload, endpoint=endpoint)
    return True


def remove(
    chat_id: str, user_id: str, removed_by: str | None = None, endpoint: str | None = None
) -> bool:
    """Remove a member; False if not a member."""
    if not chats.remove_member(chat_id, user_id):
        return False
    live = rooms.resolve(rooms.user_room(user_id))
    _track(chat_id, user_id, online=False)
    room = rooms.chat_room(chat_id)
    dynamodb.write(deletes=[rooms.entry(room, e.connection_id, user_id) for e in live])
    payload = {"chatId": chat_id, "userId": user_id, "removedBy": removed_by}
    page = fanout.first_page(room)
    targets = [e.connection_id for e in page] + [e.connection_id for e in live]
    fanout.deliver(
        targets, frame(Event.CHAT_MEMBER_REMOVED, payload), endpoint, fanout.room_rest(page)
    )
    return True


def _track(chat_id: str, user_id: str, online: bool) -> None:
    """Keep a large chat's online set (shared/lifecycle/status.py) right across joins and
    leaves; Redis down: it catches up with the user's next status change."""
    if chats.size(chat_id) <= settings().presence_announce_limit:
        return
    with contextlib.suppress(redis_client.RedisUnavailable):
        presence.track([chat_id], user_id, online)
