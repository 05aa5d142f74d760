"""shared.eventbus.streams, fed the tables' real stream records (moto's DynamoDB Streams):
what each write means on the bus, and where a batch is retried from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared import clock, config
from shared.eventbus import publisher, streams
from shared.lifecycle import membership
from shared.state import presence
from shared.store import chats, connections, message_updates, messages
from shared.store.models import Attachment, CallRecord
from tests.unit.eventbus.conftest import Bus

Configure = Callable[..., config.Settings]


def records(table: str) -> list[dict[str, Any]]:
    """Every record of the table's stream so far, as moto's DynamoDB Streams makes them,
    with the source ARN Lambda adds. (Read from moto's backend: its in-process
    dynamodbstreams API answers "Not yet implemented" to this botocore; the emulator's
    tests read the same records through the API, from moto's server.)"""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    found = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[table]
    arn = f"arn:aws:dynamodb:us-east-1:{DEFAULT_ACCOUNT_ID}:table/{table}/stream/label"
    return [{**item.to_json(), "eventSourceARN": arn} for item in found.stream_shard.items]


def live(connection_id: str, user_id: str) -> None:
    connections.register(connection_id, user_id, clock.now_ms(), None)
    presence.touch("test", user_id, connection_id)


@pytest.fixture
def chat_id(bus: Bus, domain: config.Settings) -> str:
    """alice (online), bob (online) and carol, dave (offline); nothing published yet."""
    chat, _, _ = chats.create_chat("alice", ["bob", "carol", "dave"], "team")
    live("alice-1", "alice")
    live("bob-1", "bob")
    return chat.chat_id


def test_a_new_message_is_created_and_undelivered_to_exactly_the_offline_members(
    bus: Bus, domain: config.Settings, chat_id: str
) -> None:
    message, _ = messages.store(chat_id, "alice", "lunch?", None)
    streams.publish_records(records(domain.messages_table))
    received = {e["detail-type"]: e["detail"] for e in bus.received()}
    assert set(received) == {"message.created", "message.undelivered"}
    assert received["message.created"]["messageId"] == message.id
    assert received["message.created"]["body"] == "lunch?"
    undelivered = received["message.undelivered"]
    assert (undelivered["messageId"], undelivered["senderId"]) == (message.id, "alice")
    assert undelivered["userIds"] == ["carol", "dave"]


def test_a_photo_and_a_call_are_named_in_the_events_so_a_push_can_say_what_came(
    bus: Bus, domain: config.Settings, chat_id: str
) -> None:
    photo = Attachment.of("A1", "cat.png", 5, "image/png")
    messages.store(chat_id, "alice", "", None, [photo])
    messages.store(chat_id, "alice", "", "call-C1", call=CallRecord.of("C1", "video", "ringing"))
    streams.publish_records(records(domain.messages_table))
    undelivered = [e["detail"] for e in bus.received() if e["detail-type"] == "message.undelivered"]
    assert [(d["attachments"], d["call"]) for d in undelivered] == [
        ([{"id": "A1", "name": "cat.png", "size": 5, "contentType": "image/png"}], None),
        ([], {"callId": "C1", "media": "video"}),
    ]


def test_no_undelivered_event_when_everyone_is_online(
    bus: Bus, domain: config.Settings, chat_id: str
) -> None:
    live("carol-1", "carol")
    live("dave-1", "dave")
    messages.store(chat_id, "alice", "all here", None)
    streams.publish_records(records(domain.messages_table))
    assert bus.names() == ["message.created"]


def test_edits_and_deletes_are_published_and_reactions_are_not(
    bus: Bus, domain: config.Settings, chat_id: str, configure: Configure
) -> None:
    configure(event_families=("message",))
    message, _ = messages.store(chat_id, "alice", "typo", None)
    message_updates.react(chat_id, message.id, "bob", "👍")
    message_updates.edit(chat_id, message.id, "alice", "fixed")
    message_updates.delete(chat_id, message.id, "alice")
    streams.publish_records(records(domain.messages_table))
    received = bus.received()
    assert [e["detail-type"] for e in received] == [
        "message.created",
        "message.edited",
        "message.deleted",
    ]
    assert received[1]["detail"]["body"] == "fixed"
    assert received[2]["detail"]["deletedBy"] == "alice"


def test_chats_and_memberships(bus: Bus, domain: config.Settings, chat_id: str) -> None:
    streams.publish_records(records(domain.chats_table))
    assert bus.names() == ["chat.created"]
    streams.publish_records(records(domain.members_table))
    added = [e["detail"] for e in bus.received()]
    assert sorted(d["userId"] for d in added) == ["alice", "bob", "carol", "dave"]
    assert {d["role"] for d in added if d["userId"] == "alice"} == {"admin"}

    membership.remove(chat_id, "dave", "alice", "http://127.0.0.1:9/test")
    new = records(domain.members_table)[4:]
    streams.publish_records(new)
    assert [(e["detail-type"], e["detail"]["userId"]) for e in bus.received()] == [
        ("chat.member.removed", "dave")
    ]


def test_a_family_not_published_reads_nothing(
    bus: Bus, domain: config.Settings, chat_id: str, configure: Configure
) -> None:
    configure(event_families=("chat",))
    messages.store(chat_id, "alice", "hi", None)
    assert streams.publish_records(records(domain.messages_table)) is None
    assert bus.received() == []


def test_a_batch_is_retried_from_the_first_record_whose_events_failed(
    bus: Bus, domain: config.Settings, chat_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for body in ("one", "two", "three"):
        messages.store(chat_id, "alice", body, None)
    batch = records(domain.messages_table)
    real = publisher.publish

    def second_fails(entries: Any) -> Any:
        entries = list(entries)
        real(entries)
        return [e for e in entries if e.detail.get("body") == "two"]

    monkeypatch.setattr(publisher, "publish", second_fails)
    assert streams.publish_records(batch) == batch[1]["dynamodb"]["SequenceNumber"]


def test_a_record_whose_events_cannot_be_read_stops_the_batch_there(
    bus: Bus, domain: config.Settings, chat_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages.store(chat_id, "alice", "one", None)
    messages.store(chat_id, "alice", "two", None)
    batch = records(domain.messages_table)
    calls = iter([["carol"], RuntimeError("DynamoDB unavailable")])

    def flaky(chat: str, sender: str) -> list[str]:
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(streams, "undelivered_to", flaky)
    assert streams.publish_records(batch) == batch[1]["dynamodb"]["SequenceNumber"]
    assert [e["detail"]["body"] for e in bus.received()] == ["one", "one"]  # created, undelivered


def test_records_of_other_tables_mean_nothing(bus: Bus, domain: config.Settings) -> None:
    record = {"eventName": "INSERT", "eventSourceARN": "arn:aws:dynamodb:x:1:table/other/stream/s"}
    assert streams.entries_of(record) == []
    assert streams.table_of(record) == "other"
