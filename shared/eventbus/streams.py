"""The message path's events, read from DynamoDB Streams: nothing is added to a send.

Each stream record of the Messages, Chats or Members table becomes the events it
means (``entries_of``): a new message ``message.created`` (and, for the members who
had no live connection, ``message.undelivered``), an edit ``message.edited``, a
delete ``message.deleted``; a new chat ``chat.created``; a membership written or
removed ``chat.member.added`` / ``chat.member.removed``. Reactions and read receipts
publish nothing. ``publish_records`` publishes a batch's events in record order and
answers the first record whose events could not be put, so that Lambda retries from
there (events are at least once; ``detail.messageId`` and the EventBridge ``id``
let a consumer drop a repeat).

"Undelivered" is decided when the record is read (typically well under a second
after the send): the chat's members but the sender, less every user with an entry in
the chat's room (a live connection). That costs this consumer one Query of the
members and one of the room per new message, never the sender.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from shared.config import settings
from shared.eventbus import publisher, schema
from shared.eventbus.schema import Entry, Family
from shared.store import chats, rooms
from shared.store.models import Chat, Member, Message

log = logging.getLogger(__name__)

Record = Mapping[str, Any]


def table_of(record: Record) -> str:
    """The table a record came from: ``arn:...:table/{name}/stream/{label}``."""
    arn = str(record.get("eventSourceARN") or "")
    return arn.split(":table/", 1)[-1].split("/stream/", 1)[0] if ":table/" in arn else ""


def _image(record: Record, which: str) -> dict[str, Any] | None:
    image = (record.get("dynamodb") or {}).get(which)
    return image if isinstance(image, dict) and image else None


def _message(image: dict[str, Any]) -> dict[str, Any]:
    """A Messages item as the event builders take it (plain values)."""
    message = Message.from_raw_data(image)
    return {
        "chatId": message.chat_id,
        "id": message.id,
        "senderId": message.sender_id,
        "body": message.body,
        "createdAt": message.created_at,
        "clientMessageId": message.client_message_id,
        "version": message.version,
        "editedAt": message.edited_at,
        "deletedAt": message.deleted_at,
        "deletedBy": message.deleted_by,
        "attachments": [
            {"id": a.id, "name": a.name, "size": int(a.size), "contentType": a.content_type}
            for a in message.attachments or ()
        ],
        "call": (
            {"callId": message.call.call_id, "media": message.call.media}
            if message.call is not None
            else None
        ),
    }


def undelivered_to(chat_id: str, sender_id: str) -> list[str]:
    """The members but the sender with no live connection in the chat's room, in user
    id order: one Query of the members, one of the room."""
    live = {entry.user_id for entry in rooms.resolve(rooms.chat_room(chat_id))}
    return [m for m in chats.member_ids(chat_id) if m != sender_id and m not in live]


def _message_entries(record: Record) -> list[Entry]:
    new, old = _image(record, "NewImage"), _image(record, "OldImage")
    name = record.get("eventName")
    if new is None:
        return []
    message = _message(new)
    if name == "INSERT":
        entries = []
        if publisher.publishes(Family.MESSAGE):
            entries.append(schema.message_created(message))
        if publisher.publishes(Family.UNDELIVERED):
            offline = undelivered_to(message["chatId"], message["senderId"])
            entries += schema.message_undelivered(message, offline)
        return entries
    if name != "MODIFY" or old is None or not publisher.publishes(Family.MESSAGE):
        return []
    before = _message(old)
    if message["deletedAt"] is not None and before["deletedAt"] is None:
        return [schema.message_deleted(message)]
    if message["deletedAt"] is None and message["editedAt"] != before["editedAt"]:
        return [schema.message_edited(message)]
    return []  # a reaction


def _chat_entries(record: Record) -> list[Entry]:
    new = _image(record, "NewImage")
    if record.get("eventName") != "INSERT" or new is None:
        return []
    chat = Chat.from_raw_data(new)
    return [
        schema.chat_created(
            {
                "chatId": chat.chat_id,
                "name": chat.name,
                "createdBy": chat.created_by,
                "createdAt": chat.created_at,
            }
        )
    ]


def _member_entries(record: Record) -> list[Entry]:
    name = record.get("eventName")
    image = _image(record, "NewImage" if name == "INSERT" else "OldImage")
    if image is None:
        image = (record.get("dynamodb") or {}).get("Keys")
    if name not in ("INSERT", "REMOVE") or not isinstance(image, dict):
        return []  # a read receipt (MODIFY)
    member = Member.from_raw_data(image)
    fields = {
        "chatId": member.chat_id,
        "userId": member.user_id,
        "role": member.role,
        "joinedAt": member.joined_at,
    }
    return [schema.member_added(fields) if name == "INSERT" else schema.member_removed(fields)]


def entries_of(record: Record) -> list[Entry]:
    """The events one stream record means (none for a table or change that means none)."""
    table = table_of(record)
    current = settings()
    if table == current.messages_table:
        wanted = publisher.publishes(Family.MESSAGE, Family.UNDELIVERED)
        return _message_entries(record) if wanted else []
    if table == current.chats_table:
        return _chat_entries(record) if publisher.publishes(Family.CHAT) else []
    if table == current.members_table:
        return _member_entries(record) if publisher.publishes(Family.CHAT) else []
    return []


def publish_records(records: Sequence[Record]) -> str | None:
    """Publish a batch's events; the sequence number of the first record that must be
    retried (its events, or reading what they need, failed), or None."""
    produced: list[tuple[int, Entry]] = []
    stop = len(records)
    for index, record in enumerate(records):
        try:
            produced += [(index, entry) for entry in entries_of(record)]
        except Exception:
            log.exception("events of stream record %s failed", record.get("eventID"))
            stop = index
            break
    failed = publisher.publish([entry for _, entry in produced])
    first = stop
    if failed:
        failed_ids = {id(entry) for entry in failed}
        first = min([i for i, entry in produced if id(entry) in failed_ids] + [stop])
    if first >= len(records):
        return None
    sequence = (records[first].get("dynamodb") or {}).get("SequenceNumber")
    return str(sequence) if sequence is not None else None
