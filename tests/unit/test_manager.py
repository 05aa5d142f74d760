"""shared.manager: the public server-side operations, each a thin name over delivery and
lifecycle, returning what their docstrings say."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from shared import clock, config, manager
from shared.delivery.fanout import FanoutResult
from shared.protocol import Event
from shared.state import presence
from shared.store import chats, connections, rooms
from shared.store.models import Connection
from tests.tables import room_names_of
from tests.unit import management_stub
from tests.unit.management_stub import STAGE, Gateway

Configure = Callable[..., config.Settings]


@pytest.fixture
def gateway(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """A local Management API (tests/unit/management_stub.py)."""
    with management_stub.serving(monkeypatch) as server:
        yield server


def live(connection_id: str, user_id: str) -> None:
    """A connection's records and its presence session, as $connect leaves them."""
    connections.register(connection_id, user_id, clock.now_ms(), "203.0.113.9")
    presence.touch(STAGE, user_id, connection_id)


def has_record(connection_id: str) -> bool:
    try:
        Connection.get(connection_id, consistent_read=True)
        return True
    except Connection.DoesNotExist:
        return bool(room_names_of(connection_id))


@pytest.fixture
def chat_id(gateway: Gateway) -> str:
    """A chat of alice (alice-1, alice-2) and bob (bob-1); carol (carol-1) is in none."""
    chat, _, _ = chats.create_chat("alice", ["bob"], "team")
    for connection_id, user_id in [
        ("alice-1", "alice"),
        ("alice-2", "alice"),
        ("bob-1", "bob"),
        ("carol-1", "carol"),
    ]:
        live(connection_id, user_id)
    return chat.chat_id


# ---------------------------------------------------------------- delivery


def test_broadcast_to_chat_posts_to_the_chats_connections_but_the_excluded_one(
    gateway: Gateway, chat_id: str
) -> None:
    result = manager.broadcast_to_chat(
        chat_id, Event.MESSAGE_NEW, {"body": "hi"}, "alice-1", gateway.endpoint
    )
    assert result == FanoutResult(delivered=2)
    assert gateway.receivers() == ["alice-2", "bob-1"]
    assert gateway.frames("bob-1") == [{"event": "message:new", "data": {"body": "hi"}}]


def test_send_to_user_posts_to_every_device_of_the_user(gateway: Gateway, chat_id: str) -> None:
    result = manager.send_to_user("alice", Event.USER_STATUS, {"n": 1}, gateway.endpoint)
    assert result.delivered == 2
    assert gateway.receivers() == ["alice-1", "alice-2"]


def test_broadcast_posts_to_every_live_connection(gateway: Gateway, chat_id: str) -> None:
    result = manager.broadcast(Event.USER_STATUS, {"all": True}, gateway.endpoint)
    assert result.delivered == 4
    assert gateway.receivers() == ["alice-1", "alice-2", "bob-1", "carol-1"]


def test_the_endpoint_defaults_to_the_management_endpoint_setting(
    gateway: Gateway, chat_id: str, configure: Configure
) -> None:
    configure(management_endpoint=gateway.endpoint)
    assert manager.send_to_user("bob", Event.USER_STATUS, {}).delivered == 1
    assert gateway.receivers() == ["bob-1"]


def test_broadcast_user_status_sends_the_given_payload_to_everyone_sharing_a_chat(
    gateway: Gateway, chat_id: str
) -> None:
    payload = {"userId": "alice", "status": "busy", "text": "focus", "lastSeen": None}
    result = manager.broadcast_user_status("alice", payload, gateway.endpoint)
    assert result.delivered == 3  # alice's own devices and bob; not carol
    assert gateway.receivers() == ["alice-1", "alice-2", "bob-1"]
    assert gateway.frames("bob-1") == [{"event": "user:status", "data": payload}]


