"""DynamoDB item sizes, capacity units and Scan pages, by DynamoDB's published rules.

moto answers ``ReturnConsumedCapacity`` with a constant (1.0 for any Query or Scan,
0.5 for GetItem) and cuts Scan pages at 1,000,000 bytes of its own size estimate, so
the benchmarks compute units from the items themselves, as DynamoDB bills them:

- item size: the UTF-8 length of every attribute name plus its value's size; a
  string is its UTF-8 length, a binary its length, a number about one byte per two
  significant digits plus one, a boolean or null one byte, a set the sum of its
  elements, a list or map 3 bytes plus one byte per element (and the keys of a map);
- reads (Query, Scan, GetItem): the total size of the items read in one response,
  rounded up to 4 KB, one unit per 4 KB when strongly consistent, half when eventually
  consistent; a Scan or Query reads at most 1 MB per page, before any projection;
- writes: one unit per 1 KB of the item, rounded up, for the table and again for each
  index the item is written to.

Sources: Amazon DynamoDB Developer Guide, "Item sizes and formats" and "DynamoDB
read and write operations" / "Read request units and write request units" (as of
November 2026). Used by benchmarks.call_counts and benchmarks.aws_sample; no CLI.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Mapping
from typing import Any

READ_UNIT_BYTES = 4 * 1024
WRITE_UNIT_BYTES = 1024
PAGE_LIMIT_BYTES = 1024 * 1024  # "1 MB" per Query/Scan page, taken as 2**20 bytes


def _number_size(text: str) -> int:
    digits = text.lstrip("+-").lower().split("e")[0].replace(".", "")
    significant = digits.strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Size in bytes of one low-level AttributeValue (``{"S": "..."}``, ``{"N": "1"}``, ...)."""
    (kind, inner), *_ = value.items()
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "N":
        return _number_size(str(inner))
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(base64.b64decode(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode("utf-8")) for v in inner)
    if kind == "NS":
        return sum(_number_size(str(v)) for v in inner)
    if kind == "BS":
        return sum(value_size({"B": v}) for v in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown AttributeValue type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Size in bytes of a low-level item, as DynamoDB counts it for capacity units."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(total_bytes: int, *, consistent: bool) -> float:
    """Read request units of one response that read ``total_bytes`` of items."""
    units = max(1, math.ceil(total_bytes / READ_UNIT_BYTES))
    return float(units) if consistent else units / 2


def write_units(item_bytes: int) -> int:
    """Write request units of writing one item (or one index entry) of ``item_bytes``."""
    return max(1, math.ceil(item_bytes / WRITE_UNIT_BYTES))


def pages(sizes: Iterable[int], limit: int = PAGE_LIMIT_BYTES) -> list[int]:
    """Split items read in order into Scan/Query pages; the bytes read by each page.

    A page stops before the item that would take it past ``limit`` (an item
    that alone exceeds it still makes a page of its own)."""
    result: list[int] = []
    current = 0
    for size in sizes:
        if current and current + size > limit:
            result.append(current)
            current = 0
        current += size
    if current or not result:
        result.append(current)
    return result
