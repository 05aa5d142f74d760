"""Lambda's asynchronous invocations, locally: events run, are retried with Lambda's
(compressed) waits, age out, and end as invocation records in the template's SQS queue
or Lambda destination; crashes and timeouts mid-invocation are retried; `wait_idle`
waits for all of it; stopping the emulator stops it cleanly.

The fixture functions (tests/infra/fixtures/async_recorder) record every invocation in
Redis and fail while the event tells them to; queues are read with boto3's `sqs` client
on the emulator's moto.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from infra.emulator import Emulator
from infra.runtime.async_invocations import AsyncEvent, record
from infra.runtime.faults import FaultPlan
from infra.template.reader import Destination
from tests.infra.support import FIXTURES, Recorder, aws_client, lambda_client, new_tag
from tests.waits import after

DELIVERY = "switchboard-delivery"
DELIVERY_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{DELIVERY}"
AGING = "switchboard-AgingFunction"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def faults(emulator: Emulator) -> Iterator[FaultPlan]:
    emulator.faults.clear()
    yield emulator.faults
    emulator.faults.clear()


def idle(emulator: Emulator, expected: float = 0.0) -> None:
    assert emulator.async_invocations is not None
    assert emulator.async_invocations.wait_idle(after(expected)), "events still pending"


def started(recorder: Recorder, function: str, tag: str) -> list[dict[str, Any]]:
    return [json.loads(e) for e in recorder.client.lrange(f"async:{function}:{tag}", 0, -1)]


def finished(recorder: Recorder, function: str, tag: str) -> list[dict[str, Any]]:
    return [json.loads(e) for e in recorder.client.lrange(f"async-done:{function}:{tag}", 0, -1)]


def records_in(emulator: Emulator, queue_id: str, tag: str) -> list[dict[str, Any]]:
    """The invocation records for `tag` in a queue of the template (taken off the queue;
    the records of other tests are left visible)."""
    assert emulator.template is not None
    url = emulator.template.queues[queue_id].url
    sqs = aws_client(emulator, "sqs")
    found = []
    for message in sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", []):
        body = json.loads(message["Body"])
        if body["requestPayload"].get("tag") == tag:
            found.append(body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def messages(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_an_event_runs_once(
    emulator: Emulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    tag = new_tag()
    with caplog.at_level(logging.INFO, logger="switchboard.lambda.async"):
        request_id = emulator.invoke_event("DeliveryFunction", {"tag": tag})
        idle(emulator)
    [entry] = started(recorder, DELIVERY, tag)
    assert (entry["request_id"], entry["event"]) == (request_id, {"tag": tag})
    assert f"[DeliveryFunction] event {request_id} attempt 1/3: succeeded" in messages(
        caplog, "switchboard.lambda.async"
    )
    assert records_in(emulator, "DeliveryDeadLetterQueue", tag) == []


def test_a_failing_event_is_retried_after_growing_waits_until_it_succeeds(
    emulator: Emulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    tag = new_tag()
    delay = emulator.async_retry_delay
    with caplog.at_level(logging.INFO, logger="switchboard.lambda.async"):
        request_id = emulator.invoke_event("DeliveryFunction", {"tag": tag, "fail": 2})
        idle(emulator, 3 * delay)
    attempts = started(recorder, DELIVERY, tag)
    assert [a["request_id"] for a in attempts] == [request_id] * 3  # one id across retries
    # Lambda waits 1 minute, then 2: here delay, then 2 * delay (after the failure).
    ends = [a["end"] for a in finished(recorder, DELIVERY, tag)]
    assert attempts[1]["at"] - ends[0] >= delay * 0.9
    assert attempts[2]["at"] - ends[1] >= 2 * delay * 0.9
    logged = [m for m in messages(caplog, "switchboard.lambda.async") if request_id in m]
    first = (
        "attempt 1/3: failed (RuntimeError: failing as told (invocation 1)); "
        f"retry in {delay:g}s (Lambda: 60s)"
    )
    second = (
        "attempt 2/3: failed (RuntimeError: failing as told (invocation 2)); "
        f"retry in {2 * delay:g}s (Lambda: 120s)"
    )
    for line in (first, second, "attempt 3/3: succeeded"):
        assert any(line in m for m in logged), (line, logged)
    assert records_in(emulator, "DeliveryDeadLetterQueue", tag) == []


def test_exhausted_retries_send_lambdas_record_to_the_dead_letter_queue_and_alarm(
    emulator: Emulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    tag = new_tag()
    payload = {"tag": tag, "fail": 99, "batch": ["c1", "c2"]}
    with caplog.at_level(logging.INFO):
        answer = lambda_client(emulator).invoke(
            FunctionName=DELIVERY, InvocationType="Event", Payload=json.dumps(payload)
        )
        assert answer["StatusCode"] == 202
        request_id = answer["ResponseMetadata"]["RequestId"]
        idle(emulator, 3 * emulator.async_retry_delay)
    assert len(started(recorder, DELIVERY, tag)) == 3  # the first attempt and 2 retries
    [record] = records_in(emulator, "DeliveryDeadLetterQueue", tag)
    assert set(record) == {
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    }
    assert record["version"] == "1.0"
    assert TIMESTAMP.match(record["timestamp"])
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{DELIVERY_ARN}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == payload
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    response = record["responsePayload"]
    assert (response["errorType"], response["errorMessage"]) == (
        "RuntimeError",
        "failing as told (invocation 3)",
    )
    alarms = [m for m in messages(caplog, "switchboard.sqs") if m.startswith("ALARM")]
    assert alarms and alarms[-1].startswith(
        "ALARM DeliveryDeadLetterAlarm: ApproximateNumberOfMessagesVisible of queue "
        "switchboard-DeliveryDeadLetterQueue is "
    )
    assert any(
        r.levelno == logging.WARNING and r.getMessage().startswith("ALARM DeliveryDeadLetterAlarm")
        for r in caplog.records
    )


def test_an_event_too_old_for_its_retry_goes_to_the_destination_unretried(
    emulator: Emulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """AgingFunction's events live 60 s: its first retry would run a minute later on
    Lambda, so the event is dropped then, with its record, after one attempt."""
    tag = new_tag()
    with caplog.at_level(logging.WARNING):
        request_id = emulator.invoke_event("AgingFunction", {"tag": tag, "fail": 99})
        idle(emulator, emulator.async_retry_delay)
    assert len(started(recorder, AGING, tag)) == 1
    [record] = records_in(emulator, "AgingDeadLetterQueue", tag)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["requestId"] == request_id
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["functionError"] == "Unhandled"
    logged = messages(caplog, "switchboard.lambda.async")
    dropped = f"event {request_id} dropped after 1 attempt(s): older than 60s"
    assert any(dropped in m for m in logged), logged
    assert not [m for m in messages(caplog, "switchboard.sqs") if m.startswith("ALARM")]


def test_a_success_record_goes_to_the_lambda_destination(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    request_id = emulator.invoke_event("AgingFunction", {"tag": tag})
    idle(emulator)  # the sink's own event included
    [sunk] = started(recorder, "switchboard-RecordSinkFunction", tag)
    record = sunk["event"]
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{AGING}:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == {"tag": tag}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"tag": tag, "invocation": 1}
    assert sunk["request_id"] != request_id  # the destination's own asynchronous event


@pytest.mark.parametrize(
    ("kind", "error_type", "handler_runs"),
    [
        ("crash", "Runtime.ExitError", True),
        ("timeout", "Sandbox.Timedout", True),
        ("error", "InjectedFault", False),
    ],
)
def test_an_invocation_that_crashes_times_out_or_fails_mid_way_is_retried(
    emulator: Emulator,
    recorder: Recorder,
    faults: FaultPlan,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    error_type: str,
    handler_runs: bool,
) -> None:
    tag = new_tag()
    fault = faults.invocation("DeliveryFunction", kind, after=0.3)
    with caplog.at_level(logging.INFO, logger="switchboard.lambda.async"):
        request_id = emulator.invoke_event("DeliveryFunction", {"tag": tag, "sleep": 1})
        idle(emulator, 0.3 + emulator.async_retry_delay + 1)
    assert fault.served == 1
    begun, done = started(recorder, DELIVERY, tag), finished(recorder, DELIVERY, tag)
    assert len(done) == 1  # the retry
    assert len(begun) == (2 if handler_runs else 1)
    if handler_runs:  # the first attempt began, never ended, and its worker died with it
        assert begun[0]["pid"] != begun[1]["pid"]
        assert not psutil.pid_exists(begun[0]["pid"])
    logged = [m for m in messages(caplog, "switchboard.lambda.async") if request_id in m]
    assert any(f"attempt 1/3: failed ({error_type}:" in m for m in logged), logged
    assert any("attempt 2/3: succeeded" in m for m in logged), logged


def test_wait_idle_waits_for_queued_running_and_retrying_events(
    emulator: Emulator, recorder: Recorder
) -> None:
    engine = emulator.async_invocations
    assert engine is not None
    tag = new_tag()
    emulator.invoke_event("DeliveryFunction", {"tag": tag, "sleep": 0.5, "fail": 1})
    assert engine.pending >= 1
    assert not engine.wait_idle(0.05)
    assert engine.wait_idle(after(0.5 + emulator.async_retry_delay + 0.5))
    assert engine.pending == 0
    # Idle came only after the retry (the event waited for it between its attempts).
    assert len(finished(recorder, DELIVERY, tag)) == 2


def test_events_run_concurrently_within_the_pool_concurrency(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    for _ in range(emulator.max_concurrency + 2):  # 2 s each: longer than a cold start
        emulator.invoke_event("DeliveryFunction", {"tag": tag, "sleep": 2})
    idle(emulator, 4)
    spans = [(d["at"], d["end"]) for d in finished(recorder, DELIVERY, tag)]
    assert len(spans) == emulator.max_concurrency + 2
    overlap = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert 2 <= overlap <= emulator.max_concurrency


def test_stopping_the_emulator_stops_the_events_cleanly(
    emulator: Emulator, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    """Running, retrying and queued events at stop: stop() returns promptly, no thread
    or worker outlives it, nothing is dead-lettered, nothing is logged as an error."""
    running, retrying = new_tag(), new_tag()
    emu = Emulator(
        FIXTURES / "template.yaml",
        stage="stopping",
        schedules=False,
        aws_endpoint=emulator.aws_endpoint,
        redis_url=emulator.redis_url,
        async_retry_delay=30,  # the failed event waits for its retry when stop() comes
    ).start()
    try:
        assert emu.async_invocations is not None and emu.runtime is not None
        emu.invoke_event("DeliveryFunction", {"tag": retrying, "fail": 99})
        for _ in range(emu.max_concurrency + 2):  # 4 run, 2 wait in the queue
            emu.invoke_event("DeliveryFunction", {"tag": running, "sleep": 60})
        deadline = time.monotonic() + after(2)
        while len(started(recorder, DELIVERY, running)) < emu.max_concurrency:
            assert time.monotonic() < deadline, "the events did not start"
            time.sleep(0.05)
        assert not emu.async_invocations.wait_idle(0.05)
        pool = emu.runtime.pools["DeliveryFunction"]
        with pool.condition:
            workers = [w.process.pid for w in pool.all]
        assert len(workers) == emu.max_concurrency
        prefix = emu.async_invocations.name
        assert [t for t in threading.enumerate() if t.name.startswith(prefix)]
    except BaseException:
        emu.stop()
        raise
    with caplog.at_level(logging.INFO):
        began = time.monotonic()
        emu.stop()
        took = time.monotonic() - began
    assert took < after(5)
    assert prefix == f"lambda-async-{emu.port}"
    assert not [t.name for t in threading.enumerate() if t.name.startswith(prefix)]
    assert not [pid for pid in workers if psutil.pid_exists(pid)]
    assert finished(recorder, DELIVERY, running) == []
    assert len(started(recorder, DELIVERY, running)) == emu.max_concurrency
    assert len(started(recorder, DELIVERY, retrying)) == 1
    assert records_in(emulator, "DeliveryDeadLetterQueue", retrying) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]
    assert "asynchronous event(s) dropped: stopping" in "\n".join(
        messages(caplog, "switchboard.lambda.async")
    )
    # After stop, an event is dropped, not run, and says so.
    with caplog.at_level(logging.INFO, logger="switchboard.lambda.async"):
        emu.invoke_event("DeliveryFunction", {"tag": running})
    assert any("dropped: stopping" in m for m in messages(caplog, "switchboard.lambda.async"))


def test_records_to_destinations_lambda_cannot_or_the_emulator_does_not_reach(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A delivery that fails is logged (Lambda's DestinationDeliveryFailures), never raised;
    an event dropped before any attempt has no response in its record."""
    engine, template = emulator.async_invocations, emulator.template
    assert engine is not None and template is not None
    function = template.functions["DeliveryFunction"]
    event = AsyncEvent("DeliveryFunction", "req-1", {"tag": "x"}, time.monotonic())
    invocation_record = record(function, event, "EventAgeExceeded")
    assert "responseContext" not in invocation_record
    assert "responsePayload" not in invocation_record
    assert invocation_record["requestContext"]["approximateInvokeCount"] == 0
    destinations = {
        "SNS": "arn:aws:sns:us-east-1:123456789012:topic",
        "SQS": "arn:aws:sqs:us-east-1:123456789012:somewhere.fifo",
        "Lambda": "arn:aws:lambda:us-east-1:123456789012:function:not-in-the-template",
    }
    with caplog.at_level(logging.WARNING, logger="switchboard.lambda.async"):
        for kind, arn in destinations.items():
            engine.deliver(Destination(kind, arn), invocation_record, function, event)
    logged = messages(caplog, "switchboard.lambda.async")
    assert len(logged) == 3
    assert "SNS destinations are not emulated; record dropped" in logged[0]
    assert "DestinationDeliveryFailures" in logged[1] and "FIFO" in logged[1]
    assert "DestinationDeliveryFailures" in logged[2] and "not-in-the-template" in logged[2]
