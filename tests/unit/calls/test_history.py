"""shared.calls.history: one message per call, its ``call`` part settled as the call goes."""

from __future__ import annotations

from typing import Any

import pytest

from shared import clock, config
from shared.calls import history
from shared.state.calls import Call, Peer
from shared.store import message_updates, messages
from tests.unit.management_stub import Gateway


def a_call(answered_at: int | None = None) -> Call:
    peer = Peer("P1", "alice", "a-1", 0)
    return Call(
        "C1", "chat", "video", "alice", 0, 30, history.message_key("alice", "C1"),
        answered_at=answered_at, peers={"P1": peer},
    )  # fmt: skip


def test_a_call_message_is_the_inviters_with_no_body_and_the_call_ringing(
    domain: config.Settings,
) -> None:
    wire = history.start(a_call())
    assert (wire["senderId"], wire["body"], wire["clientMessageId"]) == ("alice", "", "call-C1")
    assert wire["call"] == {
        "callId": "C1",
        "media": "video",
        "status": "ringing",
        "startedAt": None,
        "endedAt": None,
        "durationSeconds": None,
    }
    assert history.start(a_call())["id"] == wire["id"]  # stored once


def test_settling_records_the_answer_then_the_end_with_its_duration_and_announces_each(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, configure: Any
) -> None:
    history.start(a_call())
    call = a_call(answered_at=1_800_000_000_000)
    history.settle(call, "active", gateway.endpoint)
    monkeypatch.setattr(clock, "now_ms", lambda: 1_800_000_095_500)
    history.settle(call, "ended", gateway.endpoint)
    [message] = messages.history("chat")[0]
    wire = messages.to_wire(message)
    assert wire["version"] == 3
    assert wire["call"]["status"] == "ended"
    assert wire["call"]["durationSeconds"] == 95


def test_a_deleted_call_message_stays_deleted(gateway: Gateway) -> None:
    wire = history.start(a_call())
    message_updates.delete("chat", wire["id"], "alice")
    history.settle(a_call(), "missed", gateway.endpoint)
    [message] = messages.history("chat")[0]
    assert message.deleted_at is not None and message.call is None


def test_abandoning_marks_only_a_call_still_active_ended_with_no_duration(
    gateway: Gateway,
) -> None:
    history.start(a_call())
    key = history.message_key("alice", "C1")
    assert history.abandon("chat", key, gateway.endpoint) is False  # ringing: not active
    history.settle(a_call(answered_at=1_800_000_000_000), "active", gateway.endpoint)
    assert history.abandon("chat", key, gateway.endpoint) is True
    [message] = messages.history("chat")[0]
    call = messages.to_wire(message)["call"]
    assert (call["status"], call["endedAt"], call["durationSeconds"]) == ("ended", None, None)
    assert history.abandon("chat", key, gateway.endpoint) is False
