"""shared.lifecycle.status: a user's status from Redis (DynamoDB when Redis is down), who
hears when it changes (contacts only), a chat's online users and live statistics."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared import clock, config, ids
from shared.lifecycle import status
from shared.observability import calls
from shared.state import presence
from shared.store import chats, connections
from shared.store.models import User
from tests.unit.lifecycle.conftest import Clock
from tests.unit.management_stub import STAGE, Gateway

Configure = Callable[..., config.Settings]
REDIS_DOWN = "redis://127.0.0.1:1/0"
TTL_MS = 130 * 1000
LAST_SEEN = 1_790_000_000_000


def live(connection_id: str, user_id: str, stage: str = STAGE) -> None:
    """A connection's records (DynamoDB) and its session (Redis), as $connect leaves them."""
    connections.register(connection_id, user_id, clock.now_ms(), "203.0.113.9")
    presence.touch(stage, user_id, connection_id)


def durable(user_id: str) -> User:
    return User.get(user_id, consistent_read=True)


@pytest.fixture
def team(gateway: Gateway) -> str:
    """Two chats of alice and bob, and one of carol and dave (no contact of alice's)."""
    chat, _, _ = chats.create_chat("alice", ["bob"], "team")
    chats.create_chat("bob", ["alice"], "pair")
    chats.create_chat("carol", ["dave"], "other")
    return chat.chat_id


# ---------------------------------------------------------------- user_status


def test_an_online_users_status_is_their_chosen_one_for_one_redis_round_trip(
    now: Clock, domain: config.Settings
) -> None:
    presence.set_status("alice", "away", "lunch")
    calls.reset()
    found = status.user_status("alice", online=True)
    assert calls.counted() == {"redis.RoundTrip": 1}
    assert found == {
        "userId": "alice",
        "status": "away",
        "text": "lunch",
        "lastSeen": ids.iso_from_ms(now.ms),
    }


def test_an_online_user_who_chose_nothing_is_online_without_text(domain: config.Settings) -> None:
    found = status.user_status("alice", online=True)
    assert (found["status"], found["text"]) == ("online", None)
    assert found["lastSeen"] is not None


def test_whether_a_user_is_online_is_asked_of_redis_when_not_given(
    domain: config.Settings,
) -> None:
    assert status.user_status("alice")["status"] == "offline"
    presence.touch(STAGE, "alice", "alice-1")
    assert status.user_status("alice")["status"] == "online"


def test_an_offline_users_status_carries_the_durable_last_seen(domain: config.Settings) -> None:
    User("alice", last_seen=LAST_SEEN, status="away", status_text="lunch").save()
    assert status.user_status("alice", online=False) == {
        "userId": "alice",
        "status": "offline",
        "text": None,
        "lastSeen": ids.iso_from_ms(LAST_SEEN),
    }


def test_a_user_never_seen_is_offline_without_last_seen(domain: config.Settings) -> None:
    assert status.user_status("nobody") == {
        "userId": "nobody",
        "status": "offline",
        "text": None,
        "lastSeen": None,
    }


def test_a_status_redis_lost_comes_from_the_durable_copy(domain: config.Settings) -> None:
    User("alice", status="busy", status_text="focus").save()
    calls.reset()
    found = status.user_status("alice", online=True)
    assert calls.counted() == {"redis.RoundTrip": 1, "dynamodb.GetItem": 1}
    assert (found["status"], found["text"]) == ("busy", "focus")


def test_with_redis_down_a_user_with_a_connection_record_is_online_with_the_durable_status(
    domain: config.Settings, configure: Configure
) -> None:
    connections.register("alice-1", "alice", clock.now_ms(), None)
    User("alice", status="busy", status_text="focus").save()
    configure(redis_url=REDIS_DOWN)
    found = status.user_status("alice")
    assert (found["status"], found["text"]) == ("busy", "focus")


def test_with_redis_down_a_user_without_connections_is_offline_with_last_seen(
    domain: config.Settings, configure: Configure
) -> None:
    User("alice", last_seen=LAST_SEEN).save()
    configure(redis_url=REDIS_DOWN)
    assert status.user_status("alice") == {
        "userId": "alice",
        "status": "offline",
        "text": None,
        "lastSeen": ids.iso_from_ms(LAST_SEEN),
    }


def test_online_status_is_the_payload_of_an_online_user_seen_now(now: Clock) -> None:
    assert status.online_status("alice", None, "") == {
        "userId": "alice",
        "status": "online",
        "text": None,
        "lastSeen": ids.iso_from_ms(now.ms),
    }
    assert status.online_status("alice", "busy", "focus")["text"] == "focus"


# ---------------------------------------------------------------- is_online


def test_is_online_follows_the_users_live_sessions(domain: config.Settings) -> None:
    assert status.is_online("alice") is False
    presence.touch(STAGE, "alice", "alice-1")
    assert status.is_online("alice") is True
    presence.end(STAGE, "alice", "alice-1")
    assert status.is_online("alice") is False


def test_is_online_with_redis_down_asks_the_connection_records(
    domain: config.Settings, configure: Configure
) -> None:
    configure(redis_url=REDIS_DOWN)
    assert status.is_online("alice") is False
    connections.register("alice-1", "alice", clock.now_ms(), None)
    assert status.is_online("alice") is True


# ---------------------------------------------------------------- who hears


def test_contact_connections_are_every_connection_sharing_a_chat_each_once(team: str) -> None:
    for connection_id, user_id in [("alice-1", "alice"), ("bob-1", "bob"), ("carol-1", "carol")]:
        connections.register(connection_id, user_id, clock.now_ms(), None)
    calls.reset()
    found = status.contact_connections("alice")
    # alice's chats, their sizes (small chats only are announced to), each chat's room
    assert calls.counted() == {"dynamodb.Query": 3, "dynamodb.BatchGetItem": 1}
    assert sorted(found) == ["alice-1", "bob-1"]  # the user's own included, bob once


