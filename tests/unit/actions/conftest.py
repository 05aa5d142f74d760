"""Fixtures of the action tests: a local Management API, a chat with live connections, and
frames dispatched to their handlers in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared import clock, config
from shared.actions import dispatch
from shared.actions.caller import Caller, Outcome
from shared.protocol import parse_request
from shared.store import chats, connections
from tests.unit import management_stub
from tests.unit.management_stub import STAGE, Gateway


@pytest.fixture
def gateway(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """A local Management API (tests/unit/management_stub.py) the actions post to."""
    with management_stub.serving(monkeypatch) as server:
        yield server


T0 = 1_800_000_000_000  # 2027-01-15T08:00:00Z


class Clock:
    """``shared.clock`` as the domain sees it: each reading is one millisecond later, so
    ids made one after another sort in the order they were made."""

    def __init__(self) -> None:
        self.ms = T0

    def now_ms(self) -> int:
        self.ms += 1
        return self.ms

    def now_s(self) -> int:
        return self.ms // 1000


@pytest.fixture
def ticking(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every module's ``clock.now_ms()``/``now_s()`` answered by a Clock starting at T0."""
    fake = Clock()
    monkeypatch.setattr(clock, "now_ms", fake.now_ms)
    monkeypatch.setattr(clock, "now_s", fake.now_s)
    return fake


def connect(connection_id: str, user_id: str) -> list[str]:
    """$connect's records for a live connection of ``user_id`` (user room and chat rooms)."""
    return connections.register(connection_id, user_id, clock.now_ms(), "203.0.113.9")


def reply_of(outcome: Outcome) -> dict[str, Any]:
    """The frame an action answers its sender with, parsed."""
    parsed: dict[str, Any] = json.loads(outcome.reply)
    return parsed


@dataclass
class Team:
    """A chat of alice (admin; devices alice-1 and alice-2) and bob (bob-1), beside carol
    (carol-1), who is in no chat with them."""

    chat_id: str
    gateway: Gateway

    def caller(self, connection_id: str = "alice-1", user_id: str = "alice") -> Caller:
        return Caller(connection_id, user_id, self.gateway.endpoint, STAGE)

    def act(
        self,
        action: str,
        data: dict[str, Any] | None = None,
        *,
        by: Caller | None = None,
        request_id: str | int | None = "r1",
    ) -> Outcome:
        """One client frame, parsed and dispatched as the event function does."""
        frame: dict[str, Any] = {"action": action, "data": data or {}}
        if request_id is not None:
            frame["requestId"] = request_id
        return dispatch.dispatch(parse_request(json.dumps(frame)), by or self.caller())


@pytest.fixture
def team(gateway: Gateway) -> Team:
    chat, _, _ = chats.create_chat("alice", ["bob"], "team")
    for connection_id, user_id in [
        ("alice-1", "alice"),
        ("alice-2", "alice"),
        ("bob-1", "bob"),
        ("carol-1", "carol"),
    ]:
        connect(connection_id, user_id)
    return Team(chat.chat_id, gateway)
