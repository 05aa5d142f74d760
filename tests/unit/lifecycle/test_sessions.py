"""shared.lifecycle.sessions: a connection opened, closed, swept or closed by the server,
as its records, its presence session and its contacts see it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared import config, ids
from shared.lifecycle import sessions
from shared.state import presence
from shared.store import chats, connections, rooms
from shared.store.models import Connection, User
from tests.tables import room_names_of
from tests.unit.eventbus.conftest import Bus, bus
from tests.unit.lifecycle.conftest import T0, Clock, open_session
from tests.unit.management_stub import STAGE, Gateway

Configure = Callable[..., config.Settings]
__all__ = ["bus"]  # the fixture, imported
REDIS_DOWN = "redis://127.0.0.1:1/0"
TTL_MS = 600 * 1000  # the default PRESENCE_TTL_SECONDS


def has_record(connection_id: str) -> bool:
    try:
        Connection.get(connection_id, consistent_read=True)
        return True
    except Connection.DoesNotExist:
        return False


def rooms_of(connection_id: str) -> list[str]:
    return room_names_of(connection_id)


def online(user_id: str) -> bool:
    return presence.online_many([user_id])[user_id]


def last_seen(user_id: str) -> int | None:
    try:
        value = User.get(user_id, consistent_read=True).last_seen
    except User.DoesNotExist:
        return None
    return int(value) if value is not None else None


@pytest.fixture
def chat_id(gateway: Gateway) -> str:
    """A chat of alice and bob; carol is in no chat with them."""
    chat, _, _ = chats.create_chat("alice", ["bob"], "team")
    return chat.chat_id


def offline_frame(user_id: str, at_ms: int) -> dict[str, object]:
    data = {
        "userId": user_id,
        "status": "offline",
        "text": None,
        "lastSeen": ids.iso_from_ms(at_ms),
    }
    return {"event": "user:status", "data": data}


# ---------------------------------------------------------------- opened


def test_opened_registers_the_connection_in_its_rooms_and_returns_the_users_chats(
    gateway: Gateway, chat_id: str
) -> None:
    assert open_session("alice-1", "alice", gateway) == [chat_id]
    record = Connection.get("alice-1", consistent_read=True)
    assert (record.user_id, record.source_ip) == ("alice", "203.0.113.9")
    assert rooms_of("alice-1") == sorted([rooms.chat_room(chat_id), rooms.user_room("alice")])


def test_opened_starts_a_presence_session_on_the_stage(gateway: Gateway, chat_id: str) -> None:
    assert not online("alice")
    open_session("alice-1", "alice", gateway)
    assert online("alice")
    assert [(s.stage, s.user_id, s.connection_id) for s in presence.live_sessions()] == [
        (STAGE, "alice", "alice-1")
    ]


def test_a_first_session_announces_online_to_contacts_but_never_to_the_connecting_connection(
    gateway: Gateway, chat_id: str
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("carol-1", "carol", gateway)
    assert gateway.posts == []  # bob's contacts were all offline; bob-1 itself never hears
    open_session("alice-1", "alice", gateway)
    assert gateway.receivers() == ["bob-1"]  # not alice-1 (API Gateway 410s during $connect)
    [frame] = gateway.frames("bob-1")
    assert frame["event"] == "user:status"
    assert frame["data"] == {
        "userId": "alice",
        "status": "online",
        "text": None,
        "lastSeen": frame["data"]["lastSeen"],
    }


def test_the_online_announcement_carries_the_users_chosen_status(
    gateway: Gateway, chat_id: str
) -> None:
    presence.set_status("alice", "busy", "focus")
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    data = gateway.frames("bob-1")[0]["data"]
    assert (data["status"], data["text"]) == ("busy", "focus")


def test_a_second_session_of_an_online_user_announces_nothing(
    gateway: Gateway, chat_id: str
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    posted = list(gateway.posts)
    open_session("alice-2", "alice", gateway)
    assert gateway.posts == posted
    assert has_record("alice-2")


def test_opened_while_redis_is_down_registers_the_connection_and_announces_nothing(
    gateway: Gateway, chat_id: str, configure: Configure
) -> None:
    open_session("bob-1", "bob", gateway)
    configure(redis_url=REDIS_DOWN)
    assert open_session("alice-1", "alice", gateway) == [chat_id]
    assert has_record("alice-1")
    assert gateway.posts == []


# ---------------------------------------------------------------- closed


def test_closing_the_last_session_removes_its_records_and_announces_offline_with_last_seen(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    sessions.closed("alice-1", "alice", STAGE, gateway.endpoint)
    assert (has_record("alice-1"), rooms_of("alice-1")) == (False, [])
    assert not online("alice")
    seen = last_seen("alice")
    assert seen is not None and T0 < seen <= now.ms
    assert gateway.frames("bob-1")[-1] == offline_frame("alice", seen)
    assert "alice-1" not in gateway.receivers()


def test_closing_one_of_two_sessions_keeps_the_user_online_and_announces_nothing(
    gateway: Gateway, chat_id: str
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    open_session("alice-2", "alice", gateway)
    posted = list(gateway.posts)
    sessions.closed("alice-1", "alice", STAGE, gateway.endpoint)
    assert not has_record("alice-1") and has_record("alice-2")
    assert online("alice")
    assert last_seen("alice") is None
    assert gateway.posts == posted


def test_closing_a_connection_without_a_user_only_removes_its_records(
    gateway: Gateway, chat_id: str
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    posted = list(gateway.posts)
    sessions.closed("alice-1", None, STAGE, gateway.endpoint)
    assert (has_record("alice-1"), rooms_of("alice-1")) == (False, [])
    assert gateway.posts == posted


def test_closing_while_redis_is_down_removes_the_records_and_announces_nothing(
    gateway: Gateway, chat_id: str, configure: Configure
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    posted = list(gateway.posts)
    configure(redis_url=REDIS_DOWN)
    sessions.closed("alice-1", "alice", STAGE, gateway.endpoint)
    assert not has_record("alice-1")
    assert last_seen("alice") is None
    assert gateway.posts == posted


def test_closing_the_last_session_after_a_410_cleaned_its_records_still_announces_offline(
    gateway: Gateway, chat_id: str
) -> None:
    open_session("bob-1", "bob", gateway)
    open_session("alice-1", "alice", gateway)
    connections.unregister("alice-1")  # what a stale connection's 410 does (fanout._forget)
    sessions.closed("alice-1", "alice", STAGE, gateway.endpoint)
    assert last_seen("alice") is not None
    assert [f["data"]["status"] for f in gateway.frames("bob-1")] == ["online", "offline"]


# ---------------------------------------------------------------- sweep


def test_a_session_past_its_check_by_time_whose_connection_is_gone_is_swept(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    connected = T0
    now.advance(TTL_MS + 1)  # no news for a TTL, and no $disconnect came
    open_session("bob-1", "bob", gateway)
    gateway.open = {"bob-1": now.now_ms()}  # API Gateway no longer has alice-1
    assert sessions.sweep(gateway.endpoint) == {
        "checked": 1,
        "renewed": 0,
        "swept": 1,
        "offline": 1,
    }
    assert gateway.gets == ["alice-1"]
    assert (has_record("alice-1"), rooms_of("alice-1")) == (False, [])
    assert presence.expired_sessions() == [] and not online("alice")
    # Last seen when the connection was last heard from (here: when it opened).
    seen = last_seen("alice")
    assert seen is not None and connected <= seen < connected + 100  # the clock ticks per read
    assert gateway.frames("bob-1")[-1] == offline_frame("alice", seen)
    assert has_record("bob-1") and online("bob")


def test_an_open_idle_connection_is_renewed_until_a_ttl_after_its_last_activity(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    open_session("bob-1", "bob", gateway)
    now.advance(TTL_MS + 1)
    pinged = now.now_ms() - 60_000  # its client's last keep-alive, a minute ago
    gateway.open = {"alice-1": pinged, "bob-1": pinged}
    posted = list(gateway.posts)
    assert sessions.sweep(gateway.endpoint)["renewed"] == 2
    assert online("alice") and has_record("alice-1") and gateway.posts == posted
    assert [s.check_by_ms for s in presence.live_sessions()] == [pinged + TTL_MS] * 2
    now.advance(TTL_MS - 60_000 - 100)  # not due again until a TTL after that ping
    assert sessions.sweep(gateway.endpoint)["checked"] == 0


def test_an_open_connection_quiet_for_longer_than_a_ttl_is_asked_about_again_soon(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    """API Gateway still has it (it closes idle connections at its own timeout): ask
    again in a minute rather than wait another TTL."""
    open_session("alice-1", "alice", gateway)
    now.advance(TTL_MS + 1)
    gateway.open = {"alice-1": T0}  # last heard from when it opened
    before = now.now_ms()
    sessions.sweep(gateway.endpoint)
    (session,) = presence.live_sessions()
    assert before + sessions.RECHECK_MS <= session.check_by_ms < before + sessions.RECHECK_MS + 100
    assert online("alice")


def test_a_connection_api_gateway_cannot_answer_for_is_kept_and_asked_again(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    now.advance(TTL_MS + 1)
    gateway.get_answers = {"alice-1": 500}
    before = now.now_ms()
    assert sessions.sweep(gateway.endpoint)["renewed"] == 1
    assert online("alice") and has_record("alice-1")
    (session,) = presence.live_sessions()
    assert before + sessions.RECHECK_MS <= session.check_by_ms < before + sessions.RECHECK_MS + 100


def test_sweep_asks_nothing_about_sessions_not_yet_due(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    now.advance(TTL_MS - 1_000)
    assert sessions.sweep(gateway.endpoint) == {
        "checked": 0,
        "renewed": 0,
        "swept": 0,
        "offline": 0,
    }
    assert gateway.gets == [] and online("alice")


def test_a_second_sweep_finds_nothing_left(now: Clock, gateway: Gateway, chat_id: str) -> None:
    open_session("alice-1", "alice", gateway)
    now.advance(TTL_MS + 1)
    sessions.sweep(gateway.endpoint)
    assert sessions.sweep(gateway.endpoint)["checked"] == 0


def test_a_gone_session_of_a_user_still_online_elsewhere_is_swept_without_an_announcement(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    now.advance(TTL_MS + 1)
    open_session("bob-1", "bob", gateway)
    open_session("alice-2", "alice", gateway)  # came online again: bob heard nothing new
    posted = list(gateway.posts)
    assert sessions.sweep(gateway.endpoint)["swept"] == 1
    assert online("alice") and has_record("alice-2")
    assert gateway.posts == posted
    assert last_seen("alice") is None


def test_a_user_whose_sessions_are_all_gone_is_announced_offline_once(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    open_session("alice-2", "alice", gateway)
    now.advance(TTL_MS + 1)
    open_session("bob-1", "bob", gateway)
    assert gateway.events("bob-1") == []
    result = sessions.sweep(gateway.endpoint)
    assert gateway.events("bob-1") == ["user:status"]
    assert (result["swept"], result["offline"]) == (2, 1)


def test_sweep_takes_at_most_limit_sessions_oldest_first(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    now.advance(1_000)
    open_session("bob-1", "bob", gateway)
    now.advance(TTL_MS + 1)
    assert sessions.sweep(gateway.endpoint, limit=1)["swept"] == 1
    assert gateway.gets == ["alice-1"]
    assert has_record("bob-1")


def test_sweeping_a_session_whose_records_a_410_removed_still_announces_offline(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    open_session("alice-1", "alice", gateway)
    now.advance(TTL_MS + 1)
    open_session("bob-1", "bob", gateway)
    connections.unregister("alice-1")  # what a stale connection's 410 does (fanout._forget)
    assert sessions.sweep(gateway.endpoint)["offline"] == 1
    assert [f["data"]["status"] for f in gateway.frames("bob-1")] == ["offline"]


# ---------------------------------------------------------------- events out


def test_opening_and_closing_publish_connection_and_user_events(
    gateway: Gateway, chat_id: str, now: Clock, bus: Bus
) -> None:
    open_session("alice-1", "alice", gateway)
    open_session("alice-2", "alice", gateway)
    sessions.closed("alice-2", "alice", STAGE, gateway.endpoint)
    now.advance(5000)
    sessions.closed("alice-1", "alice", STAGE, gateway.endpoint)
    received = [(e["detail-type"], e["detail"]) for e in bus.received()]
    assert [name for name, _ in received] == [
        "connection.opened",
        "user.online",
        "connection.opened",
        "connection.closed",
        "connection.closed",
        "user.offline",
    ]
    assert received[0][1]["connectionId"] == "alice-1"
    assert received[0][1]["sourceIp"] == "203.0.113.9"
    assert received[3][1] == {
        "version": 1,
        "connectionId": "alice-2",
        "userId": "alice",
        "stage": STAGE,
        "reason": "disconnected",
    }
    seen = last_seen("alice")
    assert seen is not None and seen >= T0 + 5000
    assert received[5][1]["lastSeen"] == ids.iso_from_ms(seen)  # the event and the record agree


def test_a_swept_session_publishes_its_close_as_expired(
    gateway: Gateway, chat_id: str, now: Clock, bus: Bus
) -> None:
    open_session("bob-1", "bob", gateway)
    bus.received()
    now.advance(TTL_MS + 1000)
    sessions.sweep(gateway.endpoint)
    received = [(e["detail-type"], e["detail"].get("reason")) for e in bus.received()]
    assert received == [("connection.closed", "expired"), ("user.offline", None)]


def test_nothing_is_published_when_the_families_are_off(
    gateway: Gateway, chat_id: str, bus: Bus, configure: Configure
) -> None:
    configure(event_families=("message",))
    open_session("bob-1", "bob", gateway)
    sessions.closed("bob-1", "bob", STAGE, gateway.endpoint)
    assert bus.received() == []


def test_sweep_for_takes_batch_after_batch_until_none_is_due(
    now: Clock, gateway: Gateway, chat_id: str
) -> None:
    for n in range(5):
        open_session(f"u{n}-1", f"u{n}", gateway)
    now.advance(TTL_MS + 1)
    gateway.open = {"u0-1": now.now_ms(), "u1-1": now.now_ms()}  # the others are gone
    result = sessions.sweep_for(gateway.endpoint, seconds=30, limit=2)
    assert result == {"checked": 5, "renewed": 2, "swept": 3, "offline": 3, "batches": 3}
    assert presence.expired_sessions() == []


def test_sweep_for_stops_at_its_time_budget(now: Clock, gateway: Gateway, chat_id: str) -> None:
    for n in range(3):
        open_session(f"u{n}-1", f"u{n}", gateway)
    now.advance(TTL_MS + 1)
    assert sessions.sweep_for(gateway.endpoint, seconds=0, limit=1)["batches"] == 1
    assert len(presence.expired_sessions()) == 2
