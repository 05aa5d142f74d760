"""EventBridge, locally: the template's buses and rules, PutEvents, and a record of every
event put.

Owns `EventBuses`: validating a PutEvents request as EventBridge does (at most 10 entries
and 256 KB in all: the whole request fails, `ValidationException`; an entry without
Source, DetailType or Detail fails with `InvalidArgument`, one whose Detail is not a JSON
object with `MalformedDetail`, each in its own `Entries[i]`, the others accepted), building
the event EventBridge delivers (`{"version": "0", "id", "detail-type", "source",
"account", "time", "region", "resources", "detail"}`), matching it against the enabled
rules of its bus (moto's EventBridge pattern matcher) and handing each matching target
function its input (the event, the target's `Input`, or the part its `InputPath` selects)
as an asynchronous invocation (`AsyncInvocations`: Lambda's retries and destinations
apply). An entry for a bus that does not exist is accepted and delivered nowhere, as
EventBridge answers it (logged here). Every event put is kept (`events`, `wait_for`: test
hooks) and logged, at INFO with `print_events`, one line each (`switchboard local
--print-events`). The wire protocol (AWS JSON 1.1) is infra/gateway/events_api.py's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.runtime.async_invocations import AsyncInvocations
from infra.template.intrinsics import bus_name
from infra.template.reader import DEFAULT_BUS, EventRule, RuleTarget

log = logging.getLogger("switchboard.events")

MAX_ENTRIES = 10
MAX_REQUEST_SIZE = 256 * 1024
TIME_SIZE = 14  # what EventBridge counts for an entry's Time


class PutEventsError(Exception):
    """A PutEvents request EventBridge refuses whole (HTTP 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class PutEvent:
    """One event accepted by PutEvents: its bus, the event as delivered, and the rules it
    matched (`known_bus` False: no such bus, so it went nowhere)."""

    bus: str
    event: dict[str, Any]
    rules: list[str] = field(default_factory=list)
    known_bus: bool = True

    @property
    def detail_type(self) -> str:
        return str(self.event["detail-type"])

    @property
    def detail(self) -> Any:
        return self.event["detail"]


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as EventBridge counts it against the request's 256 KB."""
    size = TIME_SIZE if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or []:
        size += len(str(resource).encode())
    return size


def entry_error(entry: dict[str, Any]) -> dict[str, str] | None:
    """EventBridge's `{"ErrorCode", "ErrorMessage"}` for an entry it refuses, else None."""
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter {key} is not valid. Reason: {key} is a required "
                "argument.",
            }
    try:
        detail = json.loads(str(entry["Detail"]))
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def event_time(value: Any) -> str:
    """An entry's Time (epoch seconds, as botocore sends it, or ISO 8601) or now, as the
    event's `time`: `2024-01-01T00:00:00Z`."""
    moment = datetime.now(UTC)
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def select(document: Any, path: str) -> Any:
    """The part of `document` that a JSONPath of EventBridge's InputPath (`$`, `$.a.b`,
    `$['a']`, `$.a[0]`) selects; KeyError if it selects nothing."""
    if not path.startswith("$"):
        raise KeyError(path)
    rest = path[1:]
    current = document
    while rest:
        if rest.startswith("."):
            rest = rest[1:]
            end = min([i for i in (rest.find("."), rest.find("[")) if i >= 0] or [len(rest)])
            key, rest = rest[:end], rest[end:]
            current = current[key]
        elif rest.startswith("["):
            end = rest.index("]")
            token, rest = rest[1:end].strip(), rest[end + 1 :]
            current = current[token[1:-1]] if token[:1] in "'\"" else current[int(token)]
        else:
            raise KeyError(path)
    return current


