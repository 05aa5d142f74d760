"""The message path of AWS's published WebSocket chat samples, measured against moto, beside
Switchboard's message:send in a chat of ten users (from benchmarks.call_counts).

Two samples, their ``sendmessage`` translated to Python and boto3 with the same logic,
table key and attribute names:

- ``aws-samples/simple-websockets-chat-app`` (``sendmessage/app.js``, the sample the
  API Gateway WebSocket documentation points to): one Scan of the connections table
  (``ProjectionExpression: connectionId``), then a PostToConnection to every item, the
  sender's own connection included. Its connections table holds ``{connectionId}``.
- ``awsdocs/aws-doc-sdk-examples`` (``python/cross_service/apigateway_websocket_chat/
  lambda_chat.py``): a GetItem of the sender's record (for its ``user_name``), one Scan
  (``ProjectionExpression: connection_id``), then a post to every other connection. Its
  table holds ``{connection_id, user_name}``.

Neither follows ``LastEvaluatedKey``: a Scan returns at most 1 MB, so past roughly
35,000 connections the published code silently skips the rest. Each sample is run as
published; then the script continues the Scan from where the sample stopped, to measure
what a paginated version (every connection reached) would cost.

Counting: botocore ``before-call`` hooks on the DynamoDB and Management API clients. The
Management API is stubbed inside botocore (the hook answers 200; nothing goes over the
network). moto returns a constant for ``ReturnConsumedCapacity``, so read units are
computed from the items' sizes by DynamoDB's rules (benchmarks.capacity): an eventually
consistent Scan (the samples' default) costs half a unit per 4 KB of items read per page,
whatever it projects. moto does cut Scan pages, at 1,000,000 bytes of its own size
estimate; pages by DynamoDB's 1 MB (2**20 bytes) rule are computed beside them.

``run()`` and ``compare()`` return the data; ``main()`` prints it.
Run: ``python -m benchmarks.aws_sample`` (``--sizes 10 1000``, ``--no-switchboard``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from benchmarks import call_counts, capacity
from benchmarks.call_counts import CallCounts
from infra.services.aws import LOCAL_CREDENTIALS, MotoDynamoDB

REGION = "us-east-1"
SIZES = (10, 1_000, 100_000)
SWITCHBOARD_CHAT = 10  # users in the Switchboard chat compared against: 9 recipients
ENDPOINT = "https://abcdef1234.execute-api.us-east-1.amazonaws.com/production"
BATCH = 25  # BatchWriteItem's maximum


@dataclass(frozen=True)
class Sample:
    name: str
    source: str
    key: str  # the connections table's partition key
    name_attribute: str | None  # the user's name stored beside the connection id
    posts_to_sender: bool
    handler: Callable[[Any, BaseClient, dict[str, Any]], dict[str, Any]]


# ------------------------------------------------------------------ the samples' code
def simple_websockets_chat_app(table: Any, management: BaseClient, event: dict[str, Any]) -> dict:
    """aws-samples/simple-websockets-chat-app sendmessage/app.js, in Python."""
    try:
        connection_data = table.scan(ProjectionExpression="connectionId")
    except ClientError as error:
        return {"statusCode": 500, "body": str(error)}
    post_data = json.loads(event["body"])["data"]
    for item in connection_data["Items"]:  # the sample posts concurrently (Promise.all)
        try:
            management.post_to_connection(ConnectionId=item["connectionId"], Data=post_data)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] != 410:
                return {"statusCode": 500, "body": str(error)}
            # As published: deletes the *sender's* record, not the gone connection's.
            table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Data sent."}


def aws_doc_sdk_examples(table: Any, management: BaseClient, event: dict[str, Any]) -> dict:
    """awsdocs/aws-doc-sdk-examples apigateway_websocket_chat lambda_chat.py handle_message."""
    connection_id = event["requestContext"]["connectionId"]
    body = json.loads(event.get("body") or '{"msg": ""}')
    status_code = 200
    user_name = "guest"
    with suppress(ClientError):  # as published: keep "guest" if the lookup fails
        user_name = table.get_item(Key={"connection_id": connection_id})["Item"]["user_name"]
    connection_ids = []
    try:
        scan_response = table.scan(ProjectionExpression="connection_id")
        connection_ids = [item["connection_id"] for item in scan_response["Items"]]
    except ClientError:
        status_code = 404
    message = f"{user_name}: {body['msg']}".encode()
    for other in connection_ids:
        try:
            if other != connection_id:
                management.post_to_connection(Data=message, ConnectionId=other)
        except management.exceptions.GoneException:  # type: ignore[attr-defined]
            table.delete_item(Key={"connection_id": other})
        except ClientError:
            pass
    return {"statusCode": status_code}


SAMPLES = (
    Sample(
        "simple-websockets-chat-app",
        "aws-samples/simple-websockets-chat-app sendmessage/app.js",
        "connectionId",
        None,
        True,
        simple_websockets_chat_app,
    ),
    Sample(
        "aws-doc-sdk-examples",
        "awsdocs/aws-doc-sdk-examples python/cross_service/apigateway_websocket_chat",
        "connection_id",
        "user_name",
        False,
        aws_doc_sdk_examples,
    ),
)


# ------------------------------------------------------------------ measuring
@dataclass
class SampleRun:
    """One message sent through a sample with ``connections`` connected users."""

    sample: str
    connections: int
    item_bytes: float  # mean size of a connection item
    table_bytes: int
    # As published (one Scan page):
    calls: dict[str, int]  # DynamoDB and Management API calls, counted by botocore hooks
    reached: int  # connection ids the one Scan returned (moto's page)
    more: bool  # moto answered with a LastEvaluatedKey: it enforces the page limit
    posts: int
    read_units: float  # GetItem + the Scan's first page, by DynamoDB's rules
    # Paginated (every connection reached):
    pages: int  # Scan pages by DynamoDB's 1 MB rule
    first_page_items: int  # items in the first page by DynamoDB's rule
    full_read_units: float
    full_posts: int
    full_dynamodb_calls: int
    seconds: float  # the handler's wall time in this process (boto3 + local moto)
    fill_seconds: float  # BatchWriteItem of all the table's connections (4 writers)

    @property
    def dynamodb_calls(self) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith("dynamodb."))


class _Recorder:
    """Counts the calls of the clients it is attached to, and what each Scan returned."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.calls: Counter[str] = Counter()
        self.scans: list[tuple[list[str], bool]] = []  # (ids returned, more pages?)
        self.gets: list[str] = []

    def count(self, model: Any, params: Any = None, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1
        if model.name == "GetItem" and params:  # params: the serialized request
            self.gets.append(json.loads(params["body"])["Key"][self.key]["S"])

    def scanned(self, parsed: dict[str, Any], **_: Any) -> None:
        ids = []
        for item in parsed.get("Items", []):
            value = item[self.key]
            ids.append(value["S"] if isinstance(value, dict) else value)
        self.scans.append((ids, "LastEvaluatedKey" in parsed))

    def accept(self, model: Any, **kwargs: Any) -> tuple[AWSResponse, dict[str, Any]]:
        """Count a Management API call and answer it 200 without sending it."""
        self.count(model, **kwargs)
        return AWSResponse(ENDPOINT, 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}


def _connection_ids(count: int, seed: int) -> list[str]:
    """Ids shaped like API Gateway's (16 characters, e.g. ``L0SM9cOFvHcCIhw=``)."""
    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return ["".join(rng.choices(alphabet, k=15)) + "=" for _ in range(count)]


class _Table:
    """One sample's connections table in moto, filled up to a number of connections."""

    def __init__(self, endpoint: str, sample: Sample, seed: int) -> None:
        # A session per table: boto3's default session is not safe to make clients
        # from in several threads at once.
        self.session = boto3.session.Session(region_name=REGION, **LOCAL_CREDENTIALS)
        self.sample = sample
        self.seed = seed
        self.name = f"sample-{sample.name}"
        self.client: Any = self.session.client("dynamodb", endpoint_url=endpoint)
        self.client.create_table(
            TableName=self.name,
            KeySchema=[{"AttributeName": sample.key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": sample.key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.endpoint = endpoint
        self.ids: list[str] = []
        self.sizes: dict[str, int] = {}

    def item(self, index: int, connection_id: str) -> dict[str, dict[str, str]]:
        item = {self.sample.key: {"S": connection_id}}
        if self.sample.name_attribute:
            item[self.sample.name_attribute] = {"S": f"user{index}"}
        return item

    def fill(self, count: int) -> None:
        """BatchWriteItem up to ``count`` connections (4 writers: moto is the bottleneck)."""
        start = len(self.ids)
        new_ids = _connection_ids(count, self.seed)[start:]
        items = [self.item(start + i, cid) for i, cid in enumerate(new_ids)]

        def write(chunk: list[dict[str, Any]]) -> None:
            requests = [{"PutRequest": {"Item": item}} for item in chunk]
            while requests:
                left = self.client.batch_write_item(RequestItems={self.name: requests})
                requests = left.get("UnprocessedItems", {}).get(self.name, [])

        chunks = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(write, chunks))
        self.ids.extend(new_ids)
        for item in items:
            self.sizes[item[self.sample.key]["S"]] = capacity.item_size(item)


def _management(session: boto3.session.Session, recorder: _Recorder) -> BaseClient:
    client = session.client("apigatewaymanagementapi", endpoint_url=ENDPOINT)
    client.meta.events.register("before-call", recorder.accept)
    return client


def _send_one(table: _Table, fill_seconds: float) -> SampleRun:
    sample = table.sample
    recorder = _Recorder(sample.key)
    resource = table.session.resource("dynamodb", endpoint_url=table.endpoint)
    handle = resource.Table(table.name)
    events = handle.meta.client.meta.events
    events.register("before-call.dynamodb", recorder.count)
    events.register("after-call.dynamodb.Scan", recorder.scanned)
    management = _management(table.session, recorder)
    sender = table.ids[0]
    event = {
        "requestContext": {"connectionId": sender, "routeKey": "sendmessage"},
        "body": json.dumps({"action": "sendmessage", "data": "hello", "msg": "hello"}),
    }
    started = time.perf_counter()
    response = sample.handler(handle, management, event)
    seconds = time.perf_counter() - started
    if response.get("statusCode") != 200:
        raise RuntimeError(f"{sample.name} answered {response}")
    calls = dict(recorder.calls)
    returned = [i for scan, _ in recorder.scans for i in scan]
    more = any(more for _, more in recorder.scans)
    # A paginated version reads the rest too. Its pages are computed from the items'
    # sizes (known: this script wrote them) rather than scanned again in moto, which
    # restarts from the first item on every page (minutes at 100,000).
    seen = set(returned)
    order = returned + [i for i in table.ids if i not in seen]
    sizes = [table.sizes[i] for i in order]
    page_bytes = capacity.pages(sizes)
    get_units = sum(capacity.read_units(table.sizes[i], consistent=False) for i in recorder.gets)
    scan_units = [capacity.read_units(b, consistent=False) for b in page_bytes]
    published_pages = len(recorder.scans)
    posts = calls.get("apigatewaymanagementapi.PostToConnection", 0)
    return SampleRun(
        sample=sample.name,
        connections=len(table.ids),
        item_bytes=sum(table.sizes.values()) / len(table.sizes),
        table_bytes=sum(table.sizes.values()),
        calls=calls,
        reached=len(returned),
        more=more,
        posts=posts,
        read_units=get_units + sum(scan_units[:published_pages]),
        pages=len(page_bytes),
        first_page_items=_items_in_first_page(sizes),
        full_read_units=get_units + sum(scan_units),
        full_posts=len(table.ids) - (0 if sample.posts_to_sender else 1),
        full_dynamodb_calls=len(recorder.gets) + len(page_bytes),
        seconds=seconds,
        fill_seconds=fill_seconds,
    )


def _items_in_first_page(sizes: Sequence[int]) -> int:
    total = 0
    for count, size in enumerate(sizes):
        if count and total + size > capacity.PAGE_LIMIT_BYTES:
            return count
        total += size
    return len(sizes)


@contextmanager
def _moto() -> Iterator[str]:
    server = MotoDynamoDB()
    server.start()
    try:
        yield server.endpoint
    finally:
        server.stop()


def _run_sample(sample: Sample, seed: int, sizes: Sequence[int]) -> list[SampleRun]:
    with _moto() as endpoint:
        table = _Table(endpoint, sample, seed)
        runs = []
        filled = 0.0
        for size in sorted(sizes):
            started = time.perf_counter()
            table.fill(size)
            filled += time.perf_counter() - started
            runs.append(_send_one(table, filled))
        return runs


def run(sizes: Sequence[int] = SIZES, samples: Sequence[Sample] = SAMPLES) -> list[SampleRun]:
    """Send one message through each sample at each number of connected users (each
    sample in its own moto server, the samples concurrently)."""
    with ThreadPoolExecutor(len(samples)) as pool:
        futures = [
            pool.submit(_run_sample, sample, seed, sizes) for seed, sample in enumerate(samples)
        ]
        return [r for future in futures for r in future.result()]


# ------------------------------------------------------------------ the comparison
@dataclass
class ComparisonRow:
    """Per message sent, with ``connections`` users connected."""

    pattern: str
    connections: int
    dynamodb_calls: int
    calls: str  # what they are
    read_units: float
    write_units: int
    posts: int
    note: str = ""


@dataclass
class Comparison:
    rows: list[ComparisonRow] = field(default_factory=list)


def compare(runs: Sequence[SampleRun], counts: CallCounts | None = None) -> Comparison:
    """The samples beside Switchboard's message:send in a chat of ten (9 recipient
    connections), which costs the same whatever the number of connected users.
    ``counts``: call_counts.measure() with fan-out 9 among its fan-outs (the default);
    measured here (fan-out 9 only) when not given."""
    if counts is None:
        counts = call_counts.measure((SWITCHBOARD_CHAT - 1,))
    send = counts.at("message:send", SWITCHBOARD_CHAT - 1)
    units = counts.sends[SWITCHBOARD_CHAT - 1]
    switchboard_calls = {k: v for k, v in (send.calls or {}).items() if k.startswith("dynamodb.")}
    result = Comparison()
    for connections in sorted({run.connections for run in runs}):
        for run in (r for r in runs if r.connections == connections):
            dynamo = {k: v for k, v in run.calls.items() if k.startswith("dynamodb.")}
            missed = run.connections - run.reached
            result.rows.append(
                ComparisonRow(
                    f"{run.sample} (as published)",
                    connections,
                    run.dynamodb_calls,
                    _calls(dynamo),
                    run.read_units,
                    0,
                    run.posts,
                    f"{missed:,} connections never reached" if missed else "",
                )
            )
            if run.more or run.pages > 1:
                result.rows.append(
                    ComparisonRow(
                        f"{run.sample} (paginated)",
                        connections,
                        run.full_dynamodb_calls,
                        f"{run.full_dynamodb_calls - run.pages} GetItem + {run.pages} Scan pages"
                        if run.full_dynamodb_calls > run.pages
                        else f"{run.pages} Scan pages",
                        run.full_read_units,
                        0,
                        run.full_posts,
                    )
                )
        result.rows.append(
            ComparisonRow(
                f"Switchboard, chat of {SWITCHBOARD_CHAT}",
                connections,
                sum(switchboard_calls.values()),
                _calls(switchboard_calls),
                units.read_units,
                units.write_units,
                send.posts,
                "stores the message; the ack is the route response",
            )
        )
    return result


def _calls(calls: dict[str, int]) -> str:
    return " + ".join(f"{n} {name.split('.', 1)[1]}" for name, n in sorted(calls.items()))


def _units(value: float) -> str:
    return f"{value:,.1f}" if value != math.floor(value) else f"{value:,.0f}"


def print_runs(runs: Sequence[SampleRun]) -> None:
    print("AWS sample chat pattern, one message sent (moto; read units by DynamoDB's rules).")
    print("As published (one Scan page):")
    print(
        f"  {'sample':<27} {'users':>7} {'item B':>6}  {'calls (botocore hooks)':<44} "
        f"{'reached':>7} {'RRU':>6}  more pages?"
    )
    for r in runs:
        print(
            f"  {r.sample:<27} {r.connections:>7,} {r.item_bytes:>6.1f}  {_calls(r.calls):<44} "
            f"{r.reached:>7,} {_units(r.read_units):>6}  "
            f"{'yes: LastEvaluatedKey ignored' if r.more else 'no'}"
        )
    print("Paginated (every connection reached; pages by DynamoDB's 1 MB rule):")
    print(f"  {'sample':<27} {'users':>7} {'Scan pages':>10} {'RRU':>6} {'posts':>7}")
    for r in runs:
        print(
            f"  {r.sample:<27} {r.connections:>7,} {r.pages:>10} "
            f"{_units(r.full_read_units):>6} {r.full_posts:>7,}"
        )
    for r in runs:
        if r.more or r.pages > 1:
            print(
                f"  {r.sample} at {r.connections:,}: DynamoDB's first 1 MB page holds "
                f"{r.first_page_items:,} items, moto's {r.reached:,} (1,000,000 bytes of its "
                f"estimate); BatchWriteItem of the table took {r.fill_seconds:.1f} s, "
                f"the handler {r.seconds:.1f} s"
            )


def print_comparison(comparison: Comparison) -> None:
    print()
    print("Per message, beside Switchboard's message:send in a chat of ten:")
    print(
        f"{'pattern':<44} {'users':>7} {'DynamoDB calls':<32} {'RRU':>6} {'WRU':>3} "
        f"{'posts':>7}  note"
    )
    for row in comparison.rows:
        print(
            f"{row.pattern:<44} {row.connections:>7,} {row.calls:<32} "
            f"{_units(row.read_units):>6} {row.write_units:>3} {row.posts:>7,}  {row.note}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--no-switchboard", action="store_true", help="skip the emulator run of Switchboard"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runs = run(args.sizes)
    print_runs(runs)
    if not args.no_switchboard:
        print_comparison(compare(runs))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
