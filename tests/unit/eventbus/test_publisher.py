"""shared.eventbus.publisher: enabled families only, batched within EventBridge's limits,
failures reported (publish) or logged (publish_quietly)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared import config
from shared.eventbus import publisher, schema
from shared.eventbus.schema import Entry, EventName, Family
from shared.observability import calls
from tests.unit.eventbus.conftest import Bus

Configure = Callable[..., config.Settings]


def opened(n: int) -> Entry:
    return schema.connection_opened(f"C{n}", "u", "prod", 1_800_000_000_000, None)


def test_entries_reach_the_bus_as_eventbridge_delivers_them(bus: Bus) -> None:
    assert publisher.publish([opened(1), schema.user_online("u", 1_800_000_000_000)]) == []
    received = bus.received()
    assert [e["detail-type"] for e in received] == ["connection.opened", "user.online"]
    assert {e["source"] for e in received} == {"switchboard"}
    assert received[0]["detail"]["connectionId"] == "C1"


def test_only_the_enabled_families_are_put(bus: Bus, configure: Configure) -> None:
    configure(event_families=("user",))
    assert publisher.publishes(Family.USER) and not publisher.publishes(Family.CONNECTION)
    publisher.publish([opened(1), schema.user_online("u", 1)])
    assert bus.names() == ["user.online"]


def test_nothing_is_published_without_a_bus(domain: config.Settings, configure: Configure) -> None:
    configure(event_families=("all",), event_bus_name="")
    assert publisher.enabled() == frozenset()
    calls.reset()
    assert publisher.publish([opened(1)]) == []
    assert calls.counted() == {}


def test_twenty_three_events_take_three_calls(bus: Bus) -> None:
    calls.reset()
    publisher.publish([opened(n) for n in range(23)])
    assert calls.counted() == {"events.PutEvents": 3}
    assert len(bus.received()) == 23


def test_calls_also_stay_under_256_kb() -> None:
    big = Entry(EventName.MESSAGE_CREATED, {"version": 1, "body": "x" * 100_000})
    batches = publisher._calls([big, big, big, opened(1)])
    assert [len(b) for b in batches] == [2, 2]


def test_refused_entries_are_returned_and_logged(
    bus: Bus, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = publisher.client()
    real = client.put_events

    def half_refused(**kwargs: Any) -> dict[str, Any]:
        answer: dict[str, Any] = real(**kwargs)
        answer["FailedEntryCount"] = 1
        answer["Entries"][1] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
        return answer

    monkeypatch.setattr(client, "put_events", half_refused)
    entries = [opened(1), opened(2)]
    assert publisher.publish(entries) == [entries[1]]
    assert "InternalFailure" in caplog.text


def test_publish_quietly_never_raises(bus: Bus, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(**kwargs: Any) -> Any:
        raise ConnectionError("no route to EventBridge")

    monkeypatch.setattr(publisher.client(), "put_events", down)
    publisher.publish_quietly([opened(1)])  # logged, not raised
    assert publisher.publish([opened(1)]) == [opened(1)]


def test_detail_is_compact_json(bus: Bus) -> None:
    request = publisher._request_entry(opened(1))
    assert request["Detail"] == json.dumps(opened(1).detail, separators=(",", ":"))
    assert request["EventBusName"] == bus.name
