"""benchmarks.sharded at toy sizes: every recipient reached once, the model and the cost
computed from what was measured. A room of 300 connections is sharded under the default
FanoutInlineLimit (100). No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks import sharded


@pytest.mark.timeout(300)
def test_sharded_benchmark_at_toy_sizes() -> None:
    figures = sharded.measure(ack_sizes=(10, 300), sizes=(300,), repeats=2)
    for sends in figures.sends.values():
        for send in sends:
            assert send.delivered == send.recipients, send
            assert send.posts == send.recipients, send
    assert figures.sharded_sizes() == [300]
    assert all(len(send.delivery) == 2 for send in figures.sends[300])
    assert figures.ack_ratio is not None
    model = sharded.aws_model(sharded.work_of(figures), sharded.connection_ids(100_001, seed=1))
    assert model.total_s > 0 and model.invocations > 400
    assert [row.room for row in sharded.cost_rows(figures)] == [10, 300]


def test_fast_moto_answers_every_room_query_as_moto() -> None:
    """benchmarks.fast_moto's Query (the benchmark's DynamoDB) against moto's own, on a
    partition larger than moto's 1 MB page, for every Query shape shared/store/rooms.py
    makes (first page, the rest after a key, a key range, with and without Limit)."""
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    from benchmarks import fast_moto

    original = Table.query, DynamoHandler.query
    fast_moto.patch_table_query(Table)
    fast_moto.patch_query_answer(DynamoHandler)
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName="rooms",
                KeySchema=[
                    {"AttributeName": "room", "KeyType": "HASH"},
                    {"AttributeName": "connectionId", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "room", "AttributeType": "S"},
                    {"AttributeName": "connectionId", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
            ids = sharded.connection_ids(1_500, seed=1)
            user = {"S": "u" * 900}  # 1,500 entries of ~950 B: past moto's 1 MB page
            rows = [
                {"room": {"S": "chat:c"}, "connectionId": {"S": c}, "userId": user} for c in ids
            ]
            for i in range(0, len(rows), 25):
                puts = [{"PutRequest": {"Item": row}} for row in rows[i : i + 25]]
                client.batch_write_item(RequestItems={"rooms": puts})
            assert fast_moto.same_answers(client, "rooms", "chat:c", ids)
    finally:
        Table.query, DynamoHandler.query = original  # type: ignore[method-assign]


def test_the_aws_model_walks_the_tree_the_worker_builds() -> None:
    """The model's shape constants are the delivery worker's own."""
    from benchmarks.sharded import Assumptions
    from shared.delivery import handover, worker

    a = Assumptions()
    assert (a.ranges, a.first_page) == (worker.ROOM_RANGES, worker.ROOM_FIRST_PAGE)
    assert a.handover_concurrency == handover.CONCURRENCY
