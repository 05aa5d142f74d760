"""Low-level DynamoDB access: the client, conditional writes and batched writes.

- ``client()``: the botocore client PynamoDB made (one connection pool), counted.
- ``conditional(...)``: one write under a condition; a failed condition returns
  the item as it stood (``ReturnValuesOnConditionCheckFailure=ALL_OLD``) instead
  of raising, so callers tell "already there" from "gone" without a read.
- ``write(puts, deletes)``: 25 items per BatchWriteItem, unprocessed items retried.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.models import Model

from shared.retries import DYNAMODB
from shared.store import models

BATCH_SIZE = 25


class BatchWriteError(Exception):
    """Some items stayed unprocessed after every retry."""


def client() -> Any:
    """A botocore DynamoDB client: the one PynamoDB made for the connections table, counted.
    (``Any``: botocore makes its clients' methods at run time.)"""
    return models.client_of(models.Connection)


class ConditionFailed(Exception):
    """A conditional write's condition did not hold; ``item`` is the item as it stood
    (raw DynamoDB attribute values), or None when there was none."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        super().__init__("condition failed")
        self.item = item


def conditional(operation: str, **request: Any) -> dict[str, Any]:
    """Run ``put_item``/``update_item``/``delete_item`` under its ConditionExpression.

    Raises ConditionFailed carrying the stored item when the condition fails;
    any other error propagates.
    """
    call = getattr(client(), operation)
    try:
        response: dict[str, Any] = call(ReturnValuesOnConditionCheckFailure="ALL_OLD", **request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        item: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]  # botocore-stubs types it as object
        raise ConditionFailed(item) from error
    return response


def _key_of(item: Model) -> dict[str, Any]:
    serialized = item.serialize(null_check=False)
    # PynamoDB's key accessors are untyped.
    meta = item._hash_key_attribute(), item._range_key_attribute()  # type: ignore[no-untyped-call]  # see above
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
    dynamodb = client()
    made = 0
    for start in range(0, len(requests), BATCH_SIZE):
        pending: dict[str, list[dict[str, Any]]] = {}
        for table, request in requests[start : start + BATCH_SIZE]:
            pending.setdefault(table, []).append(request)
        for attempt in range(DYNAMODB.attempts):
            response = dynamodb.batch_write_item(RequestItems=pending)
            made += 1
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                break
            if attempt + 1 < DYNAMODB.attempts:
                time.sleep(DYNAMODB.backoff(attempt))
        else:
            raise BatchWriteError(f"{sum(len(v) for v in pending.values())} items unprocessed")
    return made
