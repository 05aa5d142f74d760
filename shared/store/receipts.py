"""Read receipts: how far each member has read a chat, and unread counts.

A member's read position is the id of the newest message they have read
(``Member.lastReadId``, with ``readAt``). Message ids are time-sortable, so the
position only ever moves forward: one conditional UpdateItem
(``lastReadId < :id``) refuses a move backwards even when two devices race.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared import clock, errors, ids
from shared.store import dynamodb, messages
from shared.store.models import Chat, Member, Message, MessagesByTime

UNREAD_CAP = 100  # unread counts look at no more than this many messages after the position

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="receipts")


@dataclass(frozen=True)
class ReadPosition:
    """A member's read position in a chat; ``moved`` tells whether this call advanced it."""

    chat_id: str
    user_id: str
    message_id: str | None
    read_at: int | None
    moved: bool

    def to_wire(self) -> dict[str, Any]:
        return {
            "chatId": self.chat_id,
            "userId": self.user_id,
            "messageId": self.message_id,
            "readAt": ids.iso_from_ms(self.read_at) if self.read_at is not None else None,
        }


def _number(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name, {}).get("N")
    return int(value) if value is not None else None


def _string(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return str(value) if value is not None else None


def advance(chat_id: str, user_id: str, message_id: str) -> ReadPosition:
    """Move the member's read position forward to ``message_id``: one conditional UpdateItem.

    A position at or past ``message_id`` is left alone (``moved`` False) and
    returned as it is, from the failed condition's ALL_OLD, at no extra cost.
    """
    now = clock.now_ms()
    try:
        dynamodb.conditional(
            "update_item",
            TableName=Member.Meta.table_name,
            Key={"chatId": {"S": chat_id}, "userId": {"S": user_id}},
            UpdateExpression="SET lastReadId = :id, readAt = :now",
            ConditionExpression=(
                "attribute_exists(userId) AND "
                "(attribute_not_exists(lastReadId) OR lastReadId < :id)"
            ),
            ExpressionAttributeValues={":id": {"S": message_id}, ":now": {"N": str(now)}},
        )
    except dynamodb.ConditionFailed as failed:
        item = failed.item
        if not item:  # no membership (removed meanwhile)
            raise errors.Forbidden("not a member of this chat") from failed
        return ReadPosition(
            chat_id, user_id, _string(item, "lastReadId"), _number(item, "readAt"), False
        )
    return ReadPosition(chat_id, user_id, message_id, now, True)


def mark_read(chat_id: str, user_id: str, message_id: str) -> ReadPosition:
    """Read up to a message of the chat (``not_found`` if it has no such message).

    One Query (the message) and one conditional UpdateItem.
    """
    if messages.find(chat_id, message_id) is None:
        raise errors.NotFound("no such message in this chat")
    return advance(chat_id, user_id, message_id)


def mark_all_read(chat_id: str, user_id: str) -> ReadPosition:
    """Read up to the chat's newest message: one Query and one conditional UpdateItem.

    A chat without messages costs the Query only and returns an empty position.
    """
    newest = messages.newest(chat_id)
    if newest is None:
        return ReadPosition(chat_id, user_id, None, None, False)
    return advance(chat_id, user_id, newest.id)


def _summary(chat_id: str, user_id: str, last_read_id: str | None) -> dict[str, Any]:
    # Newest first from the read position on: the first item is the chat's
    # newest message (the last read one at least, when nothing is unread).
    condition = MessagesByTime.id >= last_read_id if last_read_id else None
    page: list[Message] = list(
        Message.by_time.query(
            chat_id,
            range_key_condition=condition,
            scan_index_forward=False,
            limit=UNREAD_CAP + 1,
        )
    )
    unread = [
        m
        for m in page[:UNREAD_CAP]
        if (last_read_id is None or m.id > last_read_id)
        and m.sender_id != user_id
        and m.deleted_at is None
    ]
    return {
        "lastMessage": messages.to_wire(page[0]) if page else None,
        "unreadCount": len(unread),
    }


def chat_summaries(user_id: str, chat_list: list[Chat]) -> list[dict[str, Any]]:
    """For each chat, in order: ``{"lastMessage": wire message or None, "unreadCount": int}``.

    unreadCount counts the other members' messages (deleted ones excluded)
    newer than the user's read position, looking at no more than the
    UNREAD_CAP newest of them: it never exceeds 100 and is exact when fewer
    than 100 messages arrived since the read position.

    Costs one BatchGetItem of the memberships (per 100 chats) and one Query
    per chat, run concurrently.
    """
    if not chat_list:
        return []
    keys = [(chat.chat_id, user_id) for chat in chat_list]
    positions = {m.chat_id: m.last_read_id for m in Member.batch_get(keys, consistent_read=True)}
    return list(
        _pool.map(
            lambda chat: _summary(chat.chat_id, user_id, positions.get(chat.chat_id)), chat_list
        )
    )
