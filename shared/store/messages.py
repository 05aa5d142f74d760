"""Messages: idempotent store (one conditional Put), newest-first history, lookups, wire shape."""

from __future__ import annotations

from typing import Any

from shared import clock, ids
from shared.attachments import attached
from shared.store import dynamodb
from shared.store.models import Attachment, CallRecord, Message, MessagesByTime, dedup_key

MAX_PAGE = 100
DEFAULT_PAGE = 50


def reactions_to_wire(reactions: dict[str, set[str]]) -> dict[str, dict[str, Any]]:
    """``{emoji: {count, users}}``, emojis and users sorted; emojis nobody uses left out."""
    return {
        emoji: {"count": len(users), "users": sorted(users)}
        for emoji, users in sorted(reactions.items())
        if users
    }


def to_wire(message: Message) -> dict[str, Any]:
    """The client's view of a message; a deleted one is a tombstone (no body, no reactions,
    no attachments). Attachments carry presigned download URLs, minted here."""
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "chatId": message.chat_id,
        "senderId": message.sender_id,
        "body": None if deleted else message.body,
        "createdAt": ids.iso_from_ms(int(message.created_at)),
        "clientMessageId": message.client_message_id,
        "version": int(message.version or 1),
        "editedAt": ids.iso_from_ms(int(message.edited_at)) if message.edited_at else None,
        "deleted": deleted,
        "reactions": {} if deleted else reactions_to_wire(message.reactions),
        "attachments": [] if deleted else attached.to_wire(message.chat_id, message.attachments),
        "call": None if deleted or message.call is None else call_to_wire(message.call),
    }


def call_to_wire(call: CallRecord) -> dict[str, Any]:
    """A call message's ``call``: its id, media and outcome, and when answered, when it
    started and ended and how long it lasted (whole seconds)."""
    started = int(call.started_at) if call.started_at else None
    ended = int(call.ended_at) if call.ended_at else None
    return {
        "callId": call.call_id,
        "media": call.media,
        "status": call.status,
        "startedAt": ids.iso_from_ms(started) if started else None,
        "endedAt": ids.iso_from_ms(ended) if ended else None,
        "durationSeconds": (ended - started) // 1000 if started and ended else None,
    }


def store(
    chat_id: str,
    sender_id: str,
    body: str,
    client_message_id: str | None,
    attachments: list[Attachment] | None = None,
    call: CallRecord | None = None,
) -> tuple[Message, bool]:
    """Store a message once per (sender, clientMessageId).

    Returns the stored message and whether this call created it. A retry with
    the same clientMessageId costs only the failed conditional Put: the original
    comes back in its error (ReturnValuesOnConditionCheckFailure=ALL_OLD).
    """
    now = clock.now_ms()
    message_id = ids.new_id(now)
    client_id = client_message_id or message_id
    message = Message(
        chat_id,
        dedup_key(sender_id, client_id),
        id=message_id,
        sender_id=sender_id,
        body=body,
        created_at=now,
        client_message_id=client_id,
        attachments=attachments or None,
        call=call,
    )
    try:
        dynamodb.conditional(
            "put_item",
            TableName=Message.Meta.table_name,
            Item=message.serialize(),
            ConditionExpression="attribute_not_exists(dedupKey)",
        )
        return message, True
    except dynamodb.ConditionFailed as failed:
        old = failed.item
    stored = (
        Message.from_raw_data(old)
        if old
        else Message.get(chat_id, dedup_key(sender_id, client_id), consistent_read=True)
    )
    # Our own Put may have landed with its answer lost, and botocore's retry then
    # failed the condition: that is this call's message, not a duplicate.
    return stored, stored.id == message_id


def history(
    chat_id: str, limit: int = DEFAULT_PAGE, before: str | None = None
) -> tuple[list[Message], str | None]:
    """A page of a chat's messages, newest first, and the cursor of the next page.

    The cursor is the id of the oldest message returned; the next page holds
    the messages older than it. One Query of the byTime index per page.
    """
    limit = max(1, min(limit, MAX_PAGE))
    condition = MessagesByTime.id < before if before else None
    page = list(
        Message.by_time.query(
            chat_id, range_key_condition=condition, scan_index_forward=False, limit=limit + 1
        )
    )
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].id if more else None)


def find(chat_id: str, message_id: str) -> Message | None:
    """A chat's message by its id, or None: one strongly consistent Query of byTime."""
    found = Message.by_time.query(
        chat_id, range_key_condition=MessagesByTime.id == message_id, consistent_read=True, limit=1
    )
    return next(iter(found), None)


def newest(chat_id: str) -> Message | None:
    """A chat's newest message, or None: one strongly consistent Query of byTime."""
    found = Message.by_time.query(chat_id, scan_index_forward=False, consistent_read=True, limit=1)
    return next(iter(found), None)
