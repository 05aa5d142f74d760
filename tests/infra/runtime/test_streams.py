"""DynamoDB stream event sources, locally: records written to the fixture's streamed
table reach the mapped functions in Lambda's shape and order, filtered by FilterCriteria,
in batches; failing batches are retried (from the first failure a partial batch response
names) and, retries exhausted, described in the OnFailure queue; `streams.wait_idle`
waits for all of it; stopping the emulator stops the pollers.

The fixture function (tests/infra/fixtures/stream_recorder) records every record it gets
in Redis, under its key, and fails as the record's `fail` / `partial` attributes tell it.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from infra.emulator import Emulator
from infra.runtime.pools import InvokeResult
from infra.runtime.streams import EVENT_VERSION, failed_sequence, lambda_record
from infra.template.intrinsics import STREAM_LABEL
from tests.infra.support import FIXTURES, Recorder, aws_client, new_tag
from tests.waits import TIMEOUT, after

RECORDER = "switchboard-StreamRecorderFunction"
PARTIAL = "switchboard-StreamPartialFunction"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/switchboard-StreamTable"


def table(emulator: Emulator) -> str:
    assert emulator.template is not None
    return emulator.template.tables["StreamTable"].name


def drained(emulator: Emulator) -> None:
    assert emulator.streams is not None
    assert emulator.streams.wait_idle(after()), "stream records still pending"


def seen(recorder: Recorder, function: str, pk: str) -> list[dict[str, Any]]:
    return [json.loads(e) for e in recorder.client.lrange(f"stream:{function}:{pk}", 0, -1)]


def test_a_record_is_shaped_as_lambda_shapes_it() -> None:
    raw = {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2024, 5, 1, 12, 0, 7, 250000, tzinfo=UTC),
            "Keys": {"pk": {"S": "a"}},
            "NewImage": {"pk": {"S": "a"}, "b": {"B": b"\x00\x01"}, "l": {"L": [{"BS": [b"x"]}]}},
            "OldImage": {"pk": {"S": "a"}, "m": {"M": {"n": {"N": "1"}}}},
            "SequenceNumber": "100",
            "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    record = lambda_record(raw, f"{TABLE_ARN}/stream/2024", "eu-west-1")
    assert record == {
        "eventID": "e1",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1714564807.0,
            "Keys": {"pk": {"S": "a"}},
            "NewImage": {"pk": {"S": "a"}, "b": {"B": "AAE="}, "l": {"L": [{"BS": ["eA=="]}]}},
            "OldImage": {"pk": {"S": "a"}, "m": {"M": {"n": {"N": "1"}}}},
            "SequenceNumber": "100",
            "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": f"{TABLE_ARN}/stream/2024",
    }


def test_partial_batch_answers_read_as_lambda_reads_them() -> None:
    batch = [{"dynamodb": {"SequenceNumber": n}} for n in ("7", "10", "12")]

    def answer(payload: Any) -> str | None | bool:
        return failed_sequence(InvokeResult("r", payload=payload), batch)

    for success in (None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}, "ok"):
        assert answer(success) is None
    assert (
        answer({"batchItemFailures": [{"itemIdentifier": "12"}, {"itemIdentifier": "10"}]}) == "10"
    )
    for failure in ("", None, "99"):
        assert answer({"batchItemFailures": [{"itemIdentifier": failure}]}) is False
    assert answer({"batchItemFailures": [{"id": "10"}]}) is False


def test_insert_modify_remove_reach_the_function_in_order_and_in_lambdas_shape(
    emulator: Emulator, recorder: Recorder
) -> None:
    dynamodb = aws_client(emulator, "dynamodb")
    pk = f"rec-{new_tag()}"
    key = {"pk": {"S": pk}}
    dynamodb.put_item(TableName=table(emulator), Item={**key, "v": {"N": "1"}, "b": {"B": b"\x01"}})
    dynamodb.update_item(
        TableName=table(emulator),
        Key=key,
        UpdateExpression="SET v = :v REMOVE b",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    dynamodb.delete_item(TableName=table(emulator), Key=key)
    drained(emulator)
    records = [entry["record"] for entry in seen(recorder, RECORDER, pk)]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert emulator.streams is not None
    stream_arn = emulator.streams.stream_arns[f"{TABLE_ARN}/stream/{STREAM_LABEL}"]
    assert stream_arn.startswith(f"{TABLE_ARN}/stream/")
    for record in records:
        assert list(record) == [
            "eventID",
            "eventName",
            "eventVersion",
            "eventSource",
            "awsRegion",
            "dynamodb",
            "eventSourceARN",
        ]
        assert (record["eventVersion"], record["eventSource"]) == (EVENT_VERSION, "aws:dynamodb")
        assert (record["awsRegion"], record["eventSourceARN"]) == ("us-east-1", stream_arn)
        assert record["dynamodb"]["Keys"] == key
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
        assert isinstance(record["dynamodb"]["SizeBytes"], int)
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"] == {**key, "v": {"N": "1"}, "b": {"B": "AQ=="}}
    assert "OldImage" not in insert
    assert (modify["OldImage"], modify["NewImage"]) == (
        insert["NewImage"],
        {**key, "v": {"N": "2"}},
    )
    assert remove["OldImage"] == modify["NewImage"] and "NewImage" not in remove


def test_filter_criteria_drop_the_records_that_match_no_filter(
    emulator: Emulator, recorder: Recorder
) -> None:
    dynamodb = aws_client(emulator, "dynamodb")
    tag = new_tag()
    for pk in (f"skip-{tag}", f"rec-{tag}", f"part-{tag}"):
        dynamodb.put_item(TableName=table(emulator), Item={"pk": {"S": pk}})
    dynamodb.update_item(
        TableName=table(emulator),
        Key={"pk": {"S": f"part-{tag}"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    drained(emulator)
    assert seen(recorder, RECORDER, f"skip-{tag}") == []
    assert len(seen(recorder, RECORDER, f"rec-{tag}")) == 1
    assert seen(recorder, RECORDER, f"part-{tag}") == []
    # The other mapping takes INSERTs of part-* only: not the MODIFY.
    assert [e["record"]["eventName"] for e in seen(recorder, PARTIAL, f"part-{tag}")] == ["INSERT"]
    assert seen(recorder, PARTIAL, f"rec-{tag}") == []
    # The disabled mapping is not polled.
    assert emulator.streams is not None
    assert {p.source.logical_id for p in emulator.streams.pollers} == {
        "StreamRecorderFunctionChanges",
        "StreamPartialMapping",
    }


def test_a_failing_batch_is_retried_then_described_in_the_on_failure_queue(
    emulator: Emulator, recorder: Recorder
) -> None:
    assert emulator.template is not None
    dynamodb = aws_client(emulator, "dynamodb")
    pk = f"rec-{new_tag()}"
    dynamodb.put_item(TableName=table(emulator), Item={"pk": {"S": pk}, "fail": {"N": "99"}})
    drained(emulator)
    attempts = seen(recorder, RECORDER, pk)
    assert len(attempts) == 3  # the first attempt and MaximumRetryAttempts: 2
    assert len({a["request_id"] for a in attempts}) == 3
    assert len({a["record"]["eventID"] for a in attempts}) == 1
    sequence = attempts[0]["record"]["dynamodb"]["SequenceNumber"]
    sqs = aws_client(emulator, "sqs")
    url = emulator.template.queues["StreamDeadLetterQueue"].url
    found = []
    for message in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=1
    ).get("Messages", []):
        body = json.loads(message["Body"])
        if body.get("DDBStreamBatchInfo", {}).get("startSequenceNumber") == sequence:
            found.append(body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    [described] = found
    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["requestContext"]["approximateInvokeCount"] == 3
    assert described["requestContext"]["functionArn"].endswith(f":function:{RECORDER}")
    assert described["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    info = described["DDBStreamBatchInfo"]
    assert (info["endSequenceNumber"], info["batchSize"]) == (sequence, 1)
    assert info["streamArn"] == attempts[0]["record"]["eventSourceARN"]
    assert info["shardId"] and info["approximateArrivalOfFirstRecord"].endswith("Z")
    # The shard goes on past the skipped batch.
    after_pk = f"rec-{new_tag()}"
    dynamodb.put_item(TableName=table(emulator), Item={"pk": {"S": after_pk}})
    drained(emulator)
    assert len(seen(recorder, RECORDER, after_pk)) == 1


def test_a_partial_batch_response_resumes_from_the_first_failure(
    emulator: Emulator, recorder: Recorder
) -> None:
    dynamodb = aws_client(emulator, "dynamodb")
    tag = new_tag()
    pks = [f"part-{tag}-{i}" for i in range(3)]
    for i, pk in enumerate(pks):
        item = {"pk": {"S": pk}}
        if i == 1:
            item["partial"] = {"N": "1"}  # reported failed once
        dynamodb.put_item(TableName=table(emulator), Item=item)
    drained(emulator)
    first, second, third = (seen(recorder, PARTIAL, pk) for pk in pks)
    # One batch of three (the mapping's 1 s window gathered them), then, from the reported
    # record on, a batch of two.
    assert [len(first), len(second), len(third)] == [1, 2, 2]
    whole = first[0]["batch"]
    assert len(whole) == 3
    assert second[1]["batch"] == third[1]["batch"] == whole[1:]


def test_stopping_the_emulator_stops_its_pollers() -> None:
    with Emulator(FIXTURES / "template.yaml", schedules=False) as emu:
        assert emu.streams is not None and len(emu.streams.pollers) == 2
        names = {p.thread.name for p in emu.streams.pollers}
        assert all(p.thread.is_alive() for p in emu.streams.pollers)
        assert emu.streams.wait_idle(TIMEOUT)
    alive = {t.name for t in threading.enumerate()}
    assert not names & alive
