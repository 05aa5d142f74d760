"""Lambda's event source mappings of DynamoDB streams: pollers that read a table's stream
and invoke a function with batches of its records, as Lambda does.

Owns one poller thread per enabled mapping and shard. Each reads its shard through the
`dynamodbstreams` API (DescribeStream, GetShardIterator, GetRecords; boto3 against the
DynamoDB endpoint, moto's by default) every `poll_interval` seconds, drops the records
that match none of the mapping's FilterCriteria (moto's EventBridge pattern matcher, on
the record as Lambda shapes it), and invokes the function synchronously (the runtime's
`invoke`) with `{"Records": [...]}` in Lambda's shape (`lambda_record`): up to BatchSize
records, once MaximumBatchingWindowInSeconds has passed since the first one arrived (at
once without a window). A shard has one batch in flight at a time, in order.

A failed batch (a function error, or a ReportBatchItemFailures answer naming records) is
retried, from the lowest sequence number reported for a partial failure, after
`retry_delay` times the attempt (capped at a second); with BisectBatchOnFunctionError a
failing batch is halved first (not counted as a retry). Once MaximumRetryAttempts retries
failed (Lambda's default, -1, retries until the record expires, 24 hours: here
`LOCAL_RETRY_CAP`, logged), or a record is older than MaximumRecordAgeInSeconds, the batch
is skipped and its description (`DDBStreamBatchInfo`) sent to the OnFailure destination
(an SQS queue: `senders`). StartingPosition LATEST is where the stream was when `start()`
ran. DynamoDB's stream label is its creation time, so the template's stream ARN
(intrinsics.STREAM_LABEL) is mapped by table to the stream's real ARN, which is what the
records' `eventSourceARN` says. `wait_idle` is the test hook: it returns once every poller
has read its shard to the end after the call, with nothing buffered or in flight.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from infra.runtime.async_invocations import iso_timestamp
from infra.runtime.pools import InvokeResult, LambdaRuntime
from infra.template.reader import LATEST, StreamSource, Table

log = logging.getLogger("switchboard.lambda.streams")

EVENT_VERSION = "1.1"
LOCAL_RETRY_CAP = 10  # retries of a batch whose mapping says -1 (until the record expires)
DEFAULT_POLL_INTERVAL = 0.05
DEFAULT_RETRY_DELAY = 0.1
GET_RECORDS_LIMIT = 1000
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
Sender = Callable[[str, str], Any]  # (destination ARN, message body)


def wire_value(value: dict[str, Any]) -> dict[str, Any]:
    """A typed attribute value as DynamoDB's JSON spells it (boto3 decoded binaries)."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in inner]}
    if kind == "M":
        return {"M": wire_image(inner)}
    if kind == "L":
        return {"L": [wire_value(v) for v in inner]}
    return {kind: inner}


def wire_image(image: dict[str, Any]) -> dict[str, Any]:
    return {name: wire_value(value) for name, value in image.items()}


