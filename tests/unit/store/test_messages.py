"""The message wire shape and reading per-emoji reaction sets from raw items."""

from __future__ import annotations

from shared.store import messages
from shared.store.models import Message

RAW = {
    "chatId": {"S": "c1"},
    "dedupKey": {"S": "alice#m1"},
    "id": {"S": "01JDQ8Y7C3W2ZK3T0M4V9N6B2E"},
    "senderId": {"S": "alice"},
    "body": {"S": "hi"},
    "createdAt": {"N": "1795687200123"},
    "clientMessageId": {"S": "m1"},
    "version": {"N": "4"},
    "editedAt": {"N": "1795687201000"},
    "reactionEmojis": {"SS": ["👍", "🎉", "x"]},
    "reaction:👍": {"SS": ["bob", "alice"]},
    "reaction:🎉": {"SS": ["carol"]},
}


def test_raw_items_keep_their_reactions_and_the_wire_sorts_them() -> None:
    wire = messages.to_wire(Message.from_raw_data(RAW))
    assert wire == {
        "id": "01JDQ8Y7C3W2ZK3T0M4V9N6B2E",
        "chatId": "c1",
        "senderId": "alice",
        "body": "hi",
        "createdAt": "2026-11-26T10:00:00.123Z",
        "clientMessageId": "m1",
        "version": 4,
        "editedAt": "2026-11-26T10:00:01.000Z",
        "deleted": False,
        "reactions": {
            "🎉": {"count": 1, "users": ["carol"]},
            "👍": {"count": 2, "users": ["alice", "bob"]},
        },
        "attachments": [],
        "call": None,
    }


def test_a_deleted_message_is_a_tombstone() -> None:
    raw = {k: v for k, v in RAW.items() if k != "body"}
    raw |= {"deletedAt": {"N": "1795687202000"}, "deletedBy": {"S": "alice"}}
    wire = messages.to_wire(Message.from_raw_data(raw))
    assert wire["deleted"] is True
    assert wire["body"] is None
    assert wire["reactions"] == {}  # a reaction racing the delete stays hidden


def test_a_new_message_has_version_one_and_no_reactions() -> None:
    message = Message(
        "c1",
        "alice#m1",
        id="01J",
        sender_id="alice",
        body="hi",
        created_at=0,
        client_message_id="m1",
    )
    wire = messages.to_wire(message)
    assert (wire["version"], wire["editedAt"], wire["deleted"], wire["reactions"]) == (
        1,
        None,
        False,
        {},
    )
