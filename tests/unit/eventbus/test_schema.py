"""shared.eventbus.schema: every event has a family, a versioned detail, and the fields
docs/events.md promises."""

from __future__ import annotations

import pytest

from shared.eventbus import schema
from shared.eventbus.schema import FAMILY_OF, SCHEMA_VERSION, EventName, Family, families


def test_every_event_has_a_family_and_every_family_an_event() -> None:
    assert set(FAMILY_OF) == set(EventName)
    assert set(FAMILY_OF.values()) == set(Family)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("", set()),
        ("all", set(Family)),
        ("message,undelivered", {Family.MESSAGE, Family.UNDELIVERED}),
        (" chat , user ", {Family.CHAT, Family.USER}),
        (("connection",), {Family.CONNECTION}),
        ("nonsense", set()),
    ],
)
def test_the_families_setting(setting: str | tuple[str, ...], expected: set[Family]) -> None:
    assert families(setting) == expected


MESSAGE = {
    "chatId": "c1",
    "id": "m1",
    "senderId": "alice",
    "body": "hi",
    "createdAt": 1_800_000_000_000,
    "clientMessageId": "k1",
    "version": 3,
    "editedAt": 1_800_000_001_000,
    "deletedAt": 1_800_000_002_000,
    "deletedBy": "alice",
}


def test_details_carry_the_version_and_the_documented_fields() -> None:
    created = schema.message_created(MESSAGE)
    assert created.name is EventName.MESSAGE_CREATED
    assert created.detail == {
        "version": SCHEMA_VERSION,
        "chatId": "c1",
        "messageId": "m1",
        "senderId": "alice",
        "createdAt": "2027-01-15T08:00:00.000Z",
        "body": "hi",
        "clientMessageId": "k1",
        "attachments": [],
        "call": None,
    }
    assert schema.message_edited(MESSAGE).detail["messageVersion"] == 3
    assert schema.message_deleted(MESSAGE).detail["deletedBy"] == "alice"
    assert schema.user_offline("u", 1_800_000_000_000).detail == {
        "version": 1,
        "userId": "u",
        "lastSeen": "2027-01-15T08:00:00.000Z",
    }
    opened = schema.connection_opened("C1", "u", "prod", 1_800_000_000_000, "203.0.113.9")
    assert set(opened.detail) == {
        "version",
        "connectionId",
        "userId",
        "stage",
        "connectedAt",
        "sourceIp",
    }


def test_undelivered_splits_many_users_over_several_events() -> None:
    users = [f"u{i}" for i in range(schema.MAX_USERS_PER_EVENT * 2 + 1)]
    entries = schema.message_undelivered(MESSAGE, users)
    assert [len(e.detail["userIds"]) for e in entries] == [500, 500, 1]
    assert [u for e in entries for u in e.detail["userIds"]] == users
    assert schema.message_undelivered(MESSAGE, []) == []
