"""The per-invocation count of AWS calls (and Redis round trips) each handler logs.

Every botocore client handed to ``instrument`` reports each API call here; the
invocation wrapper (shared/invocation.py) resets the count when an invocation
starts and logs it as ``awsCalls`` when it ends, so a log line says exactly
what an operation cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from botocore.client import BaseClient

_lock = threading.Lock()
_calls: Counter[str] = Counter()
_HANDLER_ID = "switchboard-count-calls"


def _count(model: Any, **_: Any) -> None:
    record(f"{model.service_model.service_name}.{model.name}")


def record(call: str) -> None:
    """Count one call (AWS API calls are counted automatically; Redis counts its round trips)."""
    with _lock:
        _calls[call] += 1


def instrument(client: BaseClient) -> BaseClient:
    """Have ``client`` count each of its API calls here (once per client: botocore keeps
    one handler per unique id, so instrumenting again changes nothing)."""
    client.meta.events.register("before-call", _count, unique_id=_HANDLER_ID)
    return client


def reset() -> None:
    with _lock:
        _calls.clear()


def counted() -> dict[str, int]:
    """The calls counted since the last reset, by ``service.Operation``."""
    with _lock:
        return dict(_calls)
