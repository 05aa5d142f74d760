"""Lambda's event source mappings of SQS queues: pollers that receive a queue's messages
and invoke a function with batches of them, as Lambda does.

Owns one poller per enabled mapping (infra/template/queue_sources.py): a thread that
long-polls the queue on moto's SQS (ReceiveMessage, `WaitTimeSeconds` at most
`LONG_POLL_SECONDS` so that a stop is prompt, up to min(BatchSize, 10) messages, every
system and message attribute), gathers up to BatchSize messages until
MaximumBatchingWindowInSeconds has passed since the first (at once without a window), and
hands the batch to an invoker thread, which invokes the function synchronously (the
runtime's `invoke`: its REPORT line and logs as for any invocation) with
`{"Records": [...]}` in Lambda's shape (`lambda_record`). Up to ScalingConfig's
MaximumConcurrency batches (else `DEFAULT_CONCURRENCY`; never more than the runtime's
`max_concurrency`) are in flight per mapping; the poller receives no more while all are.

On success the batch's messages are deleted (DeleteMessageBatch); with
ReportBatchItemFailures, all but those the answer's `batchItemFailures[].itemIdentifier`
name (`batch_failures`: an invalid answer, or an identifier that is no message of the
batch, fails the whole batch, as Lambda does). A function error (an exception, a timeout,
a crash) deletes nothing. What is not deleted reappears when its visibility timeout ends
and is received again, ApproximateReceiveCount one higher. Messages that match none of
the mapping's FilterCriteria (moto's EventBridge pattern matcher on the record, its body
parsed when it is a JSON object) are deleted without an invocation, as Lambda does.

SQS, i.e. moto, owns the rest: a message's DelaySeconds (its own, else the queue's) keeps
it from being received before it is due, and the queue's RedrivePolicy moves a message
that a receive finds already received maxReceiveCount times to the dead-letter queue
(moto does both in ReceiveMessage, as SQS does; tests/infra/runtime/test_sqs_sources.py
holds it to that). A delayed message is received within a second of being due: moto's
long poll wakes for a new message at once but looks for due ones only once a second.

`wait_idle` is the test hook: it returns once each poller, in a receive begun after the
call, found its queue empty with nothing gathered or in flight (delayed messages, and
failed ones waiting out their visibility timeout, are not waited for).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config

from infra.runtime.pools import InvokeResult, LambdaRuntime
from infra.template.queue_sources import QueueSource

log = logging.getLogger("switchboard.lambda.sqs")

LONG_POLL_SECONDS = 1  # ReceiveMessage's WaitTimeSeconds: how long a stop may wait on one
RECEIVE_LIMIT = 10  # SQS's MaxNumberOfMessages
DELETE_LIMIT = 10  # entries of one DeleteMessageBatch
DEFAULT_CONCURRENCY = 5  # batches in flight per mapping (Lambda starts with five pollers)
ERROR_BACKOFF = 0.5  # after a failed ReceiveMessage
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
# The system attributes of a record, in the order Lambda's events list them.
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "DeadLetterQueueSourceArn",
)


def _b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as boto3 parses it -> as Lambda's record spells it (binaries
    in base64, both list fields always present)."""
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = _b64(value["BinaryValue"])
    out["stringListValues"] = list(value.get("StringListValues") or [])
    out["binaryListValues"] = [_b64(v) for v in value.get("BinaryListValues") or []]
    out["dataType"] = value["DataType"]
    return out


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A ReceiveMessage message (as boto3 parses it) -> the record of Lambda's event."""
    attributes = message.get("Attributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {k: attributes[k] for k in RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["md5OfBody"] = message.get("MD5OfBody")
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = region
    return record


def batch_failures(result: InvokeResult, records: list[dict[str, Any]]) -> set[str] | None:
    """What a ReportBatchItemFailures answer says: the ids of the failed messages (empty:
    a complete success, as no, null or empty `batchItemFailures` are), or None, a complete
    failure (an identifier that is empty, null, or names no message of the batch)."""
    payload = result.payload
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if not failures:
        return set()
    if not isinstance(failures, list):
        return None
    ids = {r["messageId"] for r in records}
    found: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in ids:
            return None
        found.add(str(identifier))
    return found


def filter_view(record: dict[str, Any]) -> dict[str, Any]:
    """The record a FilterCriteria pattern is matched against: its body parsed, when it is
    a JSON object."""
    try:
        body = json.loads(record["body"])
    except ValueError:
        return record
    return {**record, "body": body} if isinstance(body, dict) else record


class _Poller:
    """One mapping's receiver and invokers (see the module docstring)."""

    def __init__(self, owner: QueuePollers, source: QueueSource, url: str) -> None:
        from moto.events.models import EventPattern

        self.owner = owner
        self.source = source
        self.url = url
        self.name = source.logical_id
        self.filters: list[Any] = [EventPattern.load(p) for p in source.filters]
        limit = owner.runtime.settings.max_concurrency
        self.concurrency = max(1, min(source.maximum_concurrency or DEFAULT_CONCURRENCY, limit))
        self.slots = threading.Semaphore(self.concurrency)
        self.in_flight = 0
        self.invokers: set[threading.Thread] = set()
        self.synced_at = -1.0  # when the last receive that found the queue drained began
        self.thread = threading.Thread(
            target=self._run, name=f"{owner.name}-{source.logical_id}", daemon=True
        )

    # ---------------------------------------------------------------- receiving
    def _receive(self, count: int, wait: int) -> list[dict[str, Any]] | None:
        """ReceiveMessage once (None: it failed)."""
        try:
            answer = self.owner.client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=count,
                WaitTimeSeconds=wait,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        except Exception as exc:  # noqa: BLE001 - logged; polled again
            if not self.owner.stopping.is_set():
                log.warning("[%s] ReceiveMessage failed (%s); polling on", self.name, exc)
            return None
        return list(answer.get("Messages") or [])

    def _matches(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(f.matches_event(filter_view(record)) for f in self.filters)

    def _gather(self) -> list[dict[str, Any]]:
        """Receive up to BatchSize records, until the batching window has passed since
        the first (at once without one); empty when stopping."""
        source, stopping = self.source, self.owner.stopping
        batch: list[dict[str, Any]] = []
        first = 0.0
        while not stopping.is_set():
            room = source.batch_size - len(batch)
            remaining = first + source.batching_window - time.monotonic()
            if batch and (room <= 0 or remaining <= 0):
                break
            wait = min(LONG_POLL_SECONDS, int(remaining)) if batch else LONG_POLL_SECONDS
            started = time.monotonic()
            messages = self._receive(min(room, RECEIVE_LIMIT), wait)
            if messages is None:
                stopping.wait(ERROR_BACKOFF)
                continue
            if not messages:
                if not batch:
                    self._synced(started)
                elif wait == 0:
                    stopping.wait(min(remaining, 0.05))
                continue
            records = [
                lambda_record(m, source.event_source_arn, self.owner.region) for m in messages
            ]
            kept: list[dict[str, Any]] = []
            dropped: list[dict[str, Any]] = []
            for record in records:
                (kept if self._matches(record) else dropped).append(record)
            if dropped:
                log.info("[%s] %d message(s) match no filter: deleted", self.name, len(dropped))
                self._delete(dropped)
            if kept and not batch:
                first = time.monotonic()
            batch.extend(kept)
            if batch and source.batching_window <= 0:
                break
        return batch

    def _synced(self, started: float) -> None:
        with self.owner.cond:
            if self.in_flight == 0:
                self.synced_at = started
                self.owner.cond.notify_all()

    def _run(self) -> None:
        stopping = self.owner.stopping
        try:
            while not stopping.is_set():
                if not self.slots.acquire(timeout=LONG_POLL_SECONDS):
                    continue
                batch = self._gather()
                if not batch:  # stopping
                    self.slots.release()
                    break
                with self.owner.cond:
                    self.in_flight += 1
                invoker = threading.Thread(
                    target=self._invoke,
                    args=(batch,),
                    name=f"{self.thread.name}-invoke",
                    daemon=True,
                )
                self.invokers.add(invoker)
                invoker.start()
        except Exception:
            log.exception("[%s] the queue poller failed", self.name)
        finally:
            with self.owner.cond:
                self.synced_at = float("inf")  # nothing more will come from this one
                self.owner.cond.notify_all()

    # ---------------------------------------------------------------- invoking
    def _invoke(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._process(batch)
        except Exception:
            log.exception("[%s] a batch of %d message(s) failed to run", self.name, len(batch))
        finally:
            with self.owner.cond:
                self.in_flight -= 1
                self.owner.cond.notify_all()
            self.invokers.discard(threading.current_thread())
            self.slots.release()

    def _process(self, batch: list[dict[str, Any]]) -> None:
        """Invoke the function with the batch, then delete what it processed."""
        source = self.source
        request_id = str(uuid.uuid4())
        try:
            result = self.owner.runtime.invoke(source.function_id, {"Records": batch}, request_id)
        except Exception as exc:  # noqa: BLE001 - the runtime stopped under it
            result = InvokeResult(
                request_id, error={"errorMessage": str(exc), "errorType": "Runtime.Unavailable"}
            )
        if self.owner.stopping.is_set():
            log.info("[%s] batch %s cut short: stopping", self.name, request_id)
            return
        if not result.ok:
            log.info(
                "[%s] batch of %d message(s) failed (%s); they reappear after the "
                "visibility timeout",
                self.name,
                len(batch),
                result.error_message,
            )
            return
        failed: set[str] | None = set()
        if source.report_batch_item_failures:
            failed = batch_failures(result, batch)
        if failed is None:
            log.warning(
                "[%s] batch of %d message(s): invalid batchItemFailures %r; the whole batch "
                "reappears after the visibility timeout",
                self.name,
                len(batch),
                result.payload,
            )
            return
        self._delete([r for r in batch if r["messageId"] not in failed])
        log.info(
            "[%s] batch of %d message(s) processed%s",
            self.name,
            len(batch),
            f"; {len(failed)} reported failed, left to reappear" if failed else "",
        )

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), DELETE_LIMIT):
            chunk = records[start : start + DELETE_LIMIT]
            entries = [
                {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
            ]
            try:
                answer = self.owner.client.delete_message_batch(QueueUrl=self.url, Entries=entries)
            except Exception as exc:  # noqa: BLE001 - they reappear and run again
                log.warning("[%s] DeleteMessageBatch failed: %s", self.name, exc)
                continue
            for failure in answer.get("Failed") or []:
                log.warning(
                    "[%s] message %s not deleted: %s",
                    self.name,
                    chunk[int(failure["Id"])]["messageId"],
                    failure.get("Message") or failure.get("Code"),
                )


class QueuePollers:
    """The enabled SQS mappings of a template, polled (see the module docstring)."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        sources: Iterable[QueueSource],
        urls: dict[str, str],
        *,
        endpoint: str,
        region: str,
        name: str = "sqs-sources",
    ) -> None:
        self.runtime = runtime
        self.sources = list(sources)
        self.urls = urls  # queue ARN -> its URL on the endpoint
        self.endpoint = endpoint
        self.region = region
        self.name = name
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.pollers: list[_Poller] = []
        self.client: Any = None

    def start(self) -> QueuePollers:
        """Start polling every enabled mapping."""
        sources = [s for s in self.sources if s.enabled]
        for source in self.sources:
            if not source.enabled:
                log.info("[%s] disabled; not polled", source.logical_id)
        self.client = boto3.client(
            "sqs",
            endpoint_url=self.endpoint,
            region_name=self.region,
            config=Config(
                retries={"max_attempts": 2},
                max_pool_connections=max(10, len(sources) * (DEFAULT_CONCURRENCY + 1)),
            ),
            **LOCAL_CREDENTIALS,
        )
        for source in sources:
            poller = _Poller(self, source, self.urls[source.event_source_arn])
            self.pollers.append(poller)
            log.info(
                "[%s] polling %s for %s (batches of up to %d, window %gs, %d in flight)",
                source.logical_id,
                source.event_source_arn,
                source.function_id,
                source.batch_size,
                source.batching_window,
                poller.concurrency,
            )
        for poller in self.pollers:
            poller.thread.start()
        return self

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every poller, in a receive begun after this call, found its queue
        empty with nothing gathered or in flight: every message visible at the call has
        been processed (or left to reappear). False if `timeout` passed first."""
        since = time.monotonic()
        with self.cond:
            return self.cond.wait_for(
                lambda: all(p.synced_at >= since for p in self.pollers), timeout=timeout
            )

    def close(self) -> None:
        """Poll no more (a batch in flight ends with the runtime; what it did not delete
        stays in the queue)."""
        self.stopping.set()
        with self.cond:
            self.cond.notify_all()

    def join(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        threads = [p.thread for p in self.pollers]
        threads += [t for p in self.pollers for t in list(p.invokers)]
        for thread in threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive()]
        if alive:
            log.warning("queue poller(s) still running: %s", ", ".join(alive))
        return not alive

    def stop(self, timeout: float = 10.0) -> bool:
        self.close()
        return self.join(timeout)
