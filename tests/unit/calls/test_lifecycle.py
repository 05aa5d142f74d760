"""shared.calls.lifecycle in a group call: a mesh of at most four peers, late joiners,
the ring timer sparing an answered call, and a caller hanging up before any answer."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from shared import clock, errors, protocol
from shared.calls import lifecycle, timers
from shared.calls.lifecycle import Device
from shared.config import settings
from shared.state import calls
from shared.store import chats, connections, messages
from tests.unit.management_stub import Gateway

USERS = ("ann", "ben", "cat", "dan", "eve")


@pytest.fixture
def group(gateway: Gateway) -> str:
    """A chat of five, each with one device ``{user}-1``."""
    chat, _, _ = chats.create_chat("ann", list(USERS[1:]), "group")
    for user in USERS:
        connections.register(f"{user}-1", user, clock.now_ms(), "203.0.113.9")
    return chat.chat_id


def device(gateway: Gateway, user: str) -> Device:
    return Device(f"{user}-1", user, gateway.endpoint)


def status_in_history(chat_id: str) -> str:
    [message] = messages.history(chat_id)[0]
    return str(messages.to_wire(message)["call"]["status"])


def start(gateway: Gateway, chat_id: str, invitees: list[str]) -> dict[str, Any]:
    return lifecycle.invite(device(gateway, "ann"), chat_id, "video", invitees)


def test_a_chat_larger_than_the_mesh_needs_its_invitees_named(gateway: Gateway, group: str) -> None:
    with pytest.raises(errors.Invalid, match="at most 3"):
        start(gateway, group, [])
    with pytest.raises(errors.NotFound):
        start(gateway, group, ["ben", "zed"])


def test_the_ring_timer_spares_an_answered_group_call_and_tells_who_missed_it(
    gateway: Gateway, group: str
) -> None:
    call_id = start(gateway, group, ["ben", "cat"])["call"]["callId"]
    lifecycle.accept(device(gateway, "ben"), call_id)
    lifecycle.ring_timeout(call_id, gateway.endpoint)
    assert "call:missed" in gateway.events("cat-1")
    assert "call:ended" not in gateway.events("ann-1")
    call = calls.load(call_id)
    assert call is not None and call.ringing == [] and len(call.peers) == 2
    assert status_in_history(group) == "active"


def test_late_joiners_fill_the_mesh_and_the_fifth_is_refused(gateway: Gateway, group: str) -> None:
    call_id = start(gateway, group, ["ben"])["call"]["callId"]
    lifecycle.accept(device(gateway, "ben"), call_id)
    for user in ("cat", "dan"):
        call = calls.load(call_id)
        assert call is not None
        ack = lifecycle.join(device(gateway, user), call)
        assert len(ack["call"]["peers"]) == len(call.peers) + 1
    assert "call:joined" in gateway.events("ann-1")
    full = calls.load(call_id)
    assert full is not None and len(full.peers) == protocol.MAX_CALL_PEERS
    with pytest.raises(errors.Conflict, match="full"):
        lifecycle.join(device(gateway, "eve"), full)


def test_the_call_goes_on_while_two_peers_remain_and_ends_with_the_last_pair(
    gateway: Gateway, group: str
) -> None:
    call_id = start(gateway, group, ["ben", "cat"])["call"]["callId"]
    lifecycle.accept(device(gateway, "ben"), call_id)
    lifecycle.accept(device(gateway, "cat"), call_id)
    assert lifecycle.leave(device(gateway, "ann"), call_id)["ended"] is False
    assert lifecycle.leave(device(gateway, "ben"), call_id)["ended"] is True
    assert gateway.events("cat-1")[-3:] == ["message:edited", "call:left", "call:ended"]
    assert status_in_history(group) == "ended"


def test_a_caller_hanging_up_before_any_answer_cancels_the_call(
    gateway: Gateway, group: str
) -> None:
    call_id = start(gateway, group, ["ben", "cat"])["call"]["callId"]
    lifecycle.leave(device(gateway, "ann"), call_id)
    assert "call:cancelled" in gateway.events("ben-1")
    assert "call:cancelled" in gateway.events("cat-1")
    assert status_in_history(group) == "cancelled"
    assert calls.load(call_id) is None


def test_an_answered_call_is_watched_and_one_whose_record_vanished_is_marked_ended(
    gateway: Gateway, group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduled: list[tuple[str, str, int, dict[str, str]]] = []
    monkeypatch.setattr(
        timers,
        "schedule",
        lambda kind, call_id, delay, **d: scheduled.append((kind, call_id, delay, d)),
    )
    call_id = start(gateway, group, ["ben"])["call"]["callId"]
    lifecycle.accept(device(gateway, "ben"), call_id)
    [watch] = [t for t in scheduled if t[0] == timers.WATCH]
    assert watch[1:3] == (call_id, timers.WATCH_SECONDS)
    chat_id, message_key = watch[3]["chatId"], watch[3]["messageKey"]
    # While the call goes on, each watch schedules the next.
    lifecycle.watch(call_id, chat_id, message_key, gateway.endpoint)
    assert [t[0] for t in scheduled].count(timers.WATCH) == 2
    # Every device and function went away: the call's record expired, unsettled.
    r = redis.Redis.from_url(settings().redis_url)
    r.delete(calls.call_key(call_id), calls.user_key("ann"), calls.user_key("ben"))
    assert status_in_history(group) == "active"
    lifecycle.watch(call_id, chat_id, message_key, gateway.endpoint)
    [message] = messages.history(group)[0]
    recorded = messages.to_wire(message)["call"]
    assert (recorded["status"], recorded["durationSeconds"]) == ("ended", None)
    assert gateway.events("ann-1")[-1] == "message:edited"
    # A watch after a call that ended normally changes nothing.
    lifecycle.watch(call_id, chat_id, message_key, gateway.endpoint)
    assert messages.to_wire(messages.history(group)[0][0])["version"] == message.version
