"""Changing a stored message: edit, soft delete, react and unreact.

Every change is one conditional UpdateItem that returns the new item
(ReturnValues=ALL_NEW), and, when its condition fails, the item as it is
(ReturnValuesOnConditionCheckFailure=ALL_OLD), so a refusal costs no extra
read. Nothing is read, modified and written back: bodies are SET under a
condition, reactions are ADD/DELETE on per-emoji string sets and ``version``
is ADDed, all atomic on DynamoDB's side, so concurrent changes never lose one
another. The message is found first by its id (one Query of the byTime index),
which gives its key (``dedupKey``) and lets refusals be told apart.
"""

from __future__ import annotations

import contextlib
from typing import Any

from shared import clock, errors
from shared.store import chats, dynamodb, messages
from shared.store.models import REACTION_PREFIX, Attachment, Member, Message

MAX_REACTION_EMOJIS = 50  # distinct emojis on one message

# The item exists (an UpdateItem would otherwise create it) and is not deleted.
_LIVE = "attribute_exists(dedupKey) AND attribute_not_exists(deletedAt)"


class _Refused(Exception):
    """An update's condition failed; ``current`` is the item as it is (None if absent)."""

    def __init__(self, current: Message | None) -> None:
        super().__init__("condition failed")
        self.current = current


def _not_found() -> errors.NotFound:
    return errors.NotFound("no such message in this chat")


def _is_live(message: Message | None) -> bool:
    return message is not None and message.deleted_at is None


def find_live(chat_id: str, message_id: str) -> Message:
    """The message, or ``not_found`` if the chat has no such message or it was deleted."""
    message = messages.find(chat_id, message_id)
    if message is None or not _is_live(message):
        raise _not_found()
    return message