def lambda_record(raw: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A GetRecords record (as boto3 parses it) -> the record of Lambda's event:
    `eventVersion` 1.1, `ApproximateCreationDateTime` in epoch seconds, binaries in base64,
    the stream's ARN as `eventSourceARN`."""
    stream = raw.get("dynamodb") or {}
    out: dict[str, Any] = {}
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        out["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    for key in ("Keys", "NewImage", "OldImage"):
        if key in stream:
            out[key] = wire_image(stream[key])
    for key in ("SequenceNumber", "SizeBytes", "StreamViewType"):
        if key in stream:
            out[key] = stream[key]
    record: dict[str, Any] = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": out,
        "eventSourceARN": stream_arn,
    }
    if raw.get("userIdentity"):  # a deletion by TTL
        identity = raw["userIdentity"]
        record["userIdentity"] = {"type": identity["Type"], "principalId": identity["PrincipalId"]}
    return record


def failed_sequence(result: InvokeResult, records: list[dict[str, Any]]) -> str | None | bool:
    """What a ReportBatchItemFailures answer says: None (complete success: no, null or
    empty `batchItemFailures`), the lowest failed sequence number, or False (a complete
    failure: an identifier that is empty, null or names no record of the batch)."""
    payload = result.payload
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if not failures:
        return None
    numbers = {r["dynamodb"]["SequenceNumber"] for r in records}
    found = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in numbers:
            return False
        found.append(str(identifier))
    return min(found, key=int)


def _iso_seconds(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class _Poller:
    """One mapping's reader of one shard (see the module docstring)."""

    def __init__(
        self,
        owner: StreamPollers,
        source: StreamSource,
        stream_arn: str,
        shard_id: str,
        iterator: str,
    ) -> None:
        from moto.events.models import EventPattern

        self.owner = owner
        self.source = source
        self.stream_arn = stream_arn
        self.shard_id = shard_id
        self.iterator = iterator
        self.filters: list[Any] = [EventPattern.load(p) for p in source.filters]
        self.buffer: list[dict[str, Any]] = []
        self.first_arrival = 0.0  # time.monotonic() when the oldest buffered record came
        self.last_sequence: str | None = None
        self.synced_at = -1.0  # when the last read that found the shard drained started
        self.name = f"{source.logical_id}/{shard_id}"
        self.thread = threading.Thread(
            target=self._run, name=f"{owner.name}-{source.logical_id}", daemon=True
        )

    # ---------------------------------------------------------------- reading
    def _matches(self, record: dict[str, Any]) -> bool:
        return not self.filters or any(f.matches_event(record) for f in self.filters)

    def _read(self) -> int | None:
        """GetRecords once; returns how many records came (None: the read failed)."""
        limit = min(GET_RECORDS_LIMIT, max(1, self.source.batch_size - len(self.buffer)))
        client = self.owner.client
        try:
            answer = client.get_records(ShardIterator=self.iterator, Limit=limit)
        except Exception as exc:  # noqa: BLE001 - logged; the iterator is taken anew
            if self.owner.stopping.is_set():
                return None
            log.warning("[%s] GetRecords failed (%s); reading on", self.name, exc)
            self._reposition()
            return None
        raw = answer.get("Records") or []
        if raw:
            # Adopt the next iterator only past records: moto keeps every iterator it hands
            # out, and an idle poller asking every 50 ms would grow that table for ever.
            self.iterator = answer.get("NextShardIterator") or self.iterator
        now = time.monotonic()
        for item in raw:
            record = lambda_record(item, self.stream_arn, self.owner.region)
            self.last_sequence = record["dynamodb"].get("SequenceNumber", self.last_sequence)
            if not self._matches(record):
                continue  # filtered out: as good as processed
            if not self.buffer:
                self.first_arrival = now
            self.buffer.append(record)
        return len(raw)

    def _reposition(self) -> None:
        """A new iterator after the last record read (or from the shard's start)."""
        kwargs: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
        if self.last_sequence is not None:
            kwargs = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "SequenceNumber": self.last_sequence,
            }
        try:
            self.iterator = self.owner.client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=self.shard_id, **kwargs
            )["ShardIterator"]
        except Exception as exc:  # noqa: BLE001 - tried again on the next read
            log.warning("[%s] GetShardIterator failed: %s", self.name, exc)

    def _due(self) -> bool:
        if not self.buffer:
            return False
        window = self.source.batching_window
        return (
            window <= 0
            or len(self.buffer) >= self.source.batch_size
            or time.monotonic() - self.first_arrival >= window
        )

    def _run(self) -> None:
        stopping = self.owner.stopping
        try:
            while not stopping.is_set():
                if len(self.buffer) < self.source.batch_size:
                    started = time.monotonic()
                    count = self._read()
                    if count == 0 and not self.buffer:
                        with self.owner.cond:
                            self.synced_at = started
                            self.owner.cond.notify_all()
                    if count:
                        continue  # read on while records come
                if self._due():
                    self._deliver()
                    continue
                stopping.wait(self.owner.poll_interval)
        except Exception:
            log.exception("[%s] the stream poller failed", self.name)
        finally:
            with self.owner.cond:
                self.synced_at = float("inf")  # nothing more will come from this one
                self.owner.cond.notify_all()

    # ---------------------------------------------------------------- invoking
    def _retries_allowed(self) -> int:
        configured = self.source.maximum_retry_attempts
        return LOCAL_RETRY_CAP if configured < 0 else configured

    def _deliver(self) -> None:
        """Invoke the function with the head of the buffer until it is processed (or
        skipped after its retries), as Lambda does for a shard."""
        source, runtime = self.source, self.owner.runtime
        size = min(source.batch_size, len(self.buffer))
        retries = 0
        attempts = 0
        while size and not self.owner.stopping.is_set():
            batch = self.buffer[:size]
            if self._too_old(batch):
                self._discard(batch, "RecordAgeExceeded", attempts, None)
                return
            attempts += 1
            request_id = str(uuid.uuid4())
            try:
                result = runtime.invoke(source.function_id, {"Records": batch}, request_id)
            except Exception as exc:  # noqa: BLE001 - the runtime stopped under it
                result = InvokeResult(
                    request_id, error={"errorMessage": str(exc), "errorType": "Runtime.Unavailable"}
                )
            if self.owner.stopping.is_set():
                return
            outcome: str | None | bool = False
            if result.ok:
                outcome = (
                    failed_sequence(result, batch) if source.report_batch_item_failures else None
                )
            if outcome is None:  # the whole batch succeeded
                del self.buffer[:size]
                log.info("[%s] batch of %d record(s) processed", self.name, len(batch))
                return
            if isinstance(outcome, str):  # partial: resume from the first failure
                done = next(
                    i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] == outcome
                )
                del self.buffer[:done]
                size -= done
                why = f"records from {outcome} failed"
            else:
                error = result.error or {}
                why = (
                    f"{error.get('errorType')}: {error.get('errorMessage')}"
                    if not result.ok
                    else "an invalid batchItemFailures answer"
                )
                if not result.ok and source.bisect_on_error and size > 1:
                    size = (size + 1) // 2
                    log.info("[%s] batch failed (%s); bisected to %d", self.name, why, size)
                    continue
            if retries >= self._retries_allowed():
                if source.maximum_retry_attempts < 0:
                    log.warning(
                        "[%s] %d retries failed; Lambda would retry until the records expire, "
                        "the emulator stops at %d",
                        self.name,
                        retries,
                        LOCAL_RETRY_CAP,
                    )
                self._discard(self.buffer[:size], "RetryAttemptsExhausted", attempts, result)
                return
            retries += 1
            delay = min(1.0, retries * self.owner.retry_delay)
            log.info(
                "[%s] batch of %d failed (%s); retry %d/%d in %gs",
                self.name,
                size,
                why,
                retries,
                self._retries_allowed(),
                delay,
            )
            if self.owner.stopping.wait(delay):
                return

    def _too_old(self, batch: list[dict[str, Any]]) -> bool:
        limit = self.source.maximum_record_age
        created = batch[0]["dynamodb"].get("ApproximateCreationDateTime")
        return limit >= 0 and created is not None and time.time() - created > limit

    def _discard(
        self, batch: list[dict[str, Any]], condition: str, attempts: int, last: InvokeResult | None
    ) -> None:
        """Skip `batch` (dropped from the buffer) and send its description on."""
        del self.buffer[: len(batch)]
        destination = self.source.on_failure
        if destination is None:
            log.warning(
                "[%s] %d record(s) skipped (%s): no on-failure destination",
                self.name,
                len(batch),
                condition,
            )
            return
        body = json.dumps(self.failure_record(batch, condition, attempts, last))
        try:
            sender = self.owner.senders.get(destination.type)
            if sender is None:
                raise KeyError(f"{destination.type} destinations are not emulated")
            sent = sender(destination.arn, body)
        except Exception as exc:  # noqa: BLE001 - logged as Lambda counts it
            log.warning(
                "[%s] %d record(s) skipped (%s); not recorded to %s: %s",
                self.name,
                len(batch),
                condition,
                destination.arn,
                exc,
            )
            return
        log.warning(
            "[%s] %d record(s) skipped (%s); recorded to %s as message %s",
            self.name,
            len(batch),
            condition,
            destination.arn,
            sent,
        )

    def failure_record(
        self, batch: list[dict[str, Any]], condition: str, attempts: int, last: InvokeResult | None
    ) -> dict[str, Any]:
        """What Lambda sends to a stream mapping's on-failure destination."""
        function = self.owner.runtime.functions[self.source.function_id]
        first, last_record = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        out: dict[str, Any] = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": function.arn,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
        }
        if last is not None:
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": LATEST}
            if not last.ok:
                context["functionError"] = "Unhandled"
            out["responseContext"] = context
        out["version"] = "1.0"
        out["timestamp"] = iso_timestamp(time.time())
        out["DDBStreamBatchInfo"] = {
            "shardId": self.shard_id,
            "startSequenceNumber": first.get("SequenceNumber"),
            "endSequenceNumber": last_record.get("SequenceNumber"),
            "approximateArrivalOfFirstRecord": _iso_seconds(
                first.get("ApproximateCreationDateTime")
            ),
            "approximateArrivalOfLastRecord": _iso_seconds(
                last_record.get("ApproximateCreationDateTime")
            ),
            "batchSize": len(batch),
            "streamArn": self.stream_arn,
        }
        return out