class EventBuses:
    """The template's buses and rules on one emulator (see the module docstring)."""

    def __init__(
        self,
        buses: Iterable[str],
        rules: Iterable[EventRule],
        async_invocations: AsyncInvocations | None,
        *,
        region: str,
        account_id: str,
        print_events: bool = False,
    ) -> None:
        from moto.events.models import EventPattern

        self.buses = list(dict.fromkeys([DEFAULT_BUS, *buses]))
        self.rules = list(rules)
        self.async_invocations = async_invocations
        self.region = region
        self.account_id = account_id
        self.print_events = print_events
        self._patterns: dict[int, Any] = {
            id(rule): EventPattern.load(rule.pattern) for rule in self.rules
        }
        self._events: list[PutEvent] = []
        self._cond = threading.Condition()
        for rule in self.rules:
            if rule.bus not in self.buses:
                log.warning("rule %s is on bus %s, which does not exist", rule.name, rule.bus)

    # ---------------------------------------------------------------- PutEvents
    def put_events(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """PutEvents' answer (`FailedEntryCount`, `Entries`), or PutEventsError."""
        if not isinstance(entries, list) or not entries:
            raise PutEventsError(
                "ValidationException",
                "1 validation error detected: Value null at 'entries' failed to satisfy "
                "constraint: Member must not be null",
            )
        if len(entries) > MAX_ENTRIES:
            raise PutEventsError(
                "ValidationException",
                "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' "
                f"failed to satisfy constraint: Member must have length less than or equal to "
                f"{MAX_ENTRIES}",
            )
        if sum(entry_size(e) for e in entries if isinstance(e, dict)) > MAX_REQUEST_SIZE:
            raise PutEventsError(
                "ValidationException", "Total size of the entries in the request is over the limit."
            )
        results: list[dict[str, Any]] = []
        for entry in entries:
            error = entry_error(entry if isinstance(entry, dict) else {})
            if error is not None:
                results.append(error)
                continue
            results.append({"EventId": self._accept(entry)})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def put(
        self,
        source: str,
        detail_type: str,
        detail: dict[str, Any],
        bus: str = DEFAULT_BUS,
        resources: list[str] | None = None,
    ) -> str:
        """Put one event (a test's shortcut for PutEvents); returns its id."""
        answer = self.put_events(
            [
                {
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": bus,
                    "Resources": resources or [],
                }
            ]
        )
        result = answer["Entries"][0]
        if "ErrorCode" in result:
            raise ValueError(f"{result['ErrorCode']}: {result['ErrorMessage']}")
        return str(result["EventId"])

    def _accept(self, entry: dict[str, Any]) -> str:
        event_id = str(uuid.uuid4())
        bus = bus_name(str(entry.get("EventBusName") or DEFAULT_BUS))
        event = {
            "version": "0",
            "id": event_id,
            "detail-type": str(entry["DetailType"]),
            "source": str(entry["Source"]),
            "account": self.account_id,
            "time": event_time(entry.get("Time")),
            "region": self.region,
            "resources": [str(r) for r in entry.get("Resources") or []],
            "detail": json.loads(str(entry["Detail"])),
        }
        put = PutEvent(bus, event, known_bus=bus in self.buses)
        if put.known_bus:
            for rule in self.rules:
                if (
                    rule.bus == bus
                    and rule.enabled
                    and self._patterns[id(rule)].matches_event(event)
                ):
                    put.rules.append(rule.name)
                    for target in rule.targets:
                        self._invoke(rule, target, event)
        self._record(put)
        return event_id

    def _invoke(self, rule: EventRule, target: RuleTarget, event: dict[str, Any]) -> None:
        try:
            if target.input is not None:
                payload = json.loads(target.input)
            elif target.input_path is not None:
                payload = select(event, target.input_path)
            else:
                payload = event
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning(
                "rule %s, target %s: no input (%s: %s); not invoked",
                rule.name,
                target.id,
                type(exc).__name__,
                exc,
            )
            return
        if self.async_invocations is None:
            log.warning("rule %s, target %s: no asynchronous invocations", rule.name, target.id)
            return
        request_id = self.async_invocations.submit(target.function_id, payload)
        log.info(
            "rule %s: event %s to %s as event %s",
            rule.name,
            event["id"],
            target.function_id,
            request_id,
        )

    def _record(self, put: PutEvent) -> None:
        with self._cond:
            self._events.append(put)
            self._cond.notify_all()
        where = f"bus {put.bus}" if put.known_bus else f"bus {put.bus} (no such bus: dropped)"
        matched = ", ".join(put.rules) or "no rule"
        line = "EVENT %s %s %s -> %s: %s"
        args = (where, put.event["source"], put.detail_type, matched, json.dumps(put.detail))
        if not put.known_bus:
            log.warning(line, *args)
        else:
            log.log(logging.INFO if self.print_events else logging.DEBUG, line, *args)

    # ---------------------------------------------------------------- inspection
    def events(self, bus: str | None = None) -> list[PutEvent]:
        """Every event put so far (on `bus`, a name or ARN, if given), oldest first."""
        wanted = None if bus is None else bus_name(bus)
        with self._cond:
            return [e for e in self._events if wanted is None or e.bus == wanted]

    def wait_for(self, predicate: Callable[[PutEvent], bool], timeout: float) -> PutEvent:
        """The first event put (already, or within `timeout` seconds) that `predicate`
        accepts; AssertionError if none comes."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for put in self._events:
                    if predicate(put):
                        return put
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no event matched within {timeout}s")
                self._cond.wait(remaining)