def test_broadcast_user_status_without_a_payload_sends_the_current_one(
    gateway: Gateway, chat_id: str
) -> None:
    presence.set_status("alice", "away", "lunch")
    manager.broadcast_user_status("alice", endpoint=gateway.endpoint)
    data = gateway.frames("bob-1")[0]["data"]
    assert (data["userId"], data["status"], data["text"]) == ("alice", "away", "lunch")


# ---------------------------------------------------------------- membership


def test_add_user_to_chat_makes_a_member_whose_connections_join_at_once(
    gateway: Gateway, chat_id: str
) -> None:
    assert manager.add_user_to_chat(chat_id, "carol", "alice", endpoint=gateway.endpoint) is True
    member = chats.membership(chat_id, "carol")
    assert member is not None and member.role == "member"
    assert "carol-1" in [e.connection_id for e in rooms.resolve(rooms.chat_room(chat_id))]
    assert gateway.events("carol-1") == ["chat:member-added"]
    assert manager.add_user_to_chat(chat_id, "carol", endpoint=gateway.endpoint) is False


def test_remove_user_from_chat_ends_a_membership_and_is_false_for_a_non_member(
    gateway: Gateway, chat_id: str
) -> None:
    assert manager.remove_user_from_chat(chat_id, "bob", "alice", gateway.endpoint) is True
    assert chats.membership(chat_id, "bob") is None
    assert "bob-1" not in [e.connection_id for e in rooms.resolve(rooms.chat_room(chat_id))]
    assert gateway.events("bob-1") == ["chat:member-removed"]
    assert manager.remove_user_from_chat(chat_id, "bob", "alice", gateway.endpoint) is False


# ---------------------------------------------------------------- presence


def test_get_stats_counts_live_connections_online_users_and_stages(
    domain: config.Settings, chat_id: str
) -> None:
    assert manager.get_stats() == {
        "connections": 4,
        "onlineUsers": 3,
        "stages": {STAGE: 4},
        "source": "redis",
    }


def test_get_chat_users_lists_the_online_members_with_their_status(
    domain: config.Settings, chat_id: str
) -> None:
    presence.set_status("bob", "busy", None)
    presence.end(STAGE, "alice", "alice-1")
    found = sorted(manager.get_chat_users(chat_id), key=lambda u: u["userId"])
    assert found == [{"userId": "alice", "status": "online"}, {"userId": "bob", "status": "busy"}]
    presence.end(STAGE, "alice", "alice-2")
    assert manager.get_chat_users(chat_id) == [{"userId": "bob", "status": "busy"}]


def test_is_user_online_is_true_while_any_session_lives(
    domain: config.Settings, chat_id: str
) -> None:
    assert manager.is_user_online("alice") is True
    assert manager.is_user_online("nobody") is False


def test_user_status_is_the_users_status_as_contacts_see_it(
    domain: config.Settings, chat_id: str
) -> None:
    presence.set_status("alice", "away", "lunch")
    found = manager.user_status("alice")
    assert set(found) == {"userId", "status", "text", "lastSeen"}
    assert (found["userId"], found["status"], found["text"]) == ("alice", "away", "lunch")
    assert manager.user_status("nobody")["status"] == "offline"


# ---------------------------------------------------------------- disconnect_user


def test_disconnect_user_closes_every_session_of_the_user_and_returns_how_many(
    gateway: Gateway, chat_id: str
) -> None:
    assert manager.disconnect_user("alice", gateway.endpoint) == 2
    assert gateway.closed() == ["alice-1", "alice-2"]


def test_disconnect_user_removes_a_connection_already_gone_without_counting_it(
    gateway: Gateway, chat_id: str
) -> None:
    gateway.delete_answers = {"alice-1": 410}
    assert manager.disconnect_user("alice", gateway.endpoint) == 1
    assert not has_record("alice-1")
    assert has_record("alice-2")


def test_disconnect_user_defaults_to_the_management_endpoint_setting(
    gateway: Gateway, chat_id: str, configure: Configure
) -> None:
    configure(management_endpoint=gateway.endpoint)
    assert manager.disconnect_user("bob") == 1
    assert gateway.closed() == ["bob-1"]
