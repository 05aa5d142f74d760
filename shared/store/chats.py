"""Chats and memberships: create a chat, list a user's chats, check membership."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from shared import clock, errors, ids
from shared.store import dynamodb, rooms
from shared.store.connections import join_room, user_chat_ids
from shared.store.models import Chat, Member, RoomEntry

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chats")


def chat_to_wire(chat: Chat, members: list[str] | None = None) -> dict[str, object]:
    wire: dict[str, object] = {
        "id": chat.chat_id,
        "name": chat.name,
        "createdBy": chat.created_by,
        "createdAt": ids.iso_from_ms(int(chat.created_at)),
    }
    if members is not None:
        wire["members"] = members
    return wire


def create_chat(
    creator_id: str, member_ids: list[str], name: str | None
) -> tuple[Chat, list[str], dict[str, list[RoomEntry]]]:
    """Create a chat whose members are the creator (admin) and ``member_ids``.

    The chat and its memberships go out in one BatchWriteItem (up to 24
    members); then every live connection of every member joins the chat's room
    at once. Returns the chat, its member ids, and each member's live connections.
    """
    members = list(dict.fromkeys([creator_id, *member_ids]))
    now = clock.now_ms()
    chat = Chat(
        ids.new_id(now),
        name=name,
        created_by=creator_id,
        created_at=now,
        member_count=len(members),
    )
    memberships = [
        Member(chat.chat_id, uid, role="admin" if uid == creator_id else "member", joined_at=now)
        for uid in members
    ]
    dynamodb.write(puts=[chat, *memberships])
    resolved = _pool.map(lambda uid: rooms.resolve(rooms.user_room(uid)), members)
    live = dict(zip(members, resolved, strict=True))
    connections = [entry for entries in live.values() for entry in entries]
    if connections:
        join_room(rooms.chat_room(chat.chat_id), connections)
    return chat, members, live


def existing(chat_id: str) -> Chat:
    """The chat (one GetItem), or NotFound."""
    try:
        return Chat.get(chat_id)
    except Chat.DoesNotExist as missing:
        raise errors.NotFound("no such chat") from missing


def membership(chat_id: str, user_id: str) -> Member | None:
    """The user's membership of a chat, or None: one consistent GetItem."""
    try:
        return Member.get(chat_id, user_id, consistent_read=True)
    except Member.DoesNotExist:
        return None


def user_chats(user_id: str) -> list[Chat]:
    """The user's chats: one index Query plus one BatchGetItem per 100 chats."""
    chat_ids = user_chat_ids(user_id)
    if not chat_ids:
        return []
    found = {c.chat_id: c for c in Chat.batch_get(chat_ids)}
    return [found[cid] for cid in chat_ids if cid in found]


def member_ids(chat_id: str) -> list[str]:
    return [m.user_id for m in Member.query(chat_id)]


def room_as_member(
    chat_id: str, connection_id: str, user_id: str, limit: int | None = None
) -> rooms.Page:
    """The chat's room (its first ``limit`` entries: one Query), after checking the
    user belongs to the chat.

    Membership comes free with the room Query when the connection is in the page
    read. Otherwise one GetItem tells a non-member (Forbidden, without telling
    whether the chat exists) from a member whose connection is beyond the page
    read (a large room) or missed the room in a race with the chat's creation
    (then it joins now, when the whole room was read and it was not there).
    """
    room = rooms.first_page(rooms.chat_room(chat_id), limit)
    if any(entry.connection_id == connection_id for entry in room):
        return room
    if membership(chat_id, user_id) is None:
        raise errors.Forbidden("not a member of this chat")
    if not room.complete:
        return room
    entry = rooms.entry(room.room, connection_id, user_id)
    entry.save()
    room.entries.append(entry)
    return room


def _change_membership(member_write: dict[str, Any], chat_id: str, delta: int) -> bool:
    """A membership write and the chat's member count, together (one TransactWriteItems):
    False when the membership write's condition failed, NotFound when the chat does not
    exist (nothing changed either way)."""
    count = {
        "Update": {
            "TableName": Chat.Meta.table_name,
            "Key": {"chatId": {"S": chat_id}},
            "UpdateExpression": "ADD memberCount :delta",
            "ConditionExpression": "attribute_exists(chatId)",
            "ExpressionAttributeValues": {":delta": {"N": str(delta)}},
        }
    }
    try:
        dynamodb.client().transact_write_items(TransactItems=[member_write, count])
    except ClientError as error:
        reasons = [r.get("Code") for r in error.response.get("CancellationReasons") or []]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise errors.NotFound("no such chat") from error
        raise
    return True


def add_member(chat_id: str, user_id: str, role: str = "member") -> bool:
    """Make ``user_id`` a member (a conditional Put, and the chat's member count + 1, in
    one transaction); False if already a member."""
    member = Member(chat_id, user_id, role=role, joined_at=clock.now_ms())
    put = {
        "Put": {
            "TableName": Member.Meta.table_name,
            "Item": member.serialize(),
            "ConditionExpression": "attribute_not_exists(userId)",
        }
    }
    return _change_membership(put, chat_id, +1)


def remove_member(chat_id: str, user_id: str) -> bool:
    """End a membership (a conditional Delete, and the chat's member count - 1, in one
    transaction); False if not a member."""
    delete = {
        "Delete": {
            "TableName": Member.Meta.table_name,
            "Key": {"chatId": {"S": chat_id}, "userId": {"S": user_id}},
            "ConditionExpression": "attribute_exists(userId)",
        }
    }
    return _change_membership(delete, chat_id, -1)


def sizes(chat_ids: list[str]) -> dict[str, int]:
    """Each chat's member count: one BatchGetItem per 100 chats (0 for a chat not found;
    a chat made before counts were kept counts from its first change on)."""
    found: dict[str, int] = {}
    for chat in Chat.batch_get(chat_ids, attributes_to_get=["chatId", "memberCount"]):
        found[chat.chat_id] = int(chat.member_count or 0)
    return {chat_id: found.get(chat_id, 0) for chat_id in chat_ids}


_size_cache: dict[str, tuple[int, float]] = {}
SIZE_CACHE_SECONDS = 60.0


def size(chat_id: str) -> int:
    """A chat's member count, kept by this container for a minute (typing asks it on
    every keystroke burst; a chat crossing the presence limit is seen within a minute)."""
    now = time.monotonic()
    cached = _size_cache.get(chat_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    count = sizes([chat_id])[chat_id]
    if len(_size_cache) > 10_000:
        _size_cache.clear()
    _size_cache[chat_id] = (count, now + SIZE_CACHE_SECONDS)
    return count
