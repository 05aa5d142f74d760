"""shared.lifecycle.membership: an added member's live connections join the chat's room at
once and the chat hears member-added; a removed one's leave, and both sides hear it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared import clock, config
from shared.lifecycle import membership
from shared.store import chats, connections, rooms
from tests.unit.management_stub import Gateway

Configure = Callable[..., config.Settings]


def connect(connection_id: str, user_id: str) -> None:
    connections.register(connection_id, user_id, clock.now_ms(), "203.0.113.9")


def in_room(chat_id: str) -> list[str]:
    return sorted(e.connection_id for e in rooms.resolve(rooms.chat_room(chat_id)))


@pytest.fixture
def chat_id(gateway: Gateway) -> str:
    """A chat of alice (alice-1) and bob (bob-1); carol (carol-1, carol-2) is not in it and
    erin (erin-1) is in no chat at all."""
    chat, _, _ = chats.create_chat("alice", ["bob"], "team")
    for connection_id, user_id in [
        ("alice-1", "alice"),
        ("bob-1", "bob"),
        ("carol-1", "carol"),
        ("carol-2", "carol"),
        ("erin-1", "erin"),
    ]:
        connect(connection_id, user_id)
    return chat.chat_id


# ---------------------------------------------------------------- add


def test_adding_a_member_stores_the_membership_joins_their_connections_and_the_chat_hears_it(
    gateway: Gateway, chat_id: str
) -> None:
    assert membership.add(chat_id, "carol", "alice", endpoint=gateway.endpoint) is True
    member = chats.membership(chat_id, "carol")
    assert member is not None and member.role == "member"
    assert in_room(chat_id) == ["alice-1", "bob-1", "carol-1", "carol-2"]
    payload = {"chatId": chat_id, "userId": "carol", "role": "member", "addedBy": "alice"}
    # Everyone in the chat hears it, the new member's devices included; erin does not.
    assert gateway.receivers() == ["alice-1", "bob-1", "carol-1", "carol-2"]
    assert gateway.frames("carol-2") == [{"event": "chat:member-added", "data": payload}]
    assert gateway.frames("alice-1") == [{"event": "chat:member-added", "data": payload}]


def test_a_member_can_be_added_with_a_role_and_without_live_connections(
    gateway: Gateway, chat_id: str
) -> None:
    assert membership.add(chat_id, "dave", role="admin", endpoint=gateway.endpoint) is True
    member = chats.membership(chat_id, "dave")
    assert member is not None and member.role == "admin"
    assert in_room(chat_id) == ["alice-1", "bob-1"]
    data = gateway.frames("bob-1")[0]["data"]
    assert data == {"chatId": chat_id, "userId": "dave", "role": "admin", "addedBy": None}


def test_adding_a_member_again_is_false_changes_nothing_and_posts_nothing(
    gateway: Gateway, chat_id: str
) -> None:
    assert membership.add(chat_id, "bob", "alice", role="admin", endpoint=gateway.endpoint) is False
    member = chats.membership(chat_id, "bob")
    assert member is not None and member.role == "member"
    assert in_room(chat_id) == ["alice-1", "bob-1"]
    assert gateway.posts == []


def test_the_endpoint_defaults_to_the_management_endpoint_setting(
    gateway: Gateway, chat_id: str, configure: Configure
) -> None:
    configure(management_endpoint=gateway.endpoint)
    assert membership.add(chat_id, "carol") is True
    assert membership.remove(chat_id, "carol") is True
    assert gateway.events("bob-1") == ["chat:member-added", "chat:member-removed"]


# ---------------------------------------------------------------- remove


def test_removing_a_member_ends_the_membership_and_their_connections_leave_the_room(
    gateway: Gateway, chat_id: str
) -> None:
    membership.add(chat_id, "carol", endpoint=gateway.endpoint)
    assert membership.remove(chat_id, "carol", "alice", endpoint=gateway.endpoint) is True
    assert chats.membership(chat_id, "carol") is None
    assert in_room(chat_id) == ["alice-1", "bob-1"]
    # Their other rooms stay: the connections are still live.
    assert [e.connection_id for e in rooms.resolve(rooms.user_room("carol"))] == [
        "carol-1",
        "carol-2",
    ]


def test_both_the_chat_and_the_removed_user_hear_member_removed(
    gateway: Gateway, chat_id: str
) -> None:
    membership.add(chat_id, "carol", endpoint=gateway.endpoint)
    gateway.posts.clear()
    membership.remove(chat_id, "carol", "alice", endpoint=gateway.endpoint)
    payload = {"chatId": chat_id, "userId": "carol", "removedBy": "alice"}
    assert gateway.receivers() == ["alice-1", "bob-1", "carol-1", "carol-2"]
    for connection_id in gateway.receivers():
        assert gateway.frames(connection_id) == [{"event": "chat:member-removed", "data": payload}]


def test_a_member_who_leaves_by_themselves_hears_it_too(gateway: Gateway, chat_id: str) -> None:
    assert membership.remove(chat_id, "bob", "bob", endpoint=gateway.endpoint) is True
    assert gateway.receivers() == ["alice-1", "bob-1"]
    assert in_room(chat_id) == ["alice-1"]


def test_removing_a_non_member_is_false_and_posts_nothing(gateway: Gateway, chat_id: str) -> None:
    assert membership.remove(chat_id, "carol", "alice", endpoint=gateway.endpoint) is False
    assert in_room(chat_id) == ["alice-1", "bob-1"]
    assert gateway.posts == []


def test_removing_twice_is_false_the_second_time(gateway: Gateway, chat_id: str) -> None:
    assert membership.remove(chat_id, "bob", endpoint=gateway.endpoint) is True
    posted = list(gateway.posts)
    assert membership.remove(chat_id, "bob", endpoint=gateway.endpoint) is False
    assert gateway.posts == posted


def test_a_large_chats_online_set_follows_its_online_members_in_and_out(
    gateway: Gateway, chat_id: str
) -> None:
    """A large chat hears no status changes, so joining and leaving keep its online set."""
    from shared.state import presence

    chats._size_cache.clear()
    with config.override(presence_announce_limit=1):
        membership.add(chat_id, "carol", "alice", endpoint=gateway.endpoint)
        assert presence.chat_online(chat_id)[1] == ["carol"]
        membership.add(chat_id, "dave", "alice", endpoint=gateway.endpoint)  # not online
        assert presence.chat_online(chat_id)[1] == ["carol"]
        membership.remove(chat_id, "carol", "alice", endpoint=gateway.endpoint)
        assert presence.chat_online(chat_id)[1] == []
    chats._size_cache.clear()
