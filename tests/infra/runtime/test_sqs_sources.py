"""SQS event sources, locally: messages sent to the fixture's queues reach the mapped
function once, in Lambda's shape and in batches, and are deleted; a delayed message not
before its delay; what the function reports failed (or a batch it raised on) reappears
after the visibility timeout, and after maxReceiveCount receives lands in the dead-letter
queue; a disabled mapping delivers nothing; FilterCriteria drop what matches no filter;
stopping the emulator stops the pollers.

The fixture function (tests/infra/fixtures/sqs_recorder) records every record it gets in
Redis under the tag of the message's body, and fails as the body tells it; the fixture
template is tests/infra/fixtures/sqs_template.yaml (visibility timeouts of 2 s).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from infra.emulator import Emulator
from infra.runtime.pools import InvokeResult
from infra.runtime.sqs_sources import LONG_POLL_SECONDS, batch_failures, lambda_record
from tests.infra.support import FIXTURES, aws_client, new_tag
from tests.waits import after

TEMPLATE = FIXTURES / "sqs_template.yaml"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:switchboard-{}"
VISIBILITY = 2  # the fixture queues' VisibilityTimeout


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(TEMPLATE, schedules=False) as emu:
        yield emu


@pytest.fixture(scope="module")
def records(emulator: Emulator) -> redis.Redis:
    return redis.Redis.from_url(emulator.redis_url, decode_responses=True)


def send(emulator: Emulator, queue: str, **kwargs: Any) -> str:
    """SendMessage to a fixture queue; returns the message id."""
    sqs = aws_client(emulator, "sqs")
    url = sqs.get_queue_url(QueueName=f"switchboard-{queue}")["QueueUrl"]
    return str(sqs.send_message(QueueUrl=url, **kwargs)["MessageId"])


def send_batch(emulator: Emulator, queue: str, bodies: list[dict[str, Any]]) -> list[str]:
    sqs = aws_client(emulator, "sqs")
    url = sqs.get_queue_url(QueueName=f"switchboard-{queue}")["QueueUrl"]
    entries = [{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(bodies)]
    answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert not answer.get("Failed")
    by_id = {e["Id"]: e["MessageId"] for e in answer["Successful"]}
    return [by_id[str(i)] for i in range(len(bodies))]


def seen(records: redis.Redis, tag: str) -> list[dict[str, Any]]:
    return [json.loads(e) for e in records.lrange(f"sqs:{tag}", 0, -1)]  # type: ignore[union-attr]


def wait_until(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def backlog(emulator: Emulator, queue: str) -> tuple[int, int, int]:
    """(visible, in flight, delayed) messages of a fixture queue."""
    sqs = aws_client(emulator, "sqs")
    url = sqs.get_queue_url(QueueName=f"switchboard-{queue}")["QueueUrl"]
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    visible, in_flight, delayed = (int(attributes[n]) for n in names)
    return visible, in_flight, delayed


def drained(emulator: Emulator, queue: str, timeout: float) -> None:
    wait_until(f"{queue} to empty", lambda: backlog(emulator, queue) == (0, 0, 0), timeout)


# ---------------------------------------------------------------- shapes, without an emulator
def test_a_record_is_shaped_as_lambda_shapes_it() -> None:
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "rh-1",
        "MD5OfBody": "b1",
        "Body": "hello",
        "Attributes": {
            "SenderId": "AIDA",
            "ApproximateFirstReceiveTimestamp": "1700000000100",
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
        },
        "MD5OfMessageAttributes": "a1",
        "MessageAttributes": {
            "kind": {"StringValue": "ring", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }
    assert lambda_record(message, QUEUE_ARN.format("Q"), "eu-west-1") == {
        "messageId": "m-1",
        "receiptHandle": "rh-1",
        "body": "hello",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDA",
            "ApproximateFirstReceiveTimestamp": "1700000000100",
        },
        "messageAttributes": {
            "kind": {
                "stringValue": "ring",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            },
            "blob": {
                "binaryValue": "AAE=",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Binary",
            },
        },
        "md5OfMessageAttributes": "a1",
        "md5OfBody": "b1",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN.format("Q"),
        "awsRegion": "eu-west-1",
    }


def test_partial_batch_answers_read_as_lambda_reads_them() -> None:
    batch = [{"messageId": m} for m in ("a", "b", "c")]

    def answer(payload: Any) -> set[str] | None:
        return batch_failures(InvokeResult("r", payload=payload), batch)

    for success in (None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, "ok"):
        assert answer(success) == set()
    assert answer({"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "a"}]}) == {
        "a",
        "c",
    }
    for failure in ("", None, "zz"):
        assert answer({"batchItemFailures": [{"itemIdentifier": failure}]}) is None
    assert answer({"batchItemFailures": [{"id": "a"}]}) is None
    assert answer({"batchItemFailures": "a"}) is None


# ---------------------------------------------------------------- through the emulator
def test_a_message_is_delivered_once_in_lambdas_shape_then_deleted(
    emulator: Emulator, records: redis.Redis
) -> None:
    tag = new_tag()
    message_id = send(
        emulator,
        "PlainQueue",
        MessageBody=json.dumps({"tag": tag}),
        MessageAttributes={
            "kind": {"StringValue": "ring", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    )
    [entry] = wait_until("the delivery", lambda: seen(records, tag), after())
    record = entry["record"]
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfMessageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert (record["messageId"], record["body"]) == (message_id, json.dumps({"tag": tag}))
    assert (record["eventSource"], record["awsRegion"]) == ("aws:sqs", "us-east-1")
    assert record["eventSourceARN"] == QUEUE_ARN.format("PlainQueue")
    attributes = record["attributes"]
    assert (
        list(attributes)[:1] == ["ApproximateReceiveCount"]
        and attributes["ApproximateReceiveCount"] == "1"
    )
    for name in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
        assert attributes[name].isdigit()
    assert attributes["SenderId"]
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "ring",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": "AAE=",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert entry["batch"] == [message_id]
    drained(emulator, "PlainQueue", after())  # deleted, not merely in flight
    assert len(seen(records, tag)) == 1


def test_messages_come_in_batches_of_up_to_batch_size(
    emulator: Emulator, records: redis.Redis
) -> None:
    tag = new_tag()
    ids = send_batch(emulator, "BatchQueue", [{"tag": tag, "n": n} for n in range(7)])
    entries = wait_until("7 deliveries", lambda: len(seen(records, tag)) == 7, after(1))
    entries = seen(records, tag)
    batches = {tuple(e["batch"]) for e in entries}
    # One poller gathers for up to a second: five at once, then the two left.
    assert sorted(len(b) for b in batches) == [2, 5]
    assert sorted(m for b in batches for m in b) == sorted(ids)
    for entry in entries:
        assert entry["record"]["eventSourceARN"] == QUEUE_ARN.format("BatchQueue")
    drained(emulator, "BatchQueue", after())


@pytest.mark.parametrize(
    ("queue", "delay"),
    [("PlainQueue", {"DelaySeconds": 2}), ("DelayedQueue", {})],
    ids=["message-DelaySeconds", "queue-DelaySeconds"],
)
def test_a_delayed_message_arrives_no_earlier_than_its_delay(
    emulator: Emulator, records: redis.Redis, queue: str, delay: dict[str, int]
) -> None:
    tag = new_tag()
    sent = time.monotonic()
    send(emulator, queue, MessageBody=json.dumps({"tag": tag}), **delay)
    [entry] = wait_until("the delayed delivery", lambda: seen(records, tag), after(2))
    # The function's time.monotonic() is this process's clock (CLOCK_MONOTONIC).
    assert 2 <= entry["at"] - sent <= after(2)


def test_a_reported_item_failure_reappears_and_the_others_do_not(
    emulator: Emulator, records: redis.Redis
) -> None:
    tags = [new_tag() for _ in range(3)]
    bodies = [{"tag": tags[0]}, {"tag": tags[1], "partial": 1}, {"tag": tags[2]}]
    send_batch(emulator, "PartialQueue", bodies)
    again = wait_until(
        "the redelivery", lambda: len(seen(records, tags[1])) == 2, after(VISIBILITY + 1)
    )
    assert again
    first, second = seen(records, tags[1])
    counts = [e["record"]["attributes"]["ApproximateReceiveCount"] for e in (first, second)]
    assert counts == ["1", "2"]
    # Not before its visibility timeout, counted from the first receive (moto's wall clock).
    first_receive = int(second["record"]["attributes"]["ApproximateFirstReceiveTimestamp"]) / 1000
    assert second["wall"] - first_receive >= VISIBILITY
    drained(emulator, "PartialQueue", after())
    assert [len(seen(records, t)) for t in tags] == [1, 2, 1]


def test_a_raising_function_gets_the_batch_again(emulator: Emulator, records: redis.Redis) -> None:
    tags = [new_tag(), new_tag()]
    send_batch(emulator, "BatchQueue", [{"tag": tags[0], "fail": 1}, {"tag": tags[1]}])
    wait_until(
        "both redelivered",
        lambda: all(len(seen(records, t)) == 2 for t in tags),
        after(1 + VISIBILITY + 1),
    )
    drained(emulator, "BatchQueue", after())
    for tag in tags:
        entries = seen(records, tag)
        assert [e["record"]["attributes"]["ApproximateReceiveCount"] for e in entries] == [
            "1",
            "2",
        ]
    # The same batch, raised on, then whole again.
    assert seen(records, tags[0])[0]["request_id"] == seen(records, tags[1])[0]["request_id"]


def test_after_max_receive_count_the_message_lands_in_the_dead_letter_queue(
    emulator: Emulator, records: redis.Redis
) -> None:
    tag = new_tag()
    message_id = send(emulator, "PlainQueue", MessageBody=json.dumps({"tag": tag, "fail": 99}))
    sqs = aws_client(emulator, "sqs")
    dlq = sqs.get_queue_url(QueueName="switchboard-DeadLetters")["QueueUrl"]

    def dead_lettered() -> list[dict[str, Any]]:
        answer = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [m for m in answer.get("Messages") or [] if m["MessageId"] == message_id]

    [dead] = wait_until("the dead letter", dead_lettered, after(3 * VISIBILITY + 2))
    assert json.loads(dead["Body"]) == {"tag": tag, "fail": 99}
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=dead["ReceiptHandle"])
    # maxReceiveCount 2: received (and failed) twice, then moved.
    assert len(seen(records, tag)) == 2
    drained(emulator, "PlainQueue", after())


def test_filter_criteria_drop_what_matches_no_filter(
    emulator: Emulator, records: redis.Redis
) -> None:
    keep, drop = new_tag(), new_tag()
    send(emulator, "FilteredQueue", MessageBody=json.dumps({"tag": drop, "kind": "other"}))
    send(emulator, "FilteredQueue", MessageBody=json.dumps({"tag": keep, "kind": "keep"}))
    wait_until("the kept message", lambda: seen(records, keep), after())
    drained(emulator, "FilteredQueue", after())  # the other one is deleted too
    assert seen(records, drop) == []


def test_a_disabled_mapping_delivers_nothing(emulator: Emulator, records: redis.Redis) -> None:
    assert emulator.sqs_sources is not None
    polled = {p.source.logical_id for p in emulator.sqs_sources.pollers}
    assert "SqsRecorderFunctionDisabled" not in polled
    assert {"SqsRecorderFunctionPlain", "BatchMapping"} <= polled
    tag = new_tag()
    send(emulator, "DisabledQueue", MessageBody=json.dumps({"tag": tag}))
    assert emulator.sqs_sources.wait_idle(after())  # the others polled their queues since
    sqs = aws_client(emulator, "sqs")
    url = sqs.get_queue_url(QueueName="switchboard-DisabledQueue")["QueueUrl"]
    [message] = sqs.receive_message(
        QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], WaitTimeSeconds=1
    )["Messages"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # never received before
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert seen(records, tag) == []


def test_stopping_the_emulator_stops_its_pollers() -> None:
    emu = Emulator(TEMPLATE, schedules=False).start()
    try:
        assert emu.sqs_sources is not None
        pollers = emu.sqs_sources
        threads = [p.thread for p in pollers.pollers]
        assert len(threads) == 5 and all(t.is_alive() for t in threads)
        started = time.monotonic()
    finally:
        emu.stop()
    # Each poller was in a long poll of at most LONG_POLL_SECONDS (moto may add a second).
    assert time.monotonic() - started <= after(LONG_POLL_SECONDS + 1)
    assert not any(t.is_alive() for t in threads)
    assert not any(t.name.startswith(pollers.name) for t in threading.enumerate())
