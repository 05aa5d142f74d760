"""Batched DynamoDB writes across tables: 25 items per BatchWriteItem, unprocessed items retried."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from pynamodb.models import Model

from shared import aws

BATCH_SIZE = 25
MAX_ATTEMPTS = 6


class BatchWriteError(Exception):
    """Some items stayed unprocessed after every retry."""


def _key_of(item: Model) -> dict[str, Any]:
    serialized = item.serialize(null_check=False)
    meta = item._hash_key_attribute(), item._range_key_attribute()
    names = [attr.attr_name for attr in meta if attr is not None]
    return {name: serialized[name] for name in names}


def write(puts: Iterable[Model] = (), deletes: Iterable[Model] = ()) -> int:
    """Put and delete items of any tables in as few BatchWriteItem calls as possible.

    Returns the number of calls made.
    """
    requests: list[tuple[str, dict[str, Any]]] = []
    for item in puts:
        requests.append((item.Meta.table_name, {"PutRequest": {"Item": item.serialize()}}))
    for item in deletes:
        requests.append((item.Meta.table_name, {"DeleteRequest": {"Key": _key_of(item)}}))
    client = aws.dynamodb()
    made = 0
    for start in range(0, len(requests), BATCH_SIZE):
        pending: dict[str, list[dict[str, Any]]] = {}
        for table, request in requests[start : start + BATCH_SIZE]:
            pending.setdefault(table, []).append(request)
        for attempt in range(MAX_ATTEMPTS):
            response = client.batch_write_item(RequestItems=pending)
            made += 1
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise BatchWriteError(f"{sum(len(v) for v in pending.values())} items unprocessed")
    return made
