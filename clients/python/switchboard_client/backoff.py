"""Reconnect delays: capped exponential backoff with full jitter.

Attempt ``n`` (0 for the first reconnect after a drop) waits a uniformly random
time in ``[0, min(cap, base * factor**n)]``: clients dropped together (a redeploy,
API Gateway's 2-hour cut) spread out instead of reconnecting in lockstep, and no
delay ever exceeds ``cap``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

_MAX_EXPONENT = 64  # factor**n past this is far above any cap


@dataclass(frozen=True)
class Backoff:
    base: float = 0.5  # seconds: the ceiling of the first attempt
    factor: float = 2.0
    cap: float = 30.0  # seconds: the ceiling never grows past this

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("backoff needs base >= 0, cap >= 0 and factor >= 1")

    def ceiling(self, attempt: int) -> float:
        """The longest delay of attempt ``attempt`` (0-based)."""
        exponent = min(max(attempt, 0), _MAX_EXPONENT)
        return min(self.cap, self.base * self.factor**exponent)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """A delay for attempt ``attempt``; ``rand`` returns a float in [0, 1)."""
        fraction = min(max(rand(), 0.0), 1.0)
        return self.ceiling(attempt) * fraction
