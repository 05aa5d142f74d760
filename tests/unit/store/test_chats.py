"""Chats and memberships: creating a chat joins its members' live connections; membership checks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared import config, errors, ids
from shared.observability import calls
from shared.store import chats, connections, dynamodb, rooms
from shared.store.models import Chat, Member
from tests.unit.store.conftest import FakeClock, Reader


def roles(stored: Reader, table: str, chat_id: str) -> dict[str, str]:
    return {
        item["userId"]["S"]: item["role"]["S"]
        for item in stored.items(table)
        if item["chatId"]["S"] == chat_id
    }


def room_connections(room: str) -> list[str]:
    return sorted(entry.connection_id for entry in rooms.resolve(room))


# ---------------------------------------------------------------- wire


def test_a_chat_on_the_wire_has_an_iso_creation_time_and_members_when_given() -> None:
    chat = Chat("c1", name="lunch", created_by="alice", created_at=1_700_000_000_123)
    wire = {
        "id": "c1",
        "name": "lunch",
        "createdBy": "alice",
        "createdAt": "2023-11-14T22:13:20.123Z",
    }
    assert chats.chat_to_wire(chat) == wire
    assert chats.chat_to_wire(chat, ["alice", "bob"]) == wire | {"members": ["alice", "bob"]}
    assert chats.chat_to_wire(chat, []) == wire | {"members": []}


# ---------------------------------------------------------------- create_chat


def test_create_chat_makes_the_creator_admin_and_the_others_members_once_each(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    created_at = clock.ms
    chat, members, live = chats.create_chat("alice", ["bob", "alice", "carol", "bob"], "lunch")
    assert members == ["alice", "bob", "carol"]  # creator first, in order, no repeats
    assert live == {"alice": [], "bob": [], "carol": []}
    assert (chat.name, chat.created_by, chat.created_at) == ("lunch", "alice", created_at)
    assert ids.decode_time(chat.chat_id) == created_at  # a time-sortable id
    assert stored.item(domain.chats_table, chatId=chat.chat_id) == {
        "chatId": {"S": chat.chat_id},
        "name": {"S": "lunch"},
        "createdBy": {"S": "alice"},
        "createdAt": {"N": str(created_at)},
        "memberCount": {"N": "3"},
    }
    assert roles(stored, domain.members_table, chat.chat_id) == {
        "alice": "admin",
        "bob": "member",
        "carol": "member",
    }


def test_a_chat_may_have_no_name_and_no_other_member(
    domain: config.Settings, stored: Reader
) -> None:
    chat, members, _ = chats.create_chat("alice", [], None)
    assert members == ["alice"]
    assert chats.chat_to_wire(chat)["name"] is None
    item = stored.item(domain.chats_table, chatId=chat.chat_id)
    assert item is not None and "name" not in item


def test_every_live_connection_of_every_member_joins_the_chat_room(
    domain: config.Settings,
) -> None:
    connections.register("a1=", "alice", 1, None)
    connections.register("a2=", "alice", 1, None)
    connections.register("b1=", "bob", 1, None)
    connections.register("d1=", "dave", 1, None)  # not invited
    chat, _, live = chats.create_chat("alice", ["bob", "carol"], "lunch")
    assert {uid: sorted(e.connection_id for e in entries) for uid, entries in live.items()} == {
        "alice": ["a1=", "a2="],
        "bob": ["b1="],
        "carol": [],
    }
    assert room_connections(rooms.chat_room(chat.chat_id)) == ["a1=", "a2=", "b1="]


def test_a_chat_of_24_members_is_written_in_one_batch_with_one_room_query_each(
    domain: config.Settings, stored: Reader
) -> None:
    others = [f"u{i:02}" for i in range(23)]
    calls.reset()
    chat, members, _ = chats.create_chat("alice", others, "big")
    assert len(members) == 24
    assert calls.counted() == {"dynamodb.BatchWriteItem": 1, "dynamodb.Query": 24}
    assert len(roles(stored, domain.members_table, chat.chat_id)) == 24


def test_the_live_connections_join_in_one_more_batch(domain: config.Settings) -> None:
    connections.register("a1=", "alice", 1, None)
    connections.register("b1=", "bob", 1, None)
    calls.reset()
    chats.create_chat("alice", ["bob"], "lunch")
    assert calls.counted() == {"dynamodb.BatchWriteItem": 2, "dynamodb.Query": 2}


# ---------------------------------------------------------------- membership, lists


def test_membership_is_the_member_record_or_none(
    domain: config.Settings, join: Callable[..., Member]
) -> None:
    join("c1", "alice", role="admin")
    calls.reset()
    found = chats.membership("c1", "alice")
    assert found is not None and (found.chat_id, found.user_id, found.role) == (
        "c1",
        "alice",
        "admin",
    )
    assert calls.counted() == {"dynamodb.GetItem": 1}
    assert chats.membership("c1", "bob") is None
    assert chats.membership("no-such-chat", "alice") is None


def test_user_chats_lists_the_users_chats_and_nothing_of_others(
    domain: config.Settings,
) -> None:
    first, _, _ = chats.create_chat("alice", ["bob"], "one")
    second, _, _ = chats.create_chat("bob", ["alice"], "two")
    chats.create_chat("bob", ["carol"], "three")
    calls.reset()
    found = chats.user_chats("alice")
    assert sorted(c.chat_id for c in found) == sorted([first.chat_id, second.chat_id])
    assert {c.name for c in found} == {"one", "two"}
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchGetItem": 1}


def test_a_user_without_chats_costs_the_query_only(domain: config.Settings) -> None:
    calls.reset()
    assert chats.user_chats("alice") == []
    assert calls.counted() == {"dynamodb.Query": 1}


def test_a_membership_whose_chat_is_gone_is_left_out(
    domain: config.Settings, join: Callable[..., Member]
) -> None:
    kept, _, _ = chats.create_chat("alice", [], "kept")
    join("vanished", "alice")
    assert [c.chat_id for c in chats.user_chats("alice")] == [kept.chat_id]


def test_user_chats_reads_the_chats_100_a_call(domain: config.Settings) -> None:
    chat_ids = [f"c{i:03}" for i in range(101)]
    dynamodb.write(
        puts=[Chat(cid, created_by="alice", created_at=1) for cid in chat_ids]
        + [Member(cid, "alice", joined_at=1) for cid in chat_ids]
    )
    calls.reset()
    found = chats.user_chats("alice")
    assert [c.chat_id for c in found] == chat_ids  # in the index's order
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchGetItem": 2}


def test_member_ids_lists_every_member_of_the_chat(domain: config.Settings) -> None:
    chat, _, _ = chats.create_chat("alice", ["bob", "carol"], None)
    assert sorted(chats.member_ids(chat.chat_id)) == ["alice", "bob", "carol"]
    assert chats.member_ids("no-such-chat") == []


# ---------------------------------------------------------------- room_as_member


def test_a_connection_in_the_room_gets_the_room_for_one_query(domain: config.Settings) -> None:
    connections.register("a1=", "alice", 1, None)
    connections.register("b1=", "bob", 1, None)
    chat, _, _ = chats.create_chat("alice", ["bob"], None)
    calls.reset()
    room = chats.room_as_member(chat.chat_id, "a1=", "alice")
    assert sorted(e.connection_id for e in room) == ["a1=", "b1="]
    assert calls.counted() == {"dynamodb.Query": 1}


def test_a_non_member_is_forbidden_whether_or_not_the_chat_exists(
    domain: config.Settings,
) -> None:
    connections.register("m1=", "mallory", 1, None)
    chat, _, _ = chats.create_chat("alice", ["bob"], None)
    with pytest.raises(errors.Forbidden) as existing:
        chats.room_as_member(chat.chat_id, "m1=", "mallory")
    with pytest.raises(errors.Forbidden) as missing:
        chats.room_as_member("no-such-chat", "m1=", "mallory")
    assert existing.value.message == missing.value.message == "not a member of this chat"
    assert room_connections(rooms.chat_room(chat.chat_id)) == []  # nobody was joined


def test_a_member_whose_connection_missed_the_room_is_joined_now(
    domain: config.Settings, stored: Reader
) -> None:
    connections.register("b1=", "bob", 1, None)
    chat, _, _ = chats.create_chat("alice", ["bob"], None)
    # alice connected while the chat was being created: her $connect read her chats
    # before the membership was written, so her connection is in her user room only.
    rooms.entry(rooms.user_room("alice"), "a1=", "alice").save()
    room_name = rooms.chat_room(chat.chat_id)
    assert room_connections(room_name) == ["b1="]
    calls.reset()
    room = chats.room_as_member(chat.chat_id, "a1=", "alice")
    assert sorted(e.connection_id for e in room) == ["a1=", "b1="]
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.GetItem": 1, "dynamodb.PutItem": 1}
    assert room_connections(room_name) == ["a1=", "b1="]
    joined = stored.item(domain.rooms_table, room=room_name, connectionId="a1=")
    assert joined is not None and joined["userId"] == {"S": "alice"} and "expiresAt" in joined


# ---------------------------------------------------------------- add_member, remove_member


def test_add_member_makes_a_member_and_counts_it_in_one_transaction(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    chat, _, _ = chats.create_chat("alice", [], None)
    clock.step_ms = 0
    calls.reset()
    assert chats.add_member(chat.chat_id, "bob") is True
    assert calls.counted() == {"dynamodb.TransactWriteItems": 1}
    assert stored.item(domain.members_table, chatId=chat.chat_id, userId="bob") == {
        "chatId": {"S": chat.chat_id},
        "userId": {"S": "bob"},
        "role": {"S": "member"},
        "joinedAt": {"N": str(clock.ms)},
    }
    assert chats.sizes([chat.chat_id]) == {chat.chat_id: 2}


def test_adding_a_member_to_a_chat_that_does_not_exist_is_not_found_and_writes_nothing(
    domain: config.Settings, stored: Reader
) -> None:
    with pytest.raises(errors.NotFound):
        chats.add_member("no-such-chat", "bob")
    assert chats.membership("no-such-chat", "bob") is None
    assert stored.items(domain.chats_table) == []


def test_adding_a_member_again_changes_nothing(
    domain: config.Settings, join: Callable[..., Member], stored: Reader
) -> None:
    join("c1", "alice", role="admin")
    before = stored.item(domain.members_table, chatId="c1", userId="alice")
    assert chats.add_member("c1", "alice") is False
    assert stored.item(domain.members_table, chatId="c1", userId="alice") == before


def test_add_member_can_name_the_role(domain: config.Settings) -> None:
    chat, _, _ = chats.create_chat("alice", [], None)
    assert chats.add_member(chat.chat_id, "carol", role="admin") is True
    found = chats.membership(chat.chat_id, "carol")
    assert found is not None and found.role == "admin"


def test_remove_member_ends_a_membership_and_uncounts_it_in_one_transaction(
    domain: config.Settings,
) -> None:
    chat, _, _ = chats.create_chat("alice", ["bob"], None)
    calls.reset()
    assert chats.remove_member(chat.chat_id, "bob") is True
    assert calls.counted() == {"dynamodb.TransactWriteItems": 1}
    assert chats.member_ids(chat.chat_id) == ["alice"]
    assert chats.sizes([chat.chat_id]) == {chat.chat_id: 1}
    assert chats.remove_member(chat.chat_id, "bob") is False
    assert chats.sizes([chat.chat_id]) == {chat.chat_id: 1}


def test_sizes_reads_many_chats_in_one_batch_and_counts_unknown_chats_as_empty(
    domain: config.Settings,
) -> None:
    big, _, _ = chats.create_chat("alice", ["bob", "carol"], None)
    small, _, _ = chats.create_chat("alice", [], None)
    calls.reset()
    assert chats.sizes([big.chat_id, small.chat_id, "gone"]) == {
        big.chat_id: 3,
        small.chat_id: 1,
        "gone": 0,
    }
    assert calls.counted() == {"dynamodb.BatchGetItem": 1}


def test_removing_a_non_member_is_false(domain: config.Settings) -> None:
    assert chats.remove_member("c1", "nobody") is False