class StreamPollers:
    """The enabled stream mappings of a template, polled (see the module docstring)."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        sources: Iterable[StreamSource],
        tables: dict[str, Table],
        *,
        endpoint: str,
        region: str,
        senders: dict[str, Sender] | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        retry_delay: float = DEFAULT_RETRY_DELAY,
        name: str = "dynamodb-streams",
    ) -> None:
        self.runtime = runtime
        self.sources = list(sources)
        self.tables = tables
        self.endpoint = endpoint
        self.region = region
        self.senders: dict[str, Sender] = dict(senders or {})
        self.poll_interval = poll_interval
        self.retry_delay = retry_delay
        self.name = name
        self.cond = threading.Condition()
        self.stopping = threading.Event()
        self.pollers: list[_Poller] = []
        self.stream_arns: dict[str, str] = {}  # the template's stream ARN -> the stream's
        self.client: Any = None

    def _clients(self) -> tuple[Any, Any]:
        kwargs: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region_name": self.region,
            "config": Config(retries={"max_attempts": 2}),
            **LOCAL_CREDENTIALS,
        }
        return boto3.client("dynamodb", **kwargs), boto3.client("dynamodbstreams", **kwargs)

    def start(self) -> StreamPollers:
        """Position every enabled mapping (LATEST: here and now) and start polling."""
        dynamodb, self.client = self._clients()
        for source in self.sources:
            if not source.enabled:
                log.info("[%s] disabled; not polled", source.logical_id)
                continue
            table = self.tables[source.table_id]
            stream_arn = dynamodb.describe_table(TableName=table.name)["Table"].get(
                "LatestStreamArn"
            )
            if not stream_arn:
                log.warning(
                    "[%s] table %s has no stream; not polled", source.logical_id, table.name
                )
                continue
            self.stream_arns[source.event_source_arn] = stream_arn
            shards = self.client.describe_stream(StreamArn=stream_arn)["StreamDescription"][
                "Shards"
            ]
            for shard in shards:
                iterator = self.client.get_shard_iterator(
                    StreamArn=stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType=source.starting_position,
                )["ShardIterator"]
                poller = _Poller(self, source, stream_arn, shard["ShardId"], iterator)
                self.pollers.append(poller)
            log.info(
                "[%s] polling %s for %s (%s)",
                source.logical_id,
                stream_arn,
                source.function_id,
                source.starting_position,
            )
        for poller in self.pollers:
            poller.thread.start()
        return self

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every poller, in a read begun after this call, found its shard
        drained with nothing buffered or in flight: every record written before the call
        has been processed (or filtered out, or skipped). False if `timeout` passed first."""
        since = time.monotonic()
        with self.cond:
            return self.cond.wait_for(
                lambda: all(p.synced_at >= since for p in self.pollers), timeout=timeout
            )

    def close(self) -> None:
        """Poll no more (a batch in flight ends with the runtime; it is not retried)."""
        self.stopping.set()
        with self.cond:
            self.cond.notify_all()

    def join(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        for poller in self.pollers:
            if poller.thread.is_alive():
                poller.thread.join(max(0.0, deadline - time.monotonic()))
        alive = [p.name for p in self.pollers if p.thread.is_alive()]
        if alive:
            log.warning("stream poller(s) still running: %s", ", ".join(alive))
        return not alive

    def stop(self, timeout: float = 10.0) -> bool:
        self.close()
        return self.join(timeout)
