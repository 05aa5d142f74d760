"""Fixtures of the store tests: a controllable clock, memberships, posted messages, raw reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared import clock as real_clock
from shared import config
from shared.store import messages
from shared.store.models import Member, Message

T0_MS = 1_800_000_000_000  # 2027-01-15T08:00:00Z


@dataclass
class FakeClock:
    """``shared.clock`` under test control: ``ms`` now; each ``now_ms()`` then moves on by
    ``step_ms`` (1 by default, so ids made one after another sort in creation order)."""

    ms: int = T0_MS
    step_ms: int = 1

    def now_ms(self) -> int:
        value = self.ms
        self.ms += self.step_ms
        return value

    def now_s(self) -> int:
        return self.ms // 1000

    def advance(self, ms: int) -> None:
        self.ms += ms


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """Every module's ``clock.now_ms()``/``clock.now_s()`` answered by a FakeClock."""
    fake = FakeClock()
    monkeypatch.setattr(real_clock, "now_ms", fake.now_ms)
    monkeypatch.setattr(real_clock, "now_s", fake.now_s)
    yield fake


@pytest.fixture
def join(domain: config.Settings) -> Callable[..., Member]:
    """``join(chat_id, user_id, role="member")``: a membership written directly."""

    def add(chat_id: str, user_id: str, role: str = "member") -> Member:
        member = Member(chat_id, user_id, role=role, joined_at=real_clock.now_ms())
        member.save()
        return member

    return add


@pytest.fixture
def post(domain: config.Settings) -> Callable[..., Message]:
    """``post(chat_id, sender_id, body="hi", client_message_id=None)``: a stored message."""

    def store(
        chat_id: str, sender_id: str, body: str = "hi", client_message_id: str | None = None
    ) -> Message:
        message, created = messages.store(chat_id, sender_id, body, client_message_id)
        assert created
        return message

    return store


@dataclass
class Reader:
    """Raw reads of what the domain wrote (consistent, DynamoDB attribute values)."""

    dynamodb: Any

    def items(self, table: str) -> list[dict[str, Any]]:
        """Every item of a table."""
        return list(self.dynamodb.scan(TableName=table, ConsistentRead=True)["Items"])

    def item(self, table: str, **key: str) -> dict[str, Any] | None:
        """One item by its string key attributes, or None."""
        answer = self.dynamodb.get_item(
            TableName=table, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True
        )
        found: dict[str, Any] | None = answer.get("Item")
        return found


@pytest.fixture
def stored(dynamodb: Any) -> Reader:
    """Read the tables directly: ``stored.items(table)``, ``stored.item(table, **key)``."""
    return Reader(dynamodb)
