"""shared.actions.calls: a call's whole life through dispatch, as the event function runs it:
who rings, who hears each change, what the history says, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from shared import errors
from shared.calls import lifecycle, timers
from shared.state import calls
from shared.store import messages
from tests.unit.actions.conftest import Team, connect, reply_of


def act(team: Team, action: str, data: dict[str, Any], by: tuple[str, str]) -> dict[str, Any]:
    reply = reply_of(team.act(action, data, by=team.caller(*by)))
    assert reply["event"] == "ack", reply
    return dict(reply["data"])


ALICE, ALICE_2, BOB = ("alice-1", "alice"), ("alice-2", "alice"), ("bob-1", "bob")


def invite(team: Team, media: str = "video") -> dict[str, Any]:
    return act(team, "call:invite", {"chatId": team.chat_id, "media": media}, ALICE)


def call_message(team: Team) -> dict[str, Any]:
    [message] = [m for m in messages.history(team.chat_id)[0] if m.call is not None]
    return messages.to_wire(message)


@pytest.fixture
def scheduled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, int]]:
    """(kind, callId, delay) of every timer scheduled, each still sent to the queue."""
    found: list[tuple[str, str, int]] = []
    send = timers.schedule

    def record(kind: str, call_id: str, delay_seconds: int, **details: str) -> None:
        found.append((kind, call_id, delay_seconds))
        send(kind, call_id, delay_seconds, **details)

    monkeypatch.setattr(timers, "schedule", record)
    return found


@pytest.fixture
def bob_phone(team: Team) -> None:
    connect("bob-2", "bob")


def test_an_invite_rings_every_device_of_the_invitee_and_starts_the_ring_timer(
    team: Team, bob_phone: None, configure: Any, scheduled: list[tuple[str, str, int]]
) -> None:
    configure(stun_urls=("stun:stun.example.com:3478",))
    ack = invite(team)
    call = ack["call"]
    assert (call["status"], call["media"], call["inviter"], call["ringing"]) == (
        "ringing",
        "video",
        "alice",
        ["bob"],
    )
    assert ack["iceServers"] == [{"urls": ["stun:stun.example.com:3478"]}]
    assert [p["userId"] for p in call["peers"]] == ["alice"]
    assert ack["peerId"] == call["peers"][0]["peerId"]
    for device in ("bob-1", "bob-2"):
        ringing = [f for f in team.gateway.frames(device) if f["event"] == "call:ringing"]
        assert [f["data"]["from"] for f in ringing] == ["alice"], device
    assert "call:ringing" not in team.gateway.events("alice-2")
    assert "call:ringing" not in team.gateway.events("carol-1")
    # The history shows the call ringing, announced to every device in the chat.
    assert call_message(team)["call"]["status"] == "ringing"
    assert "message:new" in team.gateway.events("alice-2")
    assert scheduled == [("ring", call["callId"], 30)]


def test_accepting_on_one_device_stops_the_others_and_the_call_goes_active(
    team: Team, bob_phone: None
) -> None:
    call_id = invite(team)["call"]["callId"]
    ack = act(team, "call:accept", {"callId": call_id}, BOB)
    assert ack["call"]["status"] == "active" and ack["call"]["ringing"] == []
    assert sorted(p["userId"] for p in ack["call"]["peers"]) == ["alice", "bob"]
    assert "call:answered-elsewhere" in team.gateway.events("bob-2")
    joined = [f for f in team.gateway.frames("alice-1") if f["event"] == "call:joined"]
    assert [f["data"]["peer"]["peerId"] for f in joined] == [ack["peerId"]]
    assert call_message(team)["call"]["status"] == "active"
    with pytest.raises(errors.Conflict):  # answered already
        team.act("call:accept", {"callId": call_id}, by=team.caller("bob-2", "bob"))


def test_signals_reach_only_the_peer_named_and_only_peers_may_send_them(team: Team) -> None:
    alice_ack = invite(team)
    call_id = alice_ack["call"]["callId"]
    bob_ack = act(team, "call:accept", {"callId": call_id}, BOB)
    offer = {"sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    sent = act(
        team,
        "call:signal",
        {"callId": call_id, "to": alice_ack["peerId"], "kind": "offer", "payload": offer},
        BOB,
    )
    assert sent["delivered"] is True
    [signal] = [f for f in team.gateway.frames("alice-1") if f["event"] == "call:signal"]
    assert signal["data"] == {
        "callId": call_id,
        "from": bob_ack["peerId"],
        "fromUserId": "bob",
        "kind": "offer",
        "payload": offer,
    }
    assert "call:signal" not in team.gateway.events("alice-2")
    data = {"callId": call_id, "to": bob_ack["peerId"], "kind": "answer", "payload": offer}
    for outsider in (("alice-2", "alice"), ("carol-1", "carol")):  # not peers of the call
        with pytest.raises(errors.Forbidden):
            team.act("call:signal", data, by=team.caller(*outsider))
    with pytest.raises(errors.NotFound):
        team.act("call:signal", {**data, "to": "no-such-peer"}, by=team.caller(*ALICE))


def test_an_oversized_signal_is_refused_before_anything_is_relayed(team: Team) -> None:
    from shared.protocol import MAX_SIGNAL_BYTES, ProtocolError

    call_id = invite(team)["call"]["callId"]
    huge = {"sdp": "a" * MAX_SIGNAL_BYTES}
    with pytest.raises(ProtocolError, match="larger than"):
        team.act("call:signal", {"callId": call_id, "to": "x", "kind": "offer", "payload": huge})


def test_hanging_up_ends_a_two_party_call_with_its_duration_in_the_history(
    team: Team,
) -> None:
    call_id = invite(team)["call"]["callId"]
    act(team, "call:accept", {"callId": call_id}, BOB)
    left = act(team, "call:leave", {"callId": call_id}, BOB)
    assert (left["reason"], left["ended"]) == ("left", True)
    assert team.gateway.events("alice-1")[-3:] == ["message:edited", "call:left", "call:ended"]
    recorded = call_message(team)["call"]
    assert recorded["status"] == "ended" and recorded["durationSeconds"] is not None
    assert calls.load(call_id) is None
    assert calls.busy_users(["alice", "bob"]) == set()


def test_declining_the_only_invitation_ends_the_call_as_declined(team: Team) -> None:
    call_id = invite(team)["call"]["callId"]
    act(team, "call:decline", {"callId": call_id}, BOB)
    assert "call:declined" in team.gateway.events("alice-1")
    assert "call:ended" in team.gateway.events("alice-1")
    assert call_message(team)["call"]["status"] == "declined"
    assert calls.load(call_id) is None


def test_the_caller_cancels_and_every_ringing_device_stops(team: Team, bob_phone: None) -> None:
    call_id = invite(team)["call"]["callId"]
    with pytest.raises(errors.NotFound):  # another device of the caller is not the caller's peer
        team.act("call:cancel", {"callId": call_id}, by=team.caller(*ALICE_2))
    act(team, "call:cancel", {"callId": call_id}, ALICE)
    assert "call:cancelled" in team.gateway.events("bob-1")
    assert "call:cancelled" in team.gateway.events("bob-2")
    assert call_message(team)["call"]["status"] == "cancelled"


def test_nobody_answers_and_the_ring_timer_makes_the_call_missed(team: Team) -> None:
    call_id = invite(team)["call"]["callId"]
    lifecycle.ring_timeout(call_id, team.gateway.endpoint)
    assert "call:missed" in team.gateway.events("bob-1")
    assert team.gateway.events("alice-1")[-3:] == ["message:edited", "call:missed", "call:ended"]
    assert call_message(team)["call"]["status"] == "missed"
    lifecycle.ring_timeout(call_id, team.gateway.endpoint)  # a repeated timer: nothing
    with pytest.raises(errors.NotFound):
        team.act("call:accept", {"callId": call_id}, by=team.caller(*BOB))


def test_a_busy_invitee_is_not_rung_and_a_caller_in_a_call_cannot_start_another(
    team: Team,
) -> None:
    call_id = invite(team)["call"]["callId"]
    act(team, "call:accept", {"callId": call_id}, BOB)
    with pytest.raises(errors.Conflict, match="already in a call"):
        team.act("call:invite", {"chatId": team.chat_id, "media": "audio"})
    connect("dave-1", "dave")
    # Nobody rings when every invitee is busy: the history says so at once.
    from shared.store import chats

    chat, _, _ = chats.create_chat("dave", ["bob"], "other")
    ack = act(team, "call:invite", {"chatId": chat.chat_id, "media": "audio"}, ("dave-1", "dave"))
    assert (ack["call"]["status"], ack["busy"]) == ("ended", ["bob"])
    [message] = messages.history(chat.chat_id)[0]
    assert messages.to_wire(message)["call"]["status"] == "busy"


def test_a_dropped_peer_is_removed_after_its_grace_unless_it_rejoined(team: Team) -> None:
    call_id = invite(team)["call"]["callId"]
    bob_ack = act(team, "call:accept", {"callId": call_id}, BOB)
    connect("bob-3", "bob")
    act(team, "call:rejoin", {"callId": call_id, "peerId": bob_ack["peerId"]}, ("bob-3", "bob"))
    lifecycle.grace_over(call_id, "bob-1", team.gateway.endpoint)  # bob moved: nothing
    assert calls.load(call_id) is not None
    lifecycle.grace_over(call_id, "bob-3", team.gateway.endpoint)  # bob-3 dropped for good
    assert "call:left" in team.gateway.events("alice-1")
    assert calls.load(call_id) is None


def test_screen_sharing_is_announced_to_the_other_peers(team: Team) -> None:
    call_id = invite(team)["call"]["callId"]
    act(team, "call:accept", {"callId": call_id}, BOB)
    act(team, "call:screen", {"callId": call_id, "sharing": True}, BOB)
    [shared] = [f for f in team.gateway.frames("alice-1") if f["event"] == "call:screen"]
    assert (shared["data"]["userId"], shared["data"]["sharing"]) == ("bob", True)
    assert calls.load(call_id) is not None


def test_a_non_member_can_neither_invite_nor_join(team: Team) -> None:
    call_id = invite(team)["call"]["callId"]
    act(team, "call:accept", {"callId": call_id}, BOB)
    carol = team.caller("carol-1", "carol")
    with pytest.raises(errors.Forbidden):
        team.act("call:invite", {"chatId": team.chat_id, "media": "audio"}, by=carol)
    with pytest.raises(errors.Forbidden):
        team.act("call:join", {"callId": call_id}, by=carol)