def test_contact_connections_of_given_chats_skip_the_members_query(team: str) -> None:
    connections.register("bob-1", "bob", clock.now_ms(), None)
    calls.reset()
    assert status.contact_connections("alice", [team]) == ["bob-1"]
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.BatchGetItem": 1}
    assert status.contact_connections("alice", []) == []


def test_announce_goes_to_contacts_only_and_never_to_the_excluded_connection(
    gateway: Gateway, team: str
) -> None:
    for connection_id, user_id in [
        ("alice-1", "alice"),
        ("alice-2", "alice"),
        ("bob-1", "bob"),
        ("carol-1", "carol"),
        ("dave-1", "dave"),
    ]:
        live(connection_id, user_id)
    payload = {"userId": "alice", "status": "busy", "text": None, "lastSeen": None}
    result = status.announce(
        "alice", payload, exclude_connection="alice-1", endpoint=gateway.endpoint
    )
    assert result.delivered == 2
    assert gateway.receivers() == ["alice-2", "bob-1"]
    assert gateway.frames("bob-1") == [{"event": "user:status", "data": payload}]


def test_announce_without_a_payload_sends_the_users_current_status(
    gateway: Gateway, team: str
) -> None:
    live("bob-1", "bob")
    live("alice-1", "alice")
    presence.set_status("alice", "away", "back soon")
    status.announce("alice", exclude_connection="alice-1", endpoint=gateway.endpoint)
    data = gateway.frames("bob-1")[0]["data"]
    assert (data["userId"], data["status"], data["text"]) == ("alice", "away", "back soon")


def test_announce_to_a_user_without_contacts_posts_nothing(gateway: Gateway, team: str) -> None:
    live("erin-1", "erin")
    result = status.announce("erin", {"userId": "erin"}, endpoint=gateway.endpoint)
    assert result.delivered == 0
    assert gateway.posts == []


def test_went_offline_records_last_seen_and_tells_the_contacts(
    now: Clock, gateway: Gateway, team: str
) -> None:
    live("bob-1", "bob")
    result = status.went_offline("alice", None, gateway.endpoint)
    seen = int(durable("alice").last_seen)
    assert seen == now.ms
    assert result.delivered == 1
    assert gateway.frames("bob-1") == [
        {
            "event": "user:status",
            "data": {
                "userId": "alice",
                "status": "offline",
                "text": None,
                "lastSeen": ids.iso_from_ms(seen),
            },
        }
    ]


# ---------------------------------------------------------------- chat_users


def test_chat_users_are_the_members_online_now_with_their_chosen_status(team: str) -> None:
    chats.add_member(team, "erin")
    presence.touch(STAGE, "alice", "alice-1")
    presence.touch(STAGE, "erin", "erin-1")
    presence.set_status("erin", "busy", None)
    presence.set_status("bob", "away", None)  # bob is offline: left out
    found = sorted(status.chat_users(team), key=lambda u: u["userId"])
    assert found == [{"userId": "alice", "status": "online"}, {"userId": "erin", "status": "busy"}]


def test_chat_users_with_redis_down_are_the_members_with_connection_records(
    team: str, configure: Configure
) -> None:
    connections.register("bob-1", "bob", clock.now_ms(), None)
    configure(redis_url=REDIS_DOWN)
    assert status.chat_users(team) == [{"userId": "bob", "status": "online"}]


def test_a_chat_without_members_has_no_users(domain: config.Settings) -> None:
    assert status.chat_users("no-such-chat") == []


# ---------------------------------------------------------------- stats


def test_stats_count_live_sessions_online_users_and_connections_per_stage(
    now: Clock, domain: config.Settings
) -> None:
    presence.touch("gone", "erin", "erin-1")
    presence.end("gone", "erin", "erin-1")  # ended: not counted
    presence.touch("prod", "alice", "alice-1")
    presence.touch("prod", "alice", "alice-2")
    presence.touch("dev", "bob", "bob-1")
    assert status.stats() == {
        "connections": 3,
        "onlineUsers": 2,
        "stages": {"prod": 2, "dev": 1},
        "source": "redis",
    }


def test_stats_with_redis_down_count_the_connection_records(
    domain: config.Settings, configure: Configure
) -> None:
    for connection_id, user_id in [("alice-1", "alice"), ("alice-2", "alice"), ("bob-1", "bob")]:
        connections.register(connection_id, user_id, clock.now_ms(), None)
    configure(redis_url=REDIS_DOWN)
    assert status.stats() == {
        "connections": 3,
        "onlineUsers": None,
        "stages": {},
        "source": "dynamodb",
    }


def test_chats_over_the_presence_limit_are_left_out_of_the_audience(team: str) -> None:
    """A chat of more than PresenceAnnounceLimit members hears no status change: the
    announcements would grow with the square of its size."""
    connections.register("bob-1", "bob", clock.now_ms(), None)
    with config.override(presence_announce_limit=1):
        assert status.audience("alice", [team]) == ([], [team])
    with config.override(presence_announce_limit=2):
        assert status.audience("alice", [team]) == (["bob-1"], [])


def test_a_large_chats_online_users_come_from_its_online_set_not_its_members(
    team: str,
) -> None:
    from shared.state import presence
    from shared.store import chats

    presence.touch("prod", "bob", "bob-1")
    presence.track([team], "bob", True)
    chats._size_cache.clear()
    with config.override(presence_announce_limit=1):
        calls.reset()
        assert status.chat_users(team) == [{"userId": "bob", "status": "online"}]
        assert "dynamodb.Query" not in calls.counted()  # no Members Query
    chats._size_cache.clear()
