"""shared.calls.timers: a timer is a delayed SQS message; firing runs each and reports
only the failed ones."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from shared import config
from shared.calls import lifecycle, timers


def test_a_timer_is_a_message_delayed_by_its_seconds(domain: config.Settings) -> None:
    timers.schedule(timers.GRACE, "C1", 0, connectionId="c-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    [message] = sqs.receive_message(QueueUrl=domain.call_timers_queue_url)["Messages"]
    assert json.loads(message["Body"]) == {"kind": "grace", "callId": "C1", "connectionId": "c-1"}
    timers.schedule(timers.RING, "C2", 30)
    assert sqs.receive_message(QueueUrl=domain.call_timers_queue_url).get("Messages") is None


@pytest.mark.parametrize("body", ["", "[]", '{"kind": "ring"}', '{"kind": "x", "callId": "C"}'])
def test_what_is_not_a_timer_is_dropped(body: str) -> None:
    assert timers.parse(body) is None


def test_firing_runs_each_timer_and_reports_only_the_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []

    def ring(call_id: str, endpoint: str) -> None:
        seen.append(("ring", call_id, endpoint))
        if call_id == "BAD":
            raise RuntimeError("redis down")

    monkeypatch.setattr(lifecycle, "ring_timeout", ring)
    monkeypatch.setattr(lifecycle, "grace_over", lambda c, conn, e: seen.append(("grace", c, conn)))
    monkeypatch.setattr(lifecycle, "watch", lambda c, chat, key, e: seen.append(("watch", c, key)))
    records = [
        {"messageId": "m1", "body": '{"kind": "ring", "callId": "C1"}'},
        {"messageId": "m2", "body": '{"kind": "ring", "callId": "BAD"}'},
        {"messageId": "m3", "body": '{"kind": "grace", "callId": "C3", "connectionId": "c"}'},
        {"messageId": "m4", "body": "garbage"},
        {
            "messageId": "m5",
            "body": '{"kind": "watch", "callId": "C5", "chatId": "x", "messageKey": "k"}',
        },
    ]
    assert timers.fire(records, "https://api/stage") == ["m2"]
    assert seen == [
        ("ring", "C1", "https://api/stage"),
        ("ring", "BAD", "https://api/stage"),
        ("grace", "C3", "c"),
        ("watch", "C5", "k"),
    ]