def _update(
    message: Message,
    update: str,
    condition: str,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Message:
    """One conditional UpdateItem of the message; the new item, or raise _Refused."""
    request: dict[str, Any] = {
        "TableName": Message.Meta.table_name,
        "Key": {"chatId": {"S": message.chat_id}, "dedupKey": {"S": message.dedup_key}},
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ReturnValues": "ALL_NEW",
    }
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = values
    try:
        response = dynamodb.conditional("update_item", **request)
    except dynamodb.ConditionFailed as failed:
        item = failed.item
        raise _Refused(Message.from_raw_data(item) if item else None) from failed
    return Message.from_raw_data(response["Attributes"])


_ONE = {"N": "1"}


def edit(chat_id: str, message_id: str, editor_id: str, body: str) -> Message:
    """Replace the body (author only); sets editedAt and bumps version. Query + UpdateItem."""
    message = find_live(chat_id, message_id)
    if message.sender_id != editor_id:
        raise errors.Forbidden("only the author can edit a message")
    try:
        return _update(
            message,
            "SET body = :body, editedAt = :now ADD version :one",
            f"{_LIVE} AND senderId = :me",
            values={
                ":body": {"S": body},
                ":now": {"N": str(clock.now_ms())},
                ":one": _ONE,
                ":me": {"S": editor_id},
            },
        )
    except _Refused as refused:  # deleted meanwhile (the author never changes)
        raise _not_found() from refused


def delete(chat_id: str, message_id: str, user_id: str) -> tuple[Message, list[Attachment]]:
    """Soft delete by the author or a chat admin: body, reactions, attachments and a call
    message's call removed, deletedAt and deletedBy set, version bumped. Query + UpdateItem
    (+ GetItem when not the author). Returns the tombstone and the attachments the message
    carried (whose files the caller deletes).
    """
    message = find_live(chat_id, message_id)
    if message.sender_id != user_id and not _is_admin(chats.membership(chat_id, user_id)):
        raise errors.Forbidden("only the author or a chat admin can delete")
    names = {f"#r{i}": REACTION_PREFIX + emoji for i, emoji in enumerate(message.reactions)}
    reactions = list(names)
    names["#call"] = "call"  # a reserved word in DynamoDB expressions
    removed = ", ".join(["body", "reactionEmojis", "attachments", "#call", *reactions])
    try:
        tombstone = _update(
            message,
            f"SET deletedAt = :now, deletedBy = :me REMOVE {removed} ADD version :one",
            _LIVE,
            names=names,
            values={":now": {"N": str(clock.now_ms())}, ":me": {"S": user_id}, ":one": _ONE},
        )
    except _Refused as refused:  # deleted meanwhile
        raise _not_found() from refused
    return tombstone, list(message.attachments or ())


def _is_admin(member: Member | None) -> bool:
    return member is not None and member.role == "admin"


def react(chat_id: str, message_id: str, user_id: str, emoji: str) -> tuple[Message, bool]:
    """Add the user to the emoji's set; returns the message and whether it changed.

    Idempotent: reacting again with the same emoji changes nothing (no write
    when the lookup already shows it; when the write finds it there, the state as
    it stands is announced again, since that may be our own retried write). A new
    emoji beyond MAX_REACTION_EMOJIS is refused with ``conflict``. Query + UpdateItem.
    """
    message = find_live(chat_id, message_id)
    if user_id in message.reactions.get(emoji, ()):
        return message, False
    condition = (
        f"{_LIVE} AND NOT contains(#r, :user) AND (attribute_not_exists(reactionEmojis)"
        " OR contains(reactionEmojis, :emoji) OR size(reactionEmojis) < :cap)"
    )
    try:
        updated = _update(
            message,
            "ADD #r :users, reactionEmojis :emojis, version :one",
            condition,
            names={"#r": REACTION_PREFIX + emoji},
            values={
                ":users": {"SS": [user_id]},
                ":user": {"S": user_id},
                ":emojis": {"SS": [emoji]},
                ":emoji": {"S": emoji},
                ":cap": {"N": str(MAX_REACTION_EMOJIS)},
                ":one": _ONE,
            },
        )
    except _Refused as refused:
        current = refused.current
        if current is None or not _is_live(current):
            raise _not_found() from refused
        if user_id in current.reactions.get(emoji, ()):
            # The same reaction landed first: from another device, or our own write whose
            # answer was lost (botocore retries after a timeout, and the retry finds it
            # done). Either way it is announced as it stands: at least once, never zero.
            return current, True
        raise errors.Conflict(
            f"a message can have at most {MAX_REACTION_EMOJIS} emojis"
        ) from refused
    return updated, True


def unreact(chat_id: str, message_id: str, user_id: str, emoji: str) -> tuple[Message, bool]:
    """Remove the user from the emoji's set; returns the message and whether it changed.

    Idempotent like react. Query + UpdateItem, plus one more UpdateItem when
    the user was the emoji's last one (the emoji leaves ``reactionEmojis``,
    under the condition that nobody reacted with it again meanwhile).
    """
    message = find_live(chat_id, message_id)
    if user_id not in message.reactions.get(emoji, ()):
        return message, False
    names = {"#r": REACTION_PREFIX + emoji}
    try:
        updated = _update(
            message,
            "DELETE #r :users ADD version :one",
            f"{_LIVE} AND contains(#r, :user)",
            names=names,
            values={":users": {"SS": [user_id]}, ":user": {"S": user_id}, ":one": _ONE},
        )
    except _Refused as refused:
        current = refused.current
        if current is None or not _is_live(current):
            raise _not_found() from refused
        # Removed first: from another device, or by our own write whose answer was lost
        # (its retry finds it done). Announced as it stands (at least once), and the
        # emptied emoji is still taken off below.
        updated = current
    if emoji not in updated.reactions:  # DynamoDB dropped the emptied set
        with contextlib.suppress(_Refused):  # someone reacted with it again: it stays
            _update(
                updated,
                "DELETE reactionEmojis :emojis",
                "attribute_exists(dedupKey) AND attribute_not_exists(#r)",
                names=names,
                values={":emojis": {"SS": [emoji]}},
            )
    return updated, True
