"""EventBridge schedules: read from the template, run by timers and on demand."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from infra.emulator import Emulator
from infra.runtime.scheduler import period_of, scheduled_event
from infra.template.reader import load_template
from tests.infra.support import FIXTURES
from tests.waits import TIMEOUT

INTERVAL = 0.2
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def ticking() -> Iterator[Emulator]:
    with Emulator(FIXTURES / "template.yaml", schedule_interval=INTERVAL) as emu:
        yield emu


def records(emulator: Emulator, function_id: str, stack: str = "switchboard") -> list[Any]:
    client = redis.Redis.from_url(emulator.redis_url, decode_responses=True)
    return [json.loads(r) for r in client.lrange(f"scheduled:{stack}-{function_id}", 0, -1)]


def wait_for(
    emulator: Emulator,
    function_id: str,
    count: int,
    timeout: float = TIMEOUT,
    stack: str = "switchboard",
) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = records(emulator, function_id, stack)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{function_id} ran fewer than {count} times")


def assert_scheduled_event(event: dict[str, Any], account_id: str, rule: str) -> None:
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["version"] == "0" and event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events" and event["detail"] == {}
    assert event["account"] == account_id and event["region"] == "us-east-1"
    assert event["resources"] == [f"arn:aws:events:us-east-1:{account_id}:rule/{rule}"]
    assert TIME.match(event["time"]) and len(event["id"]) == 36


def test_schedules_read_from_template() -> None:
    template = load_template(FIXTURES / "template.yaml", stack_name="st")
    got = {
        (s.function_id, s.event_name): (s.expression, s.enabled, s.rule_name)
        for s in template.schedules
    }
    assert got == {
        ("ScheduledFunction", "Sweep"): ("rate(1 minute)", True, "st-ScheduledFunction-Sweep"),
        ("SlowScheduledFunction", "EveryMinute"): (
            "cron(* * * * ? *)",
            True,
            "st-SlowScheduledFunction-EveryMinute",
        ),
        ("SlowScheduledFunction", "Often"): (
            "rate(30 seconds)",
            True,
            "st-SlowScheduledFunction-Often",
        ),
        ("DisabledScheduledFunction", "Paused"): (
            "rate(5 minutes)",
            False,
            "st-DisabledScheduledFunction-Paused",
        ),
        ("DisabledScheduledFunction", "AlsoPaused"): (
            "rate(1 hour)",
            False,
            "st-DisabledScheduledFunction-AlsoPaused",
        ),
    }
    assert template.functions["EchoFunction"].schedules == []


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("rate(30 seconds)", 30),
        ("cron(* * * * ? *)", 60),
        ("cron(0/5 * * * ? *)", 300),
        ("cron(*/10 * * * ? *)", 600),
        ("cron(15 * * * ? *)", 3600),
        ("cron(0 */2 * * ? *)", 7200),
    ],
)
def test_period_of(expression: str, seconds: float) -> None:
    assert period_of(expression) == seconds


@pytest.mark.parametrize(
    "expression", ["cron(0 12 * * MON-FRI *)", "rate(0 minutes)", "at(2026-11-26T10:00:00)"]
)
def test_unsupported_expressions_run_once_a_minute(
    expression: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="switchboard.scheduler"):
        assert period_of(expression) == 60
    assert "once a minute" in caplog.text


def test_scheduled_event_builder() -> None:
    event = scheduled_event("eu-west-1", "111122223333", "stack-Fn-Sweep", epoch_ms=1795687200123)
    assert event["time"] == "2026-11-26T10:00:00Z"
    assert event["resources"] == ["arn:aws:events:eu-west-1:111122223333:rule/stack-Fn-Sweep"]
    assert event["id"] != scheduled_event("eu-west-1", "1", "r")["id"]


def test_run_schedule_on_demand(emulator: Emulator) -> None:
    """The session emulator runs no timers; run_schedule invokes synchronously anyway."""
    before = len(records(emulator, "ScheduledFunction"))
    payload = emulator.run_schedule("ScheduledFunction")
    found = records(emulator, "ScheduledFunction")
    assert len(found) == before + 1 and payload == {"ok": True, "id": found[-1]["event"]["id"]}
    assert_scheduled_event(
        found[-1]["event"],
        emulator.template.account_id,  # type: ignore[union-attr]
        "switchboard-ScheduledFunction-Sweep",
    )
    # A disabled schedule can still be triggered by hand; a named event picks the rule.
    emulator.run_schedule("DisabledScheduledFunction", "AlsoPaused")
    event = records(emulator, "DisabledScheduledFunction")[-1]["event"]
    assert event["resources"][0].endswith(":rule/switchboard-DisabledScheduledFunction-AlsoPaused")
    with pytest.raises(KeyError):
        emulator.run_schedule("EchoFunction")


def test_timers_invoke_periodically(ticking: Emulator) -> None:
    found = wait_for(ticking, "ScheduledFunction", 4)
    assert len({r["event"]["id"] for r in found}) == len(found)
    for record in found:
        assert_scheduled_event(
            record["event"],
            ticking.template.account_id,  # type: ignore[union-attr]
            "switchboard-ScheduledFunction-Sweep",
        )
    starts = [r["start"] for r in found][1:]  # the first run also paid the cold start
    assert all(b - a >= INTERVAL * 0.5 for a, b in zip(starts, starts[1:], strict=False))


def test_disabled_schedules_never_tick(ticking: Emulator) -> None:
    wait_for(ticking, "ScheduledFunction", 3)
    assert records(ticking, "DisabledScheduledFunction") == []


def test_scheduled_runs_never_overlap(ticking: Emulator) -> None:
    """0.5 s runs, two schedules ticking every 0.2 s: still one run at a time, one worker."""
    found = wait_for(ticking, "SlowScheduledFunction", 3)
    spans = sorted((r["start"], r["end"]) for r in found)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end
    assert len({r["pid"] for r in found}) == 1
    # run_schedule waits for a timer-driven run instead of overlapping it.
    assert ticking.run_schedule("SlowScheduledFunction")["ok"] is True
    spans = sorted((r["start"], r["end"]) for r in records(ticking, "SlowScheduledFunction"))
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end


def test_failures_are_logged_and_timers_go_on(
    ticking: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis.Redis.from_url(ticking.redis_url, decode_responses=True)
    client.set("fail:switchboard-ScheduledFunction", "1")
    try:
        error = ticking.run_schedule("ScheduledFunction")
        assert error["errorType"] == "RuntimeError"
        failing = len(records(ticking, "ScheduledFunction"))
        with caplog.at_level(logging.WARNING, logger="switchboard"):
            wait_for(ticking, "ScheduledFunction", failing + 2)
            time.sleep(0.1)
    finally:
        client.delete("fail:switchboard-ScheduledFunction")
    assert "[ScheduledFunction]" in caplog.text and "scheduled failure" in caplog.text
    recovered = len(records(ticking, "ScheduledFunction"))
    wait_for(ticking, "ScheduledFunction", recovered + 2)
    assert ticking.run_schedule("ScheduledFunction")["ok"] is True


def test_no_schedules_and_stop(ticking: Emulator) -> None:
    """`schedules=False` starts no timers; `stop()` ends running ones. Shares `ticking`'s
    DynamoDB and Redis under another stack name (so its records are apart)."""
    shared = {"dynamodb_endpoint": ticking.dynamodb_endpoint, "redis_url": ticking.redis_url}
    with Emulator(
        FIXTURES / "template.yaml",
        stack_name="quiet",
        schedules=False,
        schedule_interval=0.05,
        **shared,
    ) as quiet:
        time.sleep(0.5)
        assert records(quiet, "ScheduledFunction", "quiet") == []
        assert quiet.run_schedule("ScheduledFunction")["ok"] is True
        assert len(records(quiet, "ScheduledFunction", "quiet")) == 1
        with pytest.raises(RuntimeError, match="external Redis"):
            quiet.stop_redis()
    loud = Emulator(
        FIXTURES / "template.yaml", stack_name="loud", schedule_interval=0.05, **shared
    ).start()
    try:
        wait_for(loud, "ScheduledFunction", 2, stack="loud")
    finally:
        loud.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("schedule-loud-")]
    count = len(records(ticking, "ScheduledFunction", "loud"))
    time.sleep(0.4)
    assert len(records(ticking, "ScheduledFunction", "loud")) == count
