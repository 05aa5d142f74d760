"""What API Gateway bills a WebSocket stage for: messages both ways, and connection time.

API Gateway meters WebSocket messages in 32 KB units, sent and received alike, and
connection minutes. `Traffic` counts them where the emulator sees them:

- inbound: every text frame a client sends (by the route it selects, MOCK routes such as
  `ping` included: API Gateway answers those itself, but they are billed messages);
- outbound: route responses (by route), the gateway's own error frames (`Forbidden`,
  `Internal server error`), and Management API POSTs delivered to a connection;
- the Management API's GETs and DELETEs, apart (they are API calls, not messages);
- connection time: from the accept of a connection to its end, whatever ended it.

Everything runs on the emulator's event loop; `snapshot()` is read there too
(`Emulator.traffic()`), and two snapshots subtract to the traffic between them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

MESSAGE_UNIT_BYTES = 32 * 1024


def message_units(text: str) -> int:
    """Billed messages of one frame: one per started 32 KB."""
    size = len(text.encode())
    return max(1, -(-size // MESSAGE_UNIT_BYTES))


def _minus(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    keys = set(a) | set(b)
    return {k: a.get(k, 0) - b.get(k, 0) for k in sorted(keys) if a.get(k, 0) - b.get(k, 0)}


@dataclass(frozen=True)
class TrafficSnapshot:
    """Totals since the stage started (or, subtracted, between two snapshots)."""

    inbound: dict[str, int] = field(default_factory=dict)  # billed messages by route key
    route_responses: dict[str, int] = field(default_factory=dict)  # billed, by route key
    gateway_errors: int = 0  # billed messages of the gateway's own error frames
    posts: int = 0  # billed messages of Management API POSTs delivered
    gets: int = 0  # Management API GET @connections/{id} calls (any answer)
    deletes: int = 0  # Management API DELETE @connections/{id} calls (any answer)
    connections: int = 0  # connections accepted
    connection_seconds: float = 0.0

    @property
    def messages_in(self) -> int:
        return sum(self.inbound.values())

    @property
    def messages_out(self) -> int:
        return sum(self.route_responses.values()) + self.gateway_errors + self.posts

    @property
    def messages(self) -> int:
        return self.messages_in + self.messages_out

    @property
    def connection_minutes(self) -> float:
        return self.connection_seconds / 60

    def __sub__(self, other: TrafficSnapshot) -> TrafficSnapshot:
        return TrafficSnapshot(
            inbound=_minus(self.inbound, other.inbound),
            route_responses=_minus(self.route_responses, other.route_responses),
            gateway_errors=self.gateway_errors - other.gateway_errors,
            posts=self.posts - other.posts,
            gets=self.gets - other.gets,
            deletes=self.deletes - other.deletes,
            connections=self.connections - other.connections,
            connection_seconds=self.connection_seconds - other.connection_seconds,
        )


class Traffic:
    """Counters of one stage, updated by the WebSocket gateway and the Management API."""

    def __init__(self) -> None:
        self.inbound: Counter[str] = Counter()
        self.route_responses: Counter[str] = Counter()
        self.gateway_errors = 0
        self.posts = 0
        self.gets = 0
        self.deletes = 0
        self.connections = 0
        self._closed_seconds = 0.0
        self._open: dict[str, float] = {}  # connection id -> when it was accepted

    def received(self, route_key: str, text: str) -> None:
        self.inbound[route_key] += message_units(text)

    def responded(self, route_key: str, text: str) -> None:
        self.route_responses[route_key] += message_units(text)

    def gateway_error(self, text: str) -> None:
        self.gateway_errors += message_units(text)

    def posted(self, text: str) -> None:
        self.posts += message_units(text)

    def asked(self, method: str) -> None:
        if method == "GET":
            self.gets += 1
        elif method == "DELETE":
            self.deletes += 1

    def opened(self, connection_id: str) -> None:
        self.connections += 1
        self._open[connection_id] = time.monotonic()

    def closed(self, connection_id: str) -> None:
        started = self._open.pop(connection_id, None)
        if started is not None:
            self._closed_seconds += time.monotonic() - started

    def snapshot(self) -> TrafficSnapshot:
        now = time.monotonic()
        return TrafficSnapshot(
            inbound=dict(self.inbound),
            route_responses=dict(self.route_responses),
            gateway_errors=self.gateway_errors,
            posts=self.posts,
            gets=self.gets,
            deletes=self.deletes,
            connections=self.connections,
            connection_seconds=self._closed_seconds
            + sum(now - started for started in self._open.values()),
        )
