"""The one clock of the domain: wall-clock time in epoch milliseconds and seconds.

Every timestamp Switchboard stores or sends (createdAt, lastSeen, readAt, TTLs)
comes from here, so tests and readers find one source of "now".
"""

from __future__ import annotations

import time


def now_ms() -> int:
    """Milliseconds since the epoch (UTC)."""
    return int(time.time() * 1000)


def now_s() -> int:
    """Whole seconds since the epoch (UTC): DynamoDB TTL attributes use these."""
    return int(time.time())
