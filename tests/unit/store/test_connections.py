"""Connection lifecycle: register with every room on $connect, unregister on $disconnect or 410."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared import config
from shared.config import CONNECTION_TTL_SECONDS
from shared.observability import calls
from shared.store import chats, connections, dynamodb, rooms
from shared.store.connections import GONE_GRACE_MS
from shared.store.models import Member
from tests.unit.store.conftest import FakeClock, Reader


def memberships(user_id: str, count: int) -> list[str]:
    """Make ``user_id`` a member of ``count`` chats (one batch); their ids."""
    chat_ids = [f"c{i:03}" for i in range(count)]
    dynamodb.write(puts=[Member(chat_id, user_id, joined_at=1) for chat_id in chat_ids])
    return chat_ids


def room_names(stored: Reader, table: str, connection_id: str) -> list[str]:
    return sorted(
        item["room"]["S"]
        for item in stored.items(table)
        if item["connectionId"]["S"] == connection_id
    )


class FailingSecondBatch:
    """A client whose second BatchWriteItem fails (the first and later ones go through)."""

    def __init__(self) -> None:
        self.real = dynamodb.client()
        self.calls = 0

    def batch_write_item(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 2:
            raise ClientError(
                {"Error": {"Code": "InternalServerError", "Message": "boom"}}, "BatchWriteItem"
            )
        return dict(self.real.batch_write_item(**request))


# ---------------------------------------------------------------- user_chat_ids


def test_user_chat_ids_lists_the_chats_a_user_belongs_to(domain: config.Settings) -> None:
    memberships("alice", 3)
    Member("other", "bob", joined_at=1).save()
    calls.reset()
    assert sorted(connections.user_chat_ids("alice")) == ["c000", "c001", "c002"]
    assert calls.counted() == {"dynamodb.Query": 1}
    assert connections.user_chat_ids("nobody") == []


# ---------------------------------------------------------------- register


def test_register_writes_the_connection_its_user_room_and_every_chat_room(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    chat_ids = memberships("alice", 2)
    calls.reset()
    joined = connections.register("k1=", "alice", 1_700_000_000_123, "203.0.113.9")
    assert sorted(joined) == chat_ids
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchWriteItem": 1}
    expires_at = str(clock.now_s() + CONNECTION_TTL_SECONDS)
    assert stored.item(domain.connections_table, connectionId="k1=") == {
        "connectionId": {"S": "k1="},
        "userId": {"S": "alice"},
        "connectedAt": {"N": "1700000000123"},
        "sourceIp": {"S": "203.0.113.9"},
        "expiresAt": {"N": expires_at},
    }
    entries = stored.items(domain.rooms_table)
    assert sorted(e["room"]["S"] for e in entries) == ["chat:c000", "chat:c001", "user:alice"]
    assert {e["userId"]["S"] for e in entries} == {"alice"}
    assert {e["expiresAt"]["N"] for e in entries} == {expires_at}  # they expire together


def test_register_without_a_source_ip_leaves_it_out(
    domain: config.Settings, stored: Reader
) -> None:
    assert connections.register("k1=", "alice", 1, None) == []
    record = stored.item(domain.connections_table, connectionId="k1=")
    assert record is not None and "sourceIp" not in record
    assert room_names(stored, domain.rooms_table, "k1=") == ["user:alice"]


@pytest.mark.parametrize(("chats", "batches"), [(0, 1), (23, 1), (24, 2), (49, 3)])
def test_register_costs_one_query_and_a_batch_per_25_items(
    domain: config.Settings, stored: Reader, chats: int, batches: int
) -> None:
    memberships("alice", chats)
    calls.reset()
    connections.register("k1=", "alice", 1, None)
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchWriteItem": batches}
    assert len(room_names(stored, domain.rooms_table, "k1=")) == chats + 1


def test_a_failed_register_removes_what_it_wrote_and_raises(
    domain: config.Settings, stored: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    memberships("alice", 30)  # 32 items: the first batch lands, the second fails
    failing = FailingSecondBatch()
    monkeypatch.setattr(dynamodb, "client", lambda: failing)
    with pytest.raises(ClientError, match="boom"):
        connections.register("k1=", "alice", 1, None)
    assert failing.calls == 4  # two to write, two to take back
    assert stored.items(domain.connections_table) == []
    assert stored.items(domain.rooms_table) == []


# ---------------------------------------------------------------- unregister


def test_unregister_deletes_the_record_and_its_rooms_and_returns_the_rooms_left(
    domain: config.Settings, stored: Reader
) -> None:
    memberships("alice", 2)
    connections.register("k1=", "alice", 1, None)
    connections.register("k2=", "alice", 1, None)  # another device stays
    calls.reset()
    left = connections.unregister("k1=", "alice")
    assert sorted(left) == ["chat:c000", "chat:c001", "user:alice"]
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchWriteItem": 1}
    assert stored.item(domain.connections_table, connectionId="k1=") is None
    assert room_names(stored, domain.rooms_table, "k1=") == []
    assert stored.item(domain.connections_table, connectionId="k2=") is not None
    assert len(room_names(stored, domain.rooms_table, "k2=")) == 3


def test_unregister_without_the_user_finds_it_from_the_record(
    domain: config.Settings, stored: Reader
) -> None:
    memberships("alice", 1)
    connections.register("k1=", "alice", 1, None)
    calls.reset()
    assert sorted(connections.unregister("k1=")) == ["chat:c000", "user:alice"]
    assert calls.counted() == {
        "dynamodb.GetItem": 1,
        "dynamodb.Query": 1,
        "dynamodb.BatchWriteItem": 1,
    }
    assert stored.items(domain.connections_table) == []
    assert stored.items(domain.rooms_table) == []


def test_unregister_finds_the_rooms_of_chats_joined_while_connected(
    domain: config.Settings, stored: Reader
) -> None:
    connections.register("k1=", "alice", 1, None)
    chat, _, _ = chats.create_chat("alice", [], "later")  # joins this connection too
    joined = f"chat:{chat.chat_id}"
    assert room_names(stored, domain.rooms_table, "k1=") == [joined, "user:alice"]
    connections.unregister("k1=", "alice")
    assert stored.items(domain.rooms_table) == []


def test_unregister_is_idempotent(domain: config.Settings, stored: Reader) -> None:
    connections.register("k1=", "alice", 1, None)
    connections.unregister("k1=", "alice")
    assert connections.unregister("k1=", "alice") == ["user:alice"]
    assert connections.unregister("k1=") == []  # no record, no user: nothing to find
    assert connections.unregister("never-there=") == []
    assert stored.items(domain.rooms_table) == []


def test_unregister_costs_a_query_and_a_batch_per_25_items(domain: config.Settings) -> None:
    memberships("alice", 30)  # 31 rooms + the record: two batches
    connections.register("k1=", "alice", 1, None)
    calls.reset()
    assert len(connections.unregister("k1=", "alice")) == 31
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchWriteItem": 2}


# ---------------------------------------------------------------- unregister_if_stale


def test_a_410_for_a_connection_still_completing_its_connect_is_left_alone(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    connections.register("k1=", "alice", clock.now_ms(), None)
    clock.advance(GONE_GRACE_MS - 1_000)
    calls.reset()
    assert connections.unregister_if_stale("k1=") is False
    assert calls.counted() == {"dynamodb.GetItem": 1}
    assert stored.item(domain.connections_table, connectionId="k1=") is not None
    assert room_names(stored, domain.rooms_table, "k1=") == ["user:alice"]


def test_a_410_for_an_old_connection_cleans_it_up(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    connections.register("k1=", "alice", clock.now_ms(), None)
    clock.advance(GONE_GRACE_MS + 1_000)
    assert connections.unregister_if_stale("k1=") is True
    assert stored.items(domain.connections_table) == []
    assert stored.items(domain.rooms_table) == []


def test_a_connection_whose_connect_ran_late_counts_as_young_from_its_write(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    # The handshake began a minute ago, but $connect (queued) wrote the record just now.
    handshake_ms = clock.now_ms() - 60_000
    connections.register("k1=", "alice", handshake_ms, None)
    clock.advance(1_000)
    assert connections.unregister_if_stale("k1=") is False
    assert stored.item(domain.connections_table, connectionId="k1=") is not None


def test_a_410_without_a_record_costs_one_read(domain: config.Settings) -> None:
    # Unregistered already ($disconnect got there first); without a record the user,
    # and so any leftover room entry, is unknown: those expire with their TTL.
    calls.reset()
    assert connections.unregister_if_stale("k1=") is False
    assert calls.counted() == {"dynamodb.GetItem": 1}


# ---------------------------------------------------------------- user_connection_ids, join_room


def test_user_connection_ids_lists_every_device_of_the_user(domain: config.Settings) -> None:
    for connection_id in ("k1=", "k2="):
        connections.register(connection_id, "alice", 1, None)
    connections.register("k3=", "bob", 1, None)
    assert sorted(connections.user_connection_ids("alice")) == ["k1=", "k2="]
    assert connections.user_connection_ids("nobody") == []


def test_join_room_puts_the_given_connections_into_another_room(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    connections.register("k1=", "alice", 1, None)
    connections.register("k2=", "bob", 1, None)
    clock.advance(5_000)
    entries = rooms.resolve("user:alice") + rooms.resolve("user:bob")
    calls.reset()
    connections.join_room("chat:c9", entries)
    assert calls.counted() == {"dynamodb.BatchWriteItem": 1}
    joined = sorted((e.connection_id, e.user_id, e.expires_at) for e in rooms.resolve("chat:c9"))
    expires_at = clock.now_s() + CONNECTION_TTL_SECONDS
    assert joined == [("k1=", "alice", expires_at), ("k2=", "bob", expires_at)]


def test_joining_no_connections_writes_nothing(domain: config.Settings) -> None:
    calls.reset()
    connections.join_room("chat:c9", [])
    assert calls.counted() == {}
    assert rooms.resolve("chat:c9") == []
