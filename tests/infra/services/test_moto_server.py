"""infra.services.moto_server: moto's Query answers exactly as before, reading only its partition.

In-process moto (no server): the same queries run before and after the patch on one set
of tables (a table Query with and without range conditions, backwards, paged; a GSI and
an LSI Query), and every answer must be identical, pages included.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from infra.services.moto_server import patch_query

REGION = "us-east-1"


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Restored after the test: the patch must not leak into other tests' moto.
    monkeypatch.setattr(Table, "query", Table.query)
    monkeypatch.setattr(Table, "all_items", Table.all_items)
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        client.create_table(
            TableName="rooms",
            KeySchema=[
                {"AttributeName": "room", "KeyType": "HASH"},
                {"AttributeName": "conn", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "room", "AttributeType": "S"},
                {"AttributeName": "conn", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byConn",
                    "KeySchema": [{"AttributeName": "conn", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "byAt",
                    "KeySchema": [
                        {"AttributeName": "room", "KeyType": "HASH"},
                        {"AttributeName": "at", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName="plain",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        rng = random.Random(7)
        for i in range(300):
            client.put_item(
                TableName="rooms",
                Item={
                    "room": {"S": f"r{rng.randrange(12)}"},
                    "conn": {"S": f"c{rng.randrange(40)}"},
                    "at": {"N": str(rng.randrange(1000))},
                    "n": {"N": str(i)},
                },
            )
        for i in range(50):
            client.put_item(TableName="plain", Item={"id": {"S": f"p{i}"}, "v": {"N": str(i)}})
        yield client


def _pages(client: Any, **kwargs: Any) -> list[Any]:
    pages, start = [], None
    for _ in range(100):
        page = client.query(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((page["Items"], page.get("LastEvaluatedKey")))
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    return pages


QUERIES: list[dict[str, Any]] = [
    {
        "TableName": "rooms",
        "KeyConditionExpression": "room = :r",
        "ExpressionAttributeValues": {":r": {"S": "r3"}},
    },
    {
        "TableName": "rooms",
        "KeyConditionExpression": "room = :r AND conn > :c",
        "ExpressionAttributeValues": {":r": {"S": "r5"}, ":c": {"S": "c2"}},
        "ScanIndexForward": False,
    },
    {
        "TableName": "rooms",
        "KeyConditionExpression": "room = :r",
        "ExpressionAttributeValues": {":r": {"S": "r1"}},
        "Limit": 3,
        "ConsistentRead": True,
    },
    {
        "TableName": "rooms",
        "KeyConditionExpression": "room = :r",
        "ExpressionAttributeValues": {":r": {"S": "nobody"}},
    },
    {
        "TableName": "rooms",
        "IndexName": "byConn",
        "KeyConditionExpression": "conn = :c",
        "ExpressionAttributeValues": {":c": {"S": "c7"}},
        "Limit": 2,
    },
    {
        "TableName": "rooms",
        "IndexName": "byAt",
        "KeyConditionExpression": "room = :r AND at < :a",
        "ExpressionAttributeValues": {":r": {"S": "r4"}, ":a": {"N": "600"}},
        "ScanIndexForward": False,
        "Limit": 4,
    },
    {
        "TableName": "plain",
        "KeyConditionExpression": "id = :i",
        "ExpressionAttributeValues": {":i": {"S": "p9"}},
    },
]


def test_patched_query_answers_exactly_as_moto_does(dynamodb: Any) -> None:
    before = [_pages(dynamodb, **q) for q in QUERIES]
    scan_before = dynamodb.scan(TableName="rooms", Limit=25)["Items"]
    assert patch_query(Table)
    assert patch_query(Table)  # idempotent
    after = [_pages(dynamodb, **q) for q in QUERIES]
    assert after == before
    assert any(items for pages in after for items, _ in pages)
    assert dynamodb.scan(TableName="rooms", Limit=25)["Items"] == scan_before  # unchanged


def test_patched_query_skips_the_other_partitions(dynamodb: Any) -> None:
    assert patch_query(Table)
    seen: list[int] = []
    original = Table.all_items

    def counting(self: Any) -> list[Any]:
        items = original(self)
        seen.append(len(items))
        return items

    Table.all_items = counting  # type: ignore[method-assign]
    dynamodb.query(
        TableName="rooms",
        KeyConditionExpression="room = :r",
        ExpressionAttributeValues={":r": {"S": "r3"}},
    )
    assert seen and max(seen) < 100  # one partition of twelve, not the 300 items


def test_moto_module_list_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import backends

    from infra.services.moto_server import cache_module_list

    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    listed = tuple(backends.list_of_moto_modules())
    assert cache_module_list(backends)
    assert backends.list_of_moto_modules() == listed and "dynamodb" in listed


def test_a_full_collection_freezes_its_survivors() -> None:
    import gc

    from infra.services.moto_server import _freeze_survivors, freeze_after_full_collections

    registered = _freeze_survivors in gc.callbacks
    frozen = gc.get_freeze_count()
    try:
        freeze_after_full_collections()
        freeze_after_full_collections()
        assert gc.callbacks.count(_freeze_survivors) == 1
        gc.collect()
        assert gc.get_freeze_count() > frozen
    finally:
        if not registered:
            gc.callbacks.remove(_freeze_survivors)


def test_dynamodb_writes_run_one_at_a_time_as_on_dynamodb() -> None:
    """Two UpdateItems of one item must never interleave (moto's own would lose one)."""
    import threading as threads

    from infra.services.moto_server import WRITES, serialize_writes

    inside = 0
    overlapped = False
    guard = threads.Lock()

    class Backend:
        def update_item(self) -> None:
            nonlocal inside, overlapped
            with guard:
                inside += 1
                overlapped = overlapped or inside > 1
            time.sleep(0.01)
            with guard:
                inside -= 1

    assert serialize_writes(Backend)
    assert not serialize_writes(Backend)  # patched once
    backend = Backend()
    workers = [threads.Thread(target=backend.update_item) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not overlapped
    assert "update_item" in WRITES


def test_a_serialized_transaction_may_apply_its_writes_through_the_other_writes() -> None:
    """moto's transact_write_items calls put_item/update_item: the lock must let it in
    again (a plain lock hung every TransactWriteItems until the client timed out)."""
    import threading as threads

    from infra.services.moto_server import serialize_writes

    class Backend:
        def put_item(self) -> str:
            return "put"

        def transact_write_items(self) -> str:
            return self.put_item()

    serialize_writes(Backend)
    done: list[str] = []
    worker = threads.Thread(target=lambda: done.append(Backend().transact_write_items()))
    worker.start()
    worker.join(timeout=5)
    assert done == ["put"]
