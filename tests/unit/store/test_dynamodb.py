"""Low-level DynamoDB access: conditional writes that return the stored item, batched writes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared import config
from shared.observability import calls
from shared.retries import DYNAMODB
from shared.store import dynamodb, models
from shared.store.dynamodb import BATCH_SIZE, BatchWriteError, ConditionFailed
from shared.store.models import Chat, Connection, Member, RoomEntry
from tests.unit.store.conftest import Reader


def a_chat(chat_id: str) -> Chat:
    return Chat(chat_id, name=None, created_by="alice", created_at=1)


def a_member(chat_id: str, user_id: str) -> Member:
    return Member(chat_id, user_id, joined_at=1)


class Unprocessing:
    """A client whose BatchWriteItem leaves items unprocessed: of each call's requests,
    only the first ``per_call`` are written (none when 0); the rest come back unprocessed."""

    def __init__(self, per_call: int) -> None:
        self.real = dynamodb.client()
        self.per_call = per_call
        self.calls = 0

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        flat = [
            (table, request) for table, requests in RequestItems.items() for request in requests
        ]
        done, left = flat[: self.per_call], flat[self.per_call :]
        if done:
            batch: dict[str, list[Any]] = {}
            for table, request in done:
                batch.setdefault(table, []).append(request)
            self.real.batch_write_item(RequestItems=batch)
        unprocessed: dict[str, list[Any]] = {}
        for table, request in left:
            unprocessed.setdefault(table, []).append(request)
        return {"UnprocessedItems": unprocessed}


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff between retries, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the time module dynamodb sleeps with
    return slept


# ---------------------------------------------------------------- client


def test_the_client_is_the_one_pynamodb_made_and_it_is_counted(domain: config.Settings) -> None:
    assert dynamodb.client() is models.client_of(Connection)
    calls.reset()
    dynamodb.client().describe_table(TableName=domain.chats_table)
    assert calls.counted() == {"dynamodb.DescribeTable": 1}


# ---------------------------------------------------------------- conditional


def test_a_conditional_write_that_holds_returns_the_response(
    domain: config.Settings, stored: Reader
) -> None:
    response = dynamodb.conditional(
        "update_item",
        TableName=domain.chats_table,
        Key={"chatId": {"S": "c1"}},
        UpdateExpression="SET #n = :name",
        ConditionExpression="attribute_not_exists(chatId)",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":name": {"S": "lunch"}},
        ReturnValues="ALL_NEW",
    )
    assert response["Attributes"] == {"chatId": {"S": "c1"}, "name": {"S": "lunch"}}
    assert stored.item(domain.chats_table, chatId="c1") == response["Attributes"]


def test_a_failed_condition_raises_with_the_item_as_it_stood(
    domain: config.Settings, stored: Reader
) -> None:
    a_chat("c1").save()
    before = stored.item(domain.chats_table, chatId="c1")
    calls.reset()
    with pytest.raises(ConditionFailed) as failed:
        dynamodb.conditional(
            "put_item",
            TableName=domain.chats_table,
            Item={"chatId": {"S": "c1"}, "createdBy": {"S": "mallory"}, "createdAt": {"N": "2"}},
            ConditionExpression="attribute_not_exists(chatId)",
        )
    assert failed.value.item == before
    assert isinstance(failed.value.__cause__, ClientError)
    assert stored.item(domain.chats_table, chatId="c1") == before  # nothing written
    assert calls.counted() == {"dynamodb.PutItem": 1}  # no read to learn what was there


def test_a_failed_condition_on_a_missing_item_carries_none(domain: config.Settings) -> None:
    with pytest.raises(ConditionFailed) as failed:
        dynamodb.conditional(
            "delete_item",
            TableName=domain.chats_table,
            Key={"chatId": {"S": "nope"}},
            ConditionExpression="attribute_exists(chatId)",
        )
    assert failed.value.item is None


def test_other_errors_propagate_as_they_are(domain: config.Settings) -> None:
    with pytest.raises(ClientError) as raised:
        dynamodb.conditional(
            "put_item",
            TableName="no-such-table",
            Item={"chatId": {"S": "c1"}},
            ConditionExpression="attribute_not_exists(chatId)",
        )
    assert not isinstance(raised.value, ConditionFailed)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_malformed_request_is_not_mistaken_for_a_failed_condition(
    domain: config.Settings,
) -> None:
    with pytest.raises(ClientError) as raised:
        dynamodb.conditional(
            "update_item",
            TableName=domain.chats_table,
            Key={"chatId": {"S": "c1"}},
            UpdateExpression="SET #n = :missing",
            ConditionExpression="attribute_not_exists(chatId)",
            ExpressionAttributeNames={"#n": "name"},
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"


# ---------------------------------------------------------------- write


def test_nothing_to_write_makes_no_call(domain: config.Settings) -> None:
    calls.reset()
    assert dynamodb.write() == 0
    assert calls.counted() == {}


def test_puts_of_several_tables_go_out_25_a_call(domain: config.Settings, stored: Reader) -> None:
    chats = [a_chat(f"c{i:02}") for i in range(30)]
    members = [a_member("c00", f"u{i:02}") for i in range(21)]
    calls.reset()
    made = dynamodb.write(puts=[*chats, *members])  # 51 items
    assert made == 3 == -(-51 // BATCH_SIZE)
    assert calls.counted() == {"dynamodb.BatchWriteItem": 3}
    assert len(stored.items(domain.chats_table)) == 30
    assert len(stored.items(domain.members_table)) == 21


def test_exactly_25_items_take_one_call(domain: config.Settings) -> None:
    calls.reset()
    assert dynamodb.write(puts=[a_chat(f"c{i}") for i in range(BATCH_SIZE)]) == 1
    assert calls.counted() == {"dynamodb.BatchWriteItem": 1}


def test_deletes_remove_items_by_their_key_and_gone_items_are_no_error(
    domain: config.Settings, stored: Reader
) -> None:
    dynamodb.write(
        puts=[
            a_chat("c1"),
            a_chat("c2"),
            a_member("c1", "alice"),
            a_member("c1", "bob"),
            RoomEntry("chat:c1", "k1=", user_id="alice", expires_at=1),
        ]
    )
    made = dynamodb.write(
        deletes=[
            Chat("c1"),
            Member("c1", "alice"),
            RoomEntry("chat:c1", "k1="),
            Connection("never-there="),
        ]
    )
    assert made == 1
    assert [i["chatId"]["S"] for i in stored.items(domain.chats_table)] == ["c2"]
    assert [i["userId"]["S"] for i in stored.items(domain.members_table)] == ["bob"]
    assert stored.items(domain.rooms_table) == []


def test_puts_and_deletes_share_the_batches(domain: config.Settings, stored: Reader) -> None:
    dynamodb.write(puts=[a_chat(f"old{i}") for i in range(10)])
    calls.reset()
    made = dynamodb.write(
        puts=[a_chat(f"new{i}") for i in range(20)], deletes=[Chat(f"old{i}") for i in range(10)]
    )
    assert made == 2
    assert calls.counted() == {"dynamodb.BatchWriteItem": 2}
    assert sorted(i["chatId"]["S"] for i in stored.items(domain.chats_table)) == sorted(
        f"new{i}" for i in range(20)
    )


def test_unprocessed_items_are_retried_with_backoff_until_written(
    domain: config.Settings,
    stored: Reader,
    monkeypatch: pytest.MonkeyPatch,
    no_sleep: list[float],
) -> None:
    slow = Unprocessing(per_call=4)
    monkeypatch.setattr(dynamodb, "client", lambda: slow)
    made = dynamodb.write(puts=[a_chat(f"c{i:02}") for i in range(10)])
    assert made == slow.calls == 3 == DYNAMODB.attempts  # 4 + 4 + 2
    assert len(no_sleep) == 2  # between attempts
    ceilings = [min(DYNAMODB.cap_seconds, DYNAMODB.base_seconds * 2**n) for n in range(2)]
    assert all(0 <= pause <= ceiling for pause, ceiling in zip(no_sleep, ceilings, strict=True))
    assert len(stored.items(domain.chats_table)) == 10


def test_items_still_unprocessed_after_every_attempt_raise(
    domain: config.Settings,
    stored: Reader,
    monkeypatch: pytest.MonkeyPatch,
    no_sleep: list[float],
) -> None:
    stuck = Unprocessing(per_call=0)
    monkeypatch.setattr(dynamodb, "client", lambda: stuck)
    with pytest.raises(BatchWriteError, match="3 items unprocessed"):
        dynamodb.write(puts=[a_chat(f"c{i}") for i in range(3)])
    assert stuck.calls == DYNAMODB.attempts
    assert len(no_sleep) == DYNAMODB.attempts - 1  # no pause after the last attempt
    assert stored.items(domain.chats_table) == []
