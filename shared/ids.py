"""Time-sortable identifiers (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).

Lexicographic order is creation order to the millisecond, which is what the
messages' ``byTime`` index sorts on.
"""

from __future__ import annotations

import os
import time

from shared import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(now_ms: int | None = None) -> str:
    """A 26-character id that sorts by creation time."""
    ms = clock.now_ms() if now_ms is None else now_ms
    randomness = int.from_bytes(os.urandom(10), "big")
    return _encode(ms, 10) + _encode(randomness, 16)


def decode_time(value: str) -> int:
    """The creation time (epoch ms) of an id made by new_id; ValueError if it is not one."""
    if len(value) != 26:
        raise ValueError("not a time-sortable id")
    ms = 0
    for char in value[:10]:
        position = _ALPHABET.find(char)
        if position < 0:
            raise ValueError("not a time-sortable id")
        ms = ms * 32 + position
    return ms


def lowest_id(ms: int) -> str:
    """The smallest id that new_id can make at ``ms``."""
    return _encode(ms, 10) + "0" * 16


def iso_from_ms(ms: int) -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-26T10:00:00.123Z."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
