"""Putting events on the bus: EventBridge PutEvents, batched, for the enabled families only.

``publish`` puts entries in as few PutEvents calls as EventBridge allows (10 entries
and 256 KB a call) and returns the entries that failed (after botocore's retries),
so that the stream consumer can have Lambda retry their records. ``publish_quietly``
is for the connection lifecycle, which must never fail because of an event: it logs
what failed. The botocore client (endpoint from ``AWS_ENDPOINT_URL_EVENTBRIDGE`` when set,
as in the emulator) is made on first use and kept; a stack that publishes nothing
never makes it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from botocore.config import Config

from shared.botocore_clients import LazyClient
from shared.config import on_change, settings
from shared.eventbus.schema import SOURCE, Entry, Family, families
from shared.retries import EVENTS

log = logging.getLogger(__name__)

MAX_ENTRIES_PER_CALL = 10
MAX_BYTES_PER_CALL = 256 * 1024

_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": EVENTS.attempts},
    connect_timeout=EVENTS.connect_timeout_seconds,
    read_timeout=EVENTS.read_timeout_seconds,
)
# The EventBridge client, made once per container (and only by one that publishes).
client = LazyClient("events", _CONFIG)
_enabled: frozenset[Family] | None = None


def _forget() -> None:
    global _enabled
    _enabled = None


on_change(_forget)


def enabled() -> frozenset[Family]:
    """The families this stack publishes (EVENT_FAMILIES), read once."""
    global _enabled
    if _enabled is None:
        _enabled = families(settings().event_families) if settings().event_bus_name else frozenset()
    return _enabled


def publishes(*wanted: Family) -> bool:
    """Whether any of these families is published (so callers skip building events)."""
    return any(family in enabled() for family in wanted)


def _request_entry(entry: Entry) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": entry.name.value,
        "Detail": json.dumps(entry.detail, separators=(",", ":"), ensure_ascii=False),
        "EventBusName": settings().event_bus_name,
    }


def _size(request_entry: dict[str, Any]) -> int:
    """An entry's size as EventBridge counts it (Source, DetailType, Detail in UTF-8,
    plus 14 bytes for the time)."""
    return 14 + sum(
        len(str(request_entry[key]).encode("utf-8")) for key in ("Source", "DetailType", "Detail")
    )


def _calls(entries: Sequence[Entry]) -> list[list[tuple[Entry, dict[str, Any]]]]:
    batches: list[list[tuple[Entry, dict[str, Any]]]] = []
    current: list[tuple[Entry, dict[str, Any]]] = []
    size = 0
    for entry in entries:
        request_entry = _request_entry(entry)
        entry_size = _size(request_entry)
        if current and (
            len(current) == MAX_ENTRIES_PER_CALL or size + entry_size > MAX_BYTES_PER_CALL
        ):
            batches.append(current)
            current, size = [], 0
        current.append((entry, request_entry))
        size += entry_size
    if current:
        batches.append(current)
    return batches


def publish(entries: Iterable[Entry]) -> list[Entry]:
    """Put the entries of enabled families; returns those that failed (none: all put)."""
    wanted = [entry for entry in entries if entry.family in enabled()]
    failed: list[Entry] = []
    for batch in _calls(wanted):
        try:
            answer = client().put_events(Entries=[request for _, request in batch])
        except Exception:
            log.exception("PutEvents of %d events failed", len(batch))
            failed += [entry for entry, _ in batch]
            continue
        if answer.get("FailedEntryCount"):
            for (entry, _), result in zip(batch, answer.get("Entries") or [], strict=False):
                if result.get("ErrorCode"):
                    log.warning(
                        "event %s refused: %s %s",
                        entry.name.value,
                        result.get("ErrorCode"),
                        result.get("ErrorMessage"),
                    )
                    failed.append(entry)
    return failed


def publish_quietly(entries: Iterable[Entry]) -> None:
    """Put what can be put and log the rest; never raises (the connection lifecycle)."""
    try:
        failed = publish(entries)
    except Exception:
        log.exception("publishing events failed")
        return
    if failed:
        log.error("%d events were not published: %s", len(failed), [e.name.value for e in failed])
