"""EventBridge schedules, locally: schedule expressions -> periods, the timers, the events.

Owns one timer thread per enabled schedule and the rule that a function's scheduled
invocations never overlap (a tick that finds the previous invocation still running is
skipped). Failures are logged, never raised out of a timer. Timers are periodic from the
moment they start; they are not aligned to the wall clock as EventBridge's are. Each tick
delivers a Scheduled Event in EventBridge's shape (or the schedule's `Input`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from infra.runtime.pools import InvokeResult, LambdaRuntime
from infra.template.reader import Schedule

log = logging.getLogger("switchboard.scheduler")
DEFAULT_PERIOD = 60.0
_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"rate\(\s*([0-9]+)\s+(second|minute|hour|day)s?\s*\)", re.IGNORECASE)
_CRON = re.compile(r"cron\((.*)\)", re.IGNORECASE | re.DOTALL)
_STEP = re.compile(r"(?:\*|0)/([0-9]+)")


def schedule_rule_arn(region: str, account_id: str, rule_name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:rule/{rule_name}"


def scheduled_event(
    region: str, account_id: str, rule_name: str, epoch_ms: int | None = None
) -> dict[str, Any]:
    """An EventBridge "Scheduled Event", as a schedule rule delivers it to Lambda."""
    epoch = int(time.time() * 1000) if epoch_ms is None else epoch_ms
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": datetime.fromtimestamp(epoch // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [schedule_rule_arn(region, account_id, rule_name)],
        "detail": {},
    }


def _is_number(field: str) -> bool:
    return field.isascii() and field.isdigit()  # str.isdigit alone takes "²" and "٣"


def _cron_period(fields: list[str]) -> float | None:
    """The period of the simple cron shapes: every N minutes, hourly, every N hours."""
    if len(fields) != 6:
        return None
    minute, hour, rest = fields[0], fields[1], fields[2:]
    if not all(f in ("*", "?") for f in rest):
        return None
    if hour == "*":
        if minute == "*":
            return 60.0
        step = _STEP.fullmatch(minute)
        if step and int(step.group(1)) > 0:
            return int(step.group(1)) * 60.0
        if _is_number(minute):
            return 3600.0
        return None
    step = _STEP.fullmatch(hour)
    if _is_number(minute) and step and int(step.group(1)) > 0:
        return int(step.group(1)) * 3600.0
    return None


def period_of(expression: str) -> float:
    """Seconds between invocations; unsupported expressions fall back to once a minute."""
    text = expression.strip()
    rate = _RATE.fullmatch(text)
    if rate and int(rate.group(1)) > 0:
        return int(rate.group(1)) * _UNITS[rate.group(2).lower()]
    cron = _CRON.fullmatch(text)
    period = _cron_period(cron.group(1).split()) if cron else None
    if period is not None:
        return period
    log.warning(
        "schedule expression %r is not supported locally; running it once a minute", expression
    )
    return DEFAULT_PERIOD


class Scheduler:
    """Invokes scheduled functions periodically (`start`) or on demand (`run`)."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        schedules: list[Schedule],
        *,
        region: str,
        account_id: str,
        interval: float | None = None,
    ) -> None:
        self.runtime = runtime
        self.schedules = list(schedules)
        self.region = region
        self.account_id = account_id
        self.interval = interval
        self._locks = {s.function_id: threading.Lock() for s in self.schedules}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def find(self, function_id: str, event_name: str | None = None) -> Schedule:
        for schedule in self.schedules:
            if schedule.function_id == function_id and event_name in (None, schedule.event_name):
                return schedule
        raise KeyError(
            f"{function_id} has no schedule" + (f" named {event_name}" if event_name else "")
        )

    def event(self, schedule: Schedule) -> Any:
        if schedule.input is not None:
            return json.loads(schedule.input)
        return scheduled_event(self.region, self.account_id, schedule.rule_name)

    def run(self, schedule: Schedule, *, wait: bool = True) -> InvokeResult | None:
        """Invoke now; None when `wait` is False and the function's previous run is busy."""
        lock = self._locks[schedule.function_id]
        if not lock.acquire(blocking=wait):
            return None
        try:
            return self.runtime.invoke(schedule.function_id, self.event(schedule))
        finally:
            lock.release()

    # ---------------------------------------------------------------- timers
    def start(self) -> None:
        for schedule in self.schedules:
            if not schedule.enabled:
                log.info("schedule %s is disabled", schedule.rule_name)
                continue
            period = self.interval if self.interval is not None else period_of(schedule.expression)
            thread = threading.Thread(
                target=self._tick_forever,
                args=(schedule, period),
                name=f"schedule-{schedule.rule_name}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()
            log.info("schedule %s: %s every %gs", schedule.rule_name, schedule.function_id, period)

    def _tick_forever(self, schedule: Schedule, period: float) -> None:
        period = max(period, 0.01)
        due = time.monotonic() + period
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            self._tick(schedule)
            now = time.monotonic()
            due += period
            if due <= now:  # the run outlasted one or more periods: skip those ticks
                due += (int((now - due) // period) + 1) * period

    def _tick(self, schedule: Schedule) -> None:
        try:
            if self.run(schedule, wait=False) is None:
                log.info(
                    "schedule %s: previous invocation still running; tick skipped",
                    schedule.rule_name,
                )
        except Exception:
            if not self._stopping.is_set():
                log.exception(
                    "schedule %s: invocation of %s failed", schedule.rule_name, schedule.function_id
                )

    def cancel(self) -> None:
        """No further ticks; a running invocation finishes (or dies with the runtime)."""
        self._stopping.set()

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
