"""Sharded delivery (FanoutInlineLimit / FanoutBatchSize, DeliveryFunction): the sender's
ack, the time to the last delivery, the delivery workers' CPU, a model of the same on AWS
and what it costs, through the emulator with template.yaml's default parameters.

Setup. One ``infra.emulator.Emulator`` (moto + redis-server, as the tests run it; rate
limits raised out of reach, everything else as the template says) whose DynamoDB is
benchmarks/fast_moto.py: the emulator's moto server with Query made proportional to the
page it returns (on the emulator's own moto, ``--stock-moto``, a delivery job's 1 MB
page of a 10,000-entry room takes longer than the functions' 2 s read timeout). A stub of
the Management API (an asyncio TLS server in a subprocess, so its CPU is not counted,
using the emulator's certificate, which the functions trust through AWS_CA_BUNDLE)
answers every POST after 20 ms and records, per ``clientMessageId`` found in the frame,
the posts, the distinct connections and the last arrival. Each room is seeded
straight into the emulator's DynamoDB (BatchWriteItem): ``chat:{id}`` entries with
random API Gateway-like connection ids, one user per connection, and the sender's
membership (a sender beyond the first page read costs the producer one GetItem, as in
AWS). Connection records are not seeded: nothing on this path reads them (the stub never
answers 410). Each ``message:send`` is an API Gateway-shaped ``$default`` event handed
to EventFunction with ``Emulator.invoke_result``; its ``requestContext.domainName`` is
the stub, so ``GatewayEvent.management_endpoint`` (and every delivery job) posts there.

Measured, each send alone on the machine (``async_invocations.wait_idle`` after each):

1. Ack latency: EventFunction's invocation duration (what API Gateway waits for before
   the route response) in rooms of 10, 101 (100 recipients: the largest inline fan-out),
   1,000 and 10,000 connections, interleaved round by round; median and p95. The
   producer's first-page Query is also timed alone: moto sorts the whole partition on
   every Query (DynamoDB reads a page by key), an emulator cost inside the ack.
2. Time to last delivery: from just before the invocation to the stub's last arrival
   (one monotonic clock), the DeliveryFunction invocations (their JSON log lines), and
   the workers' CPU (``cpuMs`` of those lines, summed) per recipient, beside the inline
   path's marginal CPU per recipient: EventFunction's ``cpuMs`` at 100 recipients minus
   at 9, over 91, in the same run.
3. A model of the time to the last of 100,000 recipients on AWS (``aws_model``): the
   delivery tree walked job by job as shared/delivery builds it (a 1 MB page, then the
   ranges rooms.ranges_after cuts, a range's next page, batches; sixteen Invokes at a
   time), with the measured CPU (per post in batch jobs, per entry read in room jobs)
   scaled to the vCPU share of 512 MB and Lambda's documented scaling; the critical path
   is printed, and every assumption is named in ``Assumptions``.
4. Dollars per million messages (``cost_rows``): Lambda requests and GB-seconds of the
   producer and the delivery workers (durations modelled the same way from what each
   invocation measured and called), DynamoDB reads of the room pages (by DynamoDB's
   rules, benchmarks.capacity) and the message's write, Redis; beside API Gateway's
   1 inbound + N outgoing messages (cost.py's list prices).

Run: ``python -m benchmarks.sharded`` (``--sizes``, ``--ack-sizes``, ``--repeats``;
about ten minutes on two cores, seeding 100,000 entries included).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import http.client
import json
import logging
import math
import os
import random
import ssl
import statistics
import string
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from benchmarks import capacity, cost
from benchmarks.fast_moto import FastMoto

ROOT = Path(__file__).resolve().parents[1]
ACK_SIZES = (10, 1_000, 10_000)  # connections in the room, the sender's included
SIZES = (1_000, 10_000, 100_000)
INLINE_ROOM = 101  # 100 recipients: the largest fan-out FanoutInlineLimit=100 keeps inline
MODEL_RECIPIENTS = 100_000
REPEATS = 30
LARGE_REPEATS = 2
WARM_UP_SENDS = 2
DELAY_SECONDS = 0.020
SEED_BUDGET_SECONDS = 600.0
IDLE_TIMEOUT_SECONDS = 1800.0
ACK_TARGET = 2.0
CPU_TARGET = 1.2
MODEL_TARGET_S = 3.0
COST_TARGET = 0.05
RATE_LIMITS = "message=1000000/100000"  # out of reach: one sender sends every message
_ID_ALPHABET = string.ascii_letters + string.digits  # API Gateway's ids: 15 of these + "="

# ---------------------------------------------------------------- the Management API stub


@dataclass
class _Tally:
    posts: int = 0
    ids: set[bytes] = field(default_factory=set)
    last: float = 0.0


def _tag_of(body: bytes) -> str:
    start = body.find(b'"clientMessageId":"')
    if start < 0:
        return ""
    start += len(b'"clientMessageId":"')
    return body[start : body.find(b'"', start)].decode()


async def _stub_main(cert: str, key: str, delay: float) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tallies: dict[str, _Tally] = {}
    empty = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, _, headers = head.partition(b"\r\n")
                method, path, _ = request_line.split(b" ", 2)
                length = 0
                for line in headers.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                if method == b"GET" and path.startswith(b"/_stats/"):
                    tally = tallies.pop(path[len(b"/_stats/") :].decode(), _Tally())
                    counts = {"posts": tally.posts, "unique": len(tally.ids), "last": tally.last}
                    answer = json.dumps(counts).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer))
                    writer.write(answer)
                    continue
                now = time.monotonic()  # CLOCK_MONOTONIC: the same clock as the benchmark's
                tally = tallies.setdefault(_tag_of(body), _Tally())
                tally.posts += 1
                tally.ids.add(path.rsplit(b"/", 1)[-1])
                tally.last = now
                await asyncio.sleep(delay)
                writer.write(empty)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError, ValueError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context, backlog=2048)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


@dataclass
class Stub:
    """The stub's address and a way to read (and forget) what one message's posts did."""

    port: int
    cafile: str

    @property
    def domain_name(self) -> str:
        return f"127.0.0.1:{self.port}"

    def tally(self, tag: str) -> dict[str, Any]:
        context = ssl.create_default_context(cafile=self.cafile)
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context)
        try:
            connection.request("GET", f"/_stats/{quote(tag)}")
            return dict(json.loads(connection.getresponse().read()))
        finally:
            connection.close()


@contextmanager
def stub(cert: str, key: str, delay: float = DELAY_SECONDS) -> Iterator[Stub]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.sharded", "--stub", cert, key, str(delay)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        yield Stub(int(proc.stdout.readline()), cert)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- the functions' log lines


class _Lines(logging.Handler):
    """What the functions' workers write (``[Function] text``), in order."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name != "switchboard.lambda":  # not the emulator's own (async) records
            return
        function, _, text = record.getMessage().partition("] ")
        with self._lock:
            self.lines.append((function.lstrip("["), text))

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.lines[mark:]

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)


def _invocation(text: str) -> dict[str, Any] | None:
    start = text.find('{"level"')
    if start < 0:
        return None
    try:
        line = json.loads(text[start:])
    except ValueError:
        return None
    return line if line.get("msg") == "invocation" else None


# ---------------------------------------------------------------- rooms


@dataclass
class Room:
    """A seeded chat room: its entries' ids (sorted) and DynamoDB sizes, and the sender."""

    chat_id: str
    ids: list[str]
    sizes: list[int]
    sender: str
    sender_user: str
    seed_s: float

    @property
    def size(self) -> int:
        return len(self.ids)


def _entry(chat_id: str, connection_id: str, user_id: str, expires: int) -> dict[str, Any]:
    return {
        "room": {"S": f"chat:{chat_id}"},
        "connectionId": {"S": connection_id},
        "userId": {"S": user_id},
        "expiresAt": {"N": str(expires)},
    }


def connection_ids(size: int, seed: int) -> list[str]:
    """``size`` distinct API Gateway-like connection ids (``L0SM9cOFvHcCIhw=``), sorted."""
    rng = random.Random(seed)
    ids: set[str] = set()
    while len(ids) < size:
        ids.add("".join(rng.choice(_ID_ALPHABET) for _ in range(15)) + "=")
    return sorted(ids)


def seed_room(dynamodb: Any, tables: dict[str, str], size: int, seed: int) -> Room:
    rng = random.Random(-seed)
    chat_id = f"bench-{size}-{seed}"
    ordered = connection_ids(size, seed)
    users = {cid: f"{chat_id}-u{i}" for i, cid in enumerate(ordered)}
    expires = int(time.time()) + 6 * 3600
    items = [_entry(chat_id, cid, users[cid], expires) for cid in ordered]
    started = time.perf_counter()

    def write(chunk: list[dict[str, Any]]) -> None:
        request = {tables["RoomsTable"]: [{"PutRequest": {"Item": item}} for item in chunk]}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(write, (items[i : i + 25] for i in range(0, len(items), 25))))
    sender = ordered[rng.randrange(size)]
    dynamodb.put_item(
        TableName=tables["MembersTable"],
        Item={
            "chatId": {"S": chat_id},
            "userId": {"S": users[sender]},
            "role": {"S": "member"},
            "joinedAt": {"N": str(int(time.time() * 1000))},
        },
    )
    return Room(
        chat_id,
        ordered,
        [capacity.item_size(item) for item in items],
        sender,
        users[sender],
        time.perf_counter() - started,
    )


def moto_first_page_ms(dynamodb: Any, table: str, room: Room, limit: int, runs: int = 5) -> float:
    """Median ms of the producer's own Query (first ``limit`` entries) against moto."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "room"},
            ExpressionAttributeValues={":r": {"S": f"chat:{room.chat_id}"}},
            ConsistentRead=True,
            Limit=limit,
        )
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def room_reads(room: Room, first_limit: int, ranges: int, first_page: int = 1_000) -> float:
    """Read units of reading the room as the producer and the delivery jobs do, by
    DynamoDB's rules: the first ``first_limit`` entries; then a page of at most
    ``first_page`` entries (worker.ROOM_FIRST_PAGE); if more is left, ``ranges``
    parallel range Queries (shared/store/rooms.ranges_after), in 1 MB pages."""
    from shared.store import rooms

    first = room.sizes[:first_limit]
    units = capacity.read_units(sum(first), consistent=True)
    rest_ids, rest = room.ids[first_limit:], room.sizes[first_limit:]
    if not rest:
        return units
    page, count = 0, 0  # the first 1 MB page of the rest, as capacity.pages cuts it
    while count < min(len(rest), first_page) and not (
        count and page + rest[count] > capacity.PAGE_LIMIT_BYTES
    ):
        page, count = page + rest[count], count + 1
    units += capacity.read_units(page, consistent=True)
    if count >= len(rest):
        return units
    start = rest_ids[count - 1]
    for low, high in rooms.ranges_after(start, ranges):
        lo = bisect.bisect_right(rest_ids, max(low, start))
        hi = bisect.bisect_right(rest_ids, high)
        for size in capacity.pages(rest[lo:hi]):
            units += capacity.read_units(size, consistent=True)
    return units


# ---------------------------------------------------------------- one message:send


@dataclass
class Send:
    """One message:send and everything it caused, measured."""

    room: int  # connections, the sender's included
    recipients: int
    ack_ms: float  # EventFunction's invocation duration (the emulator's)
    producer: dict[str, Any]  # its invocation line
    delivery: list[dict[str, Any]]  # the DeliveryFunction invocation lines it caused
    log_bytes: int  # both functions' lines, with CloudWatch's 26 bytes per event
    posts: int  # the stub's count, retries included
    delivered: int  # distinct connections the stub heard from
    last_delivery_s: float  # invocation start -> the stub's last arrival
    errors: list[str] = field(default_factory=list)  # what failed delivery invocations logged

    @property
    def worker_cpu_ms(self) -> float:
        return float(sum(line.get("cpuMs", 0.0) for line in self.delivery))

    @property
    def producer_cpu_ms(self) -> float:
        return float(self.producer.get("cpuMs", 0.0))

    @property
    def failed_invocations(self) -> int:
        """Delivery invocations that failed (Lambda retried them, then dead-lettered)."""
        return sum(1 for line in self.delivery if line.get("level") != "INFO")


class _Bench:
    def __init__(self, emu: Any, stub_: Stub, lines: _Lines) -> None:
        from infra.gateway import events

        self.emu = emu
        self.stub = stub_
        self.lines = lines
        self.events = events
        self.count = 0

    def send(self, room: Room) -> Send:
        events = self.events
        self.count += 1
        tag = f"b{self.count}-{room.size}"
        info = events.WebSocketConnectionInfo(
            connection_id=room.sender,
            api_id=self.emu.template.websocket_api.api_id,
            stage=self.emu.stage,
            domain_name=self.stub.domain_name,
            source_ip="127.0.0.1",
            user_agent="benchmarks.sharded",
            headers=[],
            query=[],
            authorizer={"userId": room.sender_user},
        )
        body = {"chatId": room.chat_id, "body": "hello", "clientMessageId": tag}
        frame = json.dumps({"action": "message:send", "requestId": tag, "data": body})
        event = events.message_event(info, "$default", frame)
        mark = self.lines.mark()
        started = time.monotonic()
        result = self.emu.invoke_result("EventFunction", event)
        if not result.ok or '"event":"ack"' not in str(result.payload.get("body")):
            raise RuntimeError(f"message:send failed: {result.error or result.payload}")
        if not self.emu.async_invocations.wait_idle(IDLE_TIMEOUT_SECONDS):
            raise RuntimeError("the delivery invocations did not finish")
        recipients = room.size - 1
        tally = self.stub.tally(tag)
        producer, delivery, log_bytes = self._lines(mark, result.request_id, recipients)
        errors = []
        for function, text in self.lines.since(mark):
            start = text.find('{"level":"ERROR"')
            if function == "DeliveryFunction" and start >= 0:
                with contextlib.suppress(ValueError):
                    line = json.loads(text[start:])
                    errors.append(f"{line.get('errorType')}: {line.get('errorMessage')}"[:120])
        return Send(
            room.size,
            recipients,
            result.duration_ms,
            producer,
            delivery,
            log_bytes,
            int(tally["posts"]),
            int(tally["unique"]),
            float(tally["last"]) - started if tally["posts"] else math.nan,
            errors,
        )

    def _lines(
        self, mark: int, request_id: str, recipients: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
        """The producer's line and the delivery lines (waiting for the relay to catch up:
        every DeliveryFunction START has its invocation line and REPORT)."""
        deadline = time.monotonic() + 10
        while True:
            window = self.lines.since(mark)
            parsed = [(fn, _invocation(text)) for fn, text in window]
            producer = next(
                (line for _, line in parsed if line and line.get("awsRequestId") == request_id),
                None,
            )
            delivery = [line for fn, line in parsed if fn == "DeliveryFunction" and line]
            starts = sum(1 for fn, t in window if fn == "DeliveryFunction" and t[:6] == "START ")
            reports = sum(1 for fn, t in window if fn == "DeliveryFunction" and t[:7] == "REPORT ")
            done = sum(int((line.get("fanout") or {}).get("delivered", 0)) for line in delivery)
            done += int((producer or {}).get("fanout", {}).get("delivered", 0))
            settled = starts == reports == len(delivery) and done >= recipients
            if producer is not None and (settled or time.monotonic() > deadline):
                functions = ("EventFunction", "DeliveryFunction")
                size = sum(len(t.encode()) + 26 for fn, t in window if fn in functions)
                return producer, delivery, size
            time.sleep(0.02)


# ---------------------------------------------------------------- the run


@dataclass
class Figures:
    """Everything measured, by room size (connections)."""

    sends: dict[int, list[Send]]
    rooms: dict[int, Room]
    moto_query_ms: dict[int, float]
    inline_limit: int
    batch_size: int
    concurrency: int  # the emulator's execution environments per function
    skipped: dict[int, str]  # sizes not measured, and why
    import_ms: float  # DeliveryFunction's import time (cold start), this machine
    ack_sizes: tuple[int, ...] = ACK_SIZES

    def median_ack(self, size: int) -> float:
        return statistics.median(s.ack_ms for s in self.sends[size])

    def adjusted_ack(self, size: int) -> float:
        """The median ack less what moto's first-page Query costs over the smallest room's."""
        excess = self.moto_query_ms[size] - self.moto_query_ms[min(self.sends)]
        return self.median_ack(size) - excess

    def p95_ack(self, size: int) -> float:
        return _percentile([s.ack_ms for s in self.sends[size]], 0.95)

    @property
    def inline_cpu_us(self) -> float:
        """Marginal CPU per recipient of an inline fan-out (EventFunction, 9 -> 100)."""
        small, large = min(self.sends), INLINE_ROOM
        a = statistics.median(s.producer_cpu_ms for s in self.sends[small])
        b = statistics.median(s.producer_cpu_ms for s in self.sends[large])
        return (b - a) / (large - small) * 1000

    @property
    def inline_cpu_all_in_us(self) -> float:
        sends = self.sends[INLINE_ROOM]
        return statistics.median(s.producer_cpu_ms / s.recipients for s in sends) * 1000

    def worker_cpu_us(self, size: int) -> float:
        sends = self.sends[size]
        return statistics.median(s.worker_cpu_ms / s.recipients for s in sends) * 1000

    def sharded_sizes(self) -> list[int]:
        return sorted(n for n in self.sends if n - 1 > self.inline_limit)

    @property
    def ack_ratio(self) -> float | None:
        """Median ack of the largest ack room over the smallest's."""
        sizes = [n for n in self.ack_sizes if len(self.sends.get(n, ())) > 0]
        if len(sizes) < 2:
            return None
        return self.median_ack(max(sizes)) / self.median_ack(min(sizes))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _delivery_import_ms() -> float:
    from benchmarks import cold_start

    cwd = cold_start.FUNCTIONS / "delivery"
    cold_start._import_once("app", cwd)  # warms the bytecode caches
    runs = [
        cold_start._import_once("app", cwd)[0]
        + cold_start._lazy_once(cwd, ["shared.delivery.management_api"])
        for _ in range(3)
    ]
    return statistics.median(runs) / 1000


def measure(
    ack_sizes: Sequence[int] = ACK_SIZES,
    sizes: Sequence[int] = SIZES,
    repeats: int = REPEATS,
    large_repeats: int = LARGE_REPEATS,
    seed_budget_s: float = SEED_BUDGET_SECONDS,
    stock_moto: bool = False,
) -> Figures:
    """Run the emulator and the stub, seed the rooms, send, collect (no printing but
    progress lines)."""
    from infra.emulator import REGION, Emulator
    from infra.services.aws import dynamodb_client

    lines = _Lines()
    logger = logging.getLogger("switchboard.lambda")
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    overrides = {"RateLimits": RATE_LIMITS}
    rounds = sorted({*ack_sizes, INLINE_ROOM})
    large = sorted(set(sizes) - set(rounds))
    try:
        with contextlib.ExitStack() as stack:
            fast = None if stock_moto else stack.enter_context(FastMoto()).endpoint
            emu = stack.enter_context(
                Emulator(
                    ROOT / "template.yaml",
                    stage="bench",
                    schedules=False,
                    parameter_overrides=overrides,
                    dynamodb_endpoint=fast,
                )
            )
            assert emu.template is not None and emu.async_invocations is not None
            env = emu.template.functions["EventFunction"].environment
            inline_limit = int(env["FANOUT_INLINE_LIMIT"])
            batch_size = int(env["FANOUT_BATCH_SIZE"])
            tables = {lid: t.name for lid, t in emu.template.tables.items()}
            dynamodb = dynamodb_client(emu.dynamodb_endpoint, REGION)
            rooms: dict[int, Room] = {}
            skipped: dict[int, str] = {}
            for n in sorted({*rounds, *large}):
                rate = sum(r.size for r in rooms.values()) / max(
                    1e-9, sum(r.seed_s for r in rooms.values())
                )
                if rooms and n / rate > seed_budget_s:
                    skipped[n] = f"seeding would take ~{n / rate:.0f} s (> {seed_budget_s:.0f} s)"
                    print(f"  not seeding {n:,}: {skipped[n]}", flush=True)
                    continue
                rooms[n] = seed_room(dynamodb, tables, n, seed=n)
                print(f"  seeded {n:,} entries in {rooms[n].seed_s:.1f} s", flush=True)
            key = str(Path(emu.ca_bundle).with_name("key.pem"))
            with stub(emu.ca_bundle, key) as stub_:
                bench = _Bench(emu, stub_, lines)
                sends: dict[int, list[Send]] = {n: [] for n in rooms}
                for n in rounds:  # cold workers, keep-alive connections, clients
                    for _ in range(WARM_UP_SENDS):
                        bench.send(rooms[n])
                for i in range(repeats):
                    for n in rounds:
                        sends[n].append(bench.send(rooms[n]))
                    print(f"  round {i + 1}/{repeats} done", flush=True)
                for n in large:
                    if n not in rooms:
                        continue
                    for _ in range(large_repeats):
                        sends[n].append(send := bench.send(rooms[n]))
                        print(f"  {n:,}: last delivery {send.last_delivery_s:.1f} s", flush=True)
            query_ms = {
                n: moto_first_page_ms(dynamodb, tables["RoomsTable"], r, inline_limit + 2)
                for n, r in rooms.items()
            }
            concurrency = emu.max_concurrency
    finally:
        logger.removeHandler(lines)
    return Figures(
        {n: s for n, s in sends.items() if s},
        rooms,
        query_ms,
        inline_limit,
        batch_size,
        concurrency,
        skipped,
        _delivery_import_ms(),
        tuple(sorted(ack_sizes)),
    )


# ---------------------------------------------------------------- AWS: the model


@dataclass(frozen=True)
class Assumptions:
    """What the AWS model takes from documents and assumptions, each named."""

    memory_mb: int = 512  # template.yaml's Globals
    mb_per_vcpu: int = cost.LAMBDA_MB_PER_VCPU  # 1,769 MB buys one vCPU (Lambda docs)
    post_rtt_ms: float = 20.0  # a Management API post's round trip
    in_flight: int = 100  # shared/delivery/management_api.CONCURRENCY
    handover_concurrency: int = 16  # shared/delivery/handover.CONCURRENCY
    ranges: int = 32  # shared/delivery/worker.ROOM_RANGES
    first_page: int = 1_000  # shared/delivery/worker.ROOM_FIRST_PAGE
    dynamodb_call_ms: float = cost.DYNAMODB_CALL_MS  # "single-digit milliseconds"
    redis_ms: float = cost.REDIS_ROUND_TRIP_MS
    # Not documented by AWS; assumed: one Invoke (InvocationType=Event) round trip, and
    # the time from Lambda's 202 to the handler running in a warm environment.
    invoke_ms: float = 20.0
    queue_ms: float = 100.0
    # A new execution environment before the handler's module is imported (microVM and
    # runtime start): not documented; assumed. The import itself is measured.
    environment_start_ms: float = 150.0
    # https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html: "for each
    # function, your concurrency scaling rate is 1,000 execution environment instances
    # every 10 seconds"; https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html:
    # 1,000 concurrent executions per Region by default (raisable).
    scaling_environments: int = 1_000
    scaling_seconds: float = 10.0
    account_concurrency: int = 1_000

    @property
    def share(self) -> float:
        return min(1.0, self.memory_mb / self.mb_per_vcpu)


@dataclass
class Work:
    """Per-unit CPU measured in the emulator (this machine's core), for the model."""

    producer_cpu_ms: float  # a sharded message:send, whole invocation
    post_cpu_us: float  # batch jobs: CPU / posts
    entry_cpu_us: float  # room jobs: CPU / entries read (parsing, filtering, handing over)
    entry_bytes: float  # a room entry's size by DynamoDB's rules
    import_ms: float  # DeliveryFunction's imports


def work_of(figures: Figures) -> Work:
    sizes = figures.sharded_sizes()
    if not sizes:
        raise ValueError("no sharded fan-out was measured")
    lines = [line for n in sizes for s in figures.sends[n] for line in s.delivery]
    batches = [line for line in lines if line.get("job") == "batch"]
    rooms_ = [line for line in lines if line.get("job") == "room"]

    def posts(line: dict[str, Any]) -> int:
        return int((line.get("awsCalls") or {}).get(cost.POST, 0))

    def entries(line: dict[str, Any]) -> int:
        fan = line.get("fanout") or {}
        return sum(int(fan.get(k, 0)) for k in ("delivered", "handedOver", "gone", "failed"))

    post_cpu_us = sum(b["cpuMs"] for b in batches) / max(1, sum(map(posts, batches))) * 1000
    # A room job that found one batch's worth posts it itself: its posts are not reading.
    reading_ms = sum(r["cpuMs"] - posts(r) * post_cpu_us / 1000 for r in rooms_)
    # The producer of a sharded send: in the ack rounds (many sends), else any.
    producers = [s for n in sizes if n in figures.ack_sizes for s in figures.sends[n]]
    producers = producers or [s for n in sizes for s in figures.sends[n]]
    all_sizes = [size for room in figures.rooms.values() for size in room.sizes]
    return Work(
        producer_cpu_ms=statistics.median(s.producer_cpu_ms for s in producers),
        post_cpu_us=post_cpu_us,
        entry_cpu_us=reading_ms / max(1, sum(map(entries, rooms_))) * 1000,
        entry_bytes=statistics.mean(all_sizes),
        import_ms=figures.import_ms,
    )


@dataclass
class Model:
    recipients: int
    cold: bool
    steps: list[tuple[str, float]]  # the critical path, ms each
    invocations: int
    environments_ok: bool

    @property
    def total_s(self) -> float:
        return sum(ms for _, ms in self.steps) / 1000


def _rounds(n: int, width: int) -> int:
    return math.ceil(n / width) if n > 0 else 0


def batch_ms(posts: int, post_cpu_us: float, a: Assumptions) -> float:
    """A batch's duration: CPU-bound at the vCPU share unless the round trips bound it
    (100 in flight: a round trip hides behind the signing of the next posts)."""
    cpu = posts * post_cpu_us / 1000 / a.share
    return max(cpu + a.post_rtt_ms, _rounds(posts, a.in_flight) * a.post_rtt_ms)


Path_ = list[tuple[str, float]]  # the critical path: (step, ms), in order


@dataclass
class _Tree:
    """The delivery tree's timing on AWS, job by job, as shared/delivery builds it."""

    work: Work
    a: Assumptions
    cold: bool
    batch_size: int
    ids: list[str]  # the room's connection ids above the first page, sorted
    page: int  # entries per 1 MB page
    jobs: int = 0

    @property
    def hop(self) -> float:
        start = self.a.environment_start_ms + self.work.import_ms / self.a.share
        return self.a.queue_ms + (start if self.cold else 0.0)

    def hand_over(self, t: float, jobs: list[Callable[[float], tuple[float, Path_]]]) -> Path_:
        """Invoke ``jobs`` in order, ``handover_concurrency`` at a time; the path of the one
        that ends last (each is given the time its handler starts)."""
        self.jobs += len(jobs)
        worst: tuple[float, Path_] = (t, [])
        for i, job in enumerate(jobs):
            invoked = (i // self.a.handover_concurrency + 1) * self.a.invoke_ms
            end, path = job(t + invoked + self.hop)
            if end > worst[0]:
                hop = "async hop" + (" + cold start" if self.cold else "")
                rounds = f"Invoke round {i // self.a.handover_concurrency + 1}"
                worst = (end, [(rounds, invoked), (hop, self.hop), *path])
        return worst[1]

    def batch(self, posts: int) -> Callable[[float], tuple[float, Path_]]:
        def run(t: float) -> tuple[float, Path_]:
            ms = batch_ms(posts, self.work.post_cpu_us, self.a)
            return t + ms, [(f"batch job: {posts} posts", ms)]

        return run

    def room(self, low: int, high: int, split: bool) -> Callable[[float], tuple[float, Path_]]:
        """A room job reading ids[low:high] from ``low``: one page, then (``split``) the
        rest in ranges (rooms.ranges_after), else the next page."""

        def run(t: float) -> tuple[float, Path_]:
            from shared.store import rooms

            page_end = min(high, low + (min(self.page, self.a.first_page) if split else self.page))
            read = self.a.dynamodb_call_ms
            read += (page_end - low) * self.work.entry_cpu_us / 1000 / self.a.share
            step = (f"room job: reads {page_end - low:,} entries", read)
            more = []
            if page_end < high and split:
                start = self.ids[page_end - 1]
                for lo, hi in rooms.ranges_after(start, self.a.ranges):
                    a_ = bisect.bisect_right(self.ids, max(lo, start))
                    more.append(self.room(a_, bisect.bisect_right(self.ids, hi), False))
            elif page_end < high:
                more.append(self.room(page_end, high, False))
            size = page_end - low
            if not more and size <= self.batch_size:  # posts them itself
                end, path = self.batch(size)(t + read)
                return end, [step, *path]
            cuts = range(low, page_end, self.batch_size)
            # worker._read_on hands what is left to read over before the batches.
            jobs = more + [self.batch(min(self.batch_size, page_end - c)) for c in cuts]
            path = [step, *self.hand_over(t + read, jobs)]
            return t + sum(ms for _, ms in path), path

        return run


def aws_model(
    work: Work,
    ids: list[str],
    cold: bool = False,
    inline_limit: int = 100,
    batch_size: int = 250,
    a: Assumptions = Assumptions(),  # noqa: B008 (frozen)
) -> Model:
    """Time to the last recipient of a room of ``ids`` (sorted; the sender's among them)
    on AWS: the producer, then the delivery tree job by job (Invoke rounds, async hops,
    page reads, batches) with the measured CPU at the vCPU share; the critical path."""
    producer = work.producer_cpu_ms / a.share + 3 * a.dynamodb_call_ms + a.redis_ms
    steps: Path_ = [("producer: Query + GetItem + Put + Redis + CPU", producer)]
    recipients = len(ids) - 1
    if recipients <= inline_limit:
        steps.append(("producer posts inline", batch_ms(recipients, work.post_cpu_us, a)))
        return Model(recipients, cold, steps, 0, True)
    first = inline_limit + 2  # the producer's page: a batch job of it, and the rest job
    page = int(capacity.PAGE_LIMIT_BYTES // work.entry_bytes)
    tree = _Tree(work, a, cold, batch_size, ids, page)
    rest = tree.room(first, len(ids), True)
    steps += tree.hand_over(producer, [tree.batch(first - 1), rest])
    limit = min(a.scaling_environments, a.account_concurrency)
    if tree.jobs > limit:  # the scaling rate refills continuously: the rest wait for it
        wait = (tree.jobs - limit) / limit * a.scaling_seconds * 1000
        steps.append((f"{tree.jobs - limit} environments beyond {limit}", wait))
    return Model(recipients, cold, steps, tree.jobs, tree.jobs <= limit)


# ---------------------------------------------------------------- dollars


def invocation_ms(line: dict[str, Any], a: Assumptions = Assumptions()) -> float:  # noqa: B008
    """Modelled billed ms of one invocation from its line: CPU at the vCPU share, the
    posts' rounds overlapping it, plus its serial DynamoDB, Redis and Invoke waits."""
    calls = line.get("awsCalls") or {}
    posts = int(calls.get(cost.POST, 0))
    dynamodb = sum(n for name, n in calls.items() if name.startswith("dynamodb."))
    redis = sum(n for name, n in calls.items() if name.startswith("redis."))
    invokes = int(calls.get("lambda.Invoke", 0))
    cpu = float(line.get("cpuMs", 0.0)) / a.share
    busy = max(cpu + a.post_rtt_ms, _rounds(posts, a.in_flight) * a.post_rtt_ms) if posts else cpu
    waits = dynamodb * a.dynamodb_call_ms + redis * a.redis_ms
    return math.ceil(busy + waits + _rounds(invokes, a.handover_concurrency) * a.invoke_ms)


@dataclass
class CostRow:
    room: int
    recipients: int
    invocations: float  # delivery invocations per message (median)
    billed_ms: float  # producer + workers, per message
    read_units: float
    lambda_: float  # $ per million messages
    dynamodb: float
    redis: float
    logs: float  # shown apart
    apigw: float  # 1 inbound + N outgoing

    @property
    def own(self) -> float:
        return self.lambda_ + self.dynamodb + self.redis

    @property
    def ratio(self) -> float:
        return self.own / self.apigw


def cost_rows(figures: Figures, a: Assumptions = Assumptions()) -> list[CostRow]:  # noqa: B008
    rows = []
    for n in sorted(n for n in figures.sends if n in figures.ack_sizes):
        sends, room = figures.sends[n], figures.rooms[n]
        first_limit = figures.inline_limit + 2
        units = room_reads(room, first_limit if n - 1 > figures.inline_limit else n, a.ranges)
        calls = sends[0].producer.get("awsCalls") or {}
        other_reads = sum(v for k, v in calls.items() if k in cost.READS and k != "dynamodb.Query")
        units += other_reads  # the membership GetItem (consistent, under 4 KB)
        writes = 2  # the message: table + byTime index (under 1 KB each)
        billed = statistics.median(
            invocation_ms(s.producer, a) + sum(invocation_ms(d, a) for d in s.delivery)
            for s in sends
        )
        invocations = statistics.median(1 + len(s.delivery) for s in sends)
        gb_s = a.memory_mb / 1024 * billed / 1000
        million = 1e6
        rows.append(
            CostRow(
                room=n,
                recipients=n - 1,
                invocations=invocations - 1,
                billed_ms=billed,
                read_units=units,
                lambda_=million
                * (invocations * cost.LAMBDA_PER_REQUEST + gb_s * cost.LAMBDA_PER_GB_SECOND),
                dynamodb=million
                * (units * cost.DYNAMODB_PER_READ_UNIT + writes * cost.DYNAMODB_PER_WRITE_UNIT),
                redis=million * cost.ECPUS_PER_REDIS_ROUND_TRIP * cost.VALKEY_PER_ECPU,
                logs=million
                * statistics.median(s.log_bytes for s in sends)
                / 1e9
                * cost.LOGS_PER_GB,
                apigw=million * n * cost.APIGW_PER_MESSAGE,  # 1 inbound + (n - 1) posts
            )
        )
    return rows


# ---------------------------------------------------------------- printing


def print_figures(figures: Figures, a: Assumptions = Assumptions()) -> None:  # noqa: B008
    limit = figures.inline_limit
    print(
        f"Sharded delivery through the emulator: FanoutInlineLimit={limit}, "
        f"FanoutBatchSize={figures.batch_size}, {figures.concurrency} environments per "
        f"function, Management API stub answering after {DELAY_SECONDS * 1000:.0f} ms"
    )
    for n, why in figures.skipped.items():
        print(f"  {n:,} not measured: {why}")
    print()
    base = min(figures.sends)
    print("1. Ack latency (EventFunction invocation duration, ms)")
    print(
        f"{'room':>8} {'recipients':>10} {'path':<8} {'n':>3} {'median':>7} {'p95':>7} "
        f"{'vs ' + str(base):>7} {'moto Query':>10} {'adjusted':>8}  producer calls"
    )
    for n in sorted(figures.sends):
        sends = figures.sends[n]
        if len(sends) < 3:
            continue
        calls = sends[0].producer.get("awsCalls") or {}
        text = ", ".join(f"{k.split('.')[-1]} {v}" for k, v in sorted(calls.items()))
        print(
            f"{n:>8,} {n - 1:>10,} {'inline' if n - 1 <= limit else 'sharded':<8} "
            f"{len(sends):>3} {figures.median_ack(n):>7.1f} {figures.p95_ack(n):>7.1f} "
            f"{figures.median_ack(n) / figures.median_ack(base):>6.2f}x "
            f"{figures.moto_query_ms[n]:>10.1f} {figures.adjusted_ack(n):>8.1f}  {text}"
        )
    print(
        "   moto Query: the producer's first-page Query alone against the emulator's DynamoDB,"
        " which sorts the\n   whole partition on every Query (DynamoDB reads a page by key); "
        f"adjusted: the median less moto's\n   excess over the room of {base}."
    )
    print()
    print("2. Time to last delivery and the workers' CPU")
    print(
        f"{'recipients':>10} {'n':>3} {'last s':>7} {'range s':>13} {'invocations':>11} "
        f"{'posts':>8} {'delivered':>9} {'failed':>6} {'worker CPU ms':>13} {'µs/recip.':>9} "
        f"{'vs inline':>9}"
    )
    inline = figures.inline_cpu_us
    for n in figures.sharded_sizes():
        sends = figures.sends[n]
        last = [s.last_delivery_s for s in sends]
        per = figures.worker_cpu_us(n)
        print(
            f"{n - 1:>10,} {len(sends):>3} {statistics.median(last):>7.2f} "
            f"{min(last):>6.2f}-{max(last):<6.2f} "
            f"{statistics.median(len(s.delivery) for s in sends):>11.0f} "
            f"{statistics.median(s.posts for s in sends):>8,.0f} "
            f"{min(s.delivered for s in sends):>9,} "
            f"{sum(s.failed_invocations for s in sends):>6} "
            f"{statistics.median(s.worker_cpu_ms for s in sends):>13,.0f} "
            f"{per:>9.0f} {per / inline:>8.2f}x"
        )
    print(
        f"   inline (EventFunction, {INLINE_ROOM - 1} recipients): {inline:.0f} µs per recipient "
        f"marginal (CPU at 100 less at {base - 1}, over {INLINE_ROOM - base}), "
        f"{figures.inline_cpu_all_in_us:.0f} µs all-in (the whole invocation / 100)"
    )
    print(
        "   delivered: the fewest distinct connections reached in any send (all = recipients); "
        "failed: delivery\n   invocations that failed, over all sends (Lambda retries them)"
    )
    errors = Counter(e for n in figures.sharded_sizes() for s in figures.sends[n] for e in s.errors)
    for error, count in errors.most_common(5):
        print(f"   {count} x {error}")
    print()
    work = work_of(figures)
    print(f"3. Model on AWS: time to the last of {MODEL_RECIPIENTS:,} recipients")
    print(
        f"   measured here (x86 core): producer {work.producer_cpu_ms:.1f} ms CPU, "
        f"{work.post_cpu_us:.0f} µs CPU per post in batch jobs, {work.entry_cpu_us:.1f} µs "
        f"per room entry read in room jobs, entry {work.entry_bytes:.0f} B "
        f"({int(capacity.PAGE_LIMIT_BYTES // work.entry_bytes):,} per 1 MB page), "
        f"DeliveryFunction imports {work.import_ms:.0f} ms"
    )
    print(
        f"   scaled to {a.memory_mb} MB = {a.share:.2f} vCPU; assumed: Invoke {a.invoke_ms:.0f} "
        "ms, "
        f"async queue to handler {a.queue_ms:.0f} ms, new environment {a.environment_start_ms:.0f}"
        f" ms + imports / {a.share:.2f}; DynamoDB {a.dynamodb_call_ms:.0f} ms per call"
    )
    ids = connection_ids(MODEL_RECIPIENTS + 1, seed=MODEL_RECIPIENTS)
    for cold in (False, True):
        model = aws_model(work, ids, cold, limit, figures.batch_size, a)
        met = "met" if model.total_s < MODEL_TARGET_S else "NOT met"
        print(
            f"   {'cold environments' if cold else 'warm environments'}: "
            f"{model.total_s:.2f} s (target < {MODEL_TARGET_S:g} s: {met}); "
            f"{model.invocations} DeliveryFunction invocations, "
            f"{'within' if model.environments_ok else 'BEYOND'} the first "
            f"{a.scaling_environments:,} environments"
        )
        for label, ms in model.steps:
            print(f"      {ms:>7.0f} ms  {label}")
    one_vcpu = dataclasses.replace(a, memory_mb=a.mb_per_vcpu)
    warm_s, cold_s = (
        aws_model(work, ids, c, limit, figures.batch_size, one_vcpu).total_s for c in (False, True)
    )
    print(
        f"   the same at {one_vcpu.memory_mb:,} MB (1 vCPU) for DeliveryFunction and the "
        f"producer: {warm_s:.2f} s warm, {cold_s:.2f} s cold"
    )
    print()
    print("4. Dollars per million messages (us-east-1 list prices, benchmarks/cost.py)")
    rows = cost_rows(figures, a)
    print(
        f"{'room':>8} {'delivery inv.':>13} {'billed ms':>9} {'RRU':>7} {'Lambda':>10} "
        f"{'DynamoDB':>10} {'Redis':>7} {'own':>10} {'API GW':>12} {'own/APIGW':>9} "
        f"{'logs':>9}"
    )
    for r in rows:
        print(
            f"{r.room:>8,} {r.invocations:>13.0f} {r.billed_ms:>9.0f} {r.read_units:>7.0f} "
            f"{r.lambda_:>10.2f} {r.dynamodb:>10.2f} {r.redis:>7.3f} {r.own:>10.2f} "
            f"{r.apigw:>12,.2f} {r.ratio:>9.1%} {r.logs:>9.2f}"
        )
    print(
        "   billed ms: producer + workers, each CPU / vCPU share with the posts' rounds "
        "overlapping it, + DynamoDB,\n   Redis and Invoke waits; API GW: 1 inbound + N "
        "outgoing messages; logs (CloudWatch, apart) not in own"
    )
    print()
    ratio = figures.ack_ratio
    if ratio is not None:
        met = "met" if ratio <= ACK_TARGET else "NOT met"
        largest = max(n for n in figures.ack_sizes if n in figures.sends)
        adjusted = figures.adjusted_ack(largest) / figures.median_ack(base)
        print(
            f"Targets: ack of the largest room / room of {base}: {ratio:.2f}x ({met}, <= 2x; "
            f"{adjusted:.2f}x without moto's excess);"
        )
    worst = max((figures.worker_cpu_us(n) / inline for n in figures.sharded_sizes()), default=0)
    print(f"  worker CPU per recipient / inline: up to {worst:.2f}x (<= {CPU_TARGET}x);")
    big = [r for r in rows if r.recipients >= 999]
    if big:
        print(f"  own cost at >= 1,000: up to {max(r.ratio for r in big):.1%} (< 5%)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--ack-sizes", type=int, nargs="*", default=list(ACK_SIZES))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--large-repeats", type=int, default=LARGE_REPEATS)
    parser.add_argument("--seed-budget", type=float, default=SEED_BUDGET_SECONDS)
    parser.add_argument(
        "--stock-moto", action="store_true", help="the emulator's moto (large rooms time out)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = measure(
        args.ack_sizes,
        args.sizes,
        args.repeats,
        args.large_repeats,
        args.seed_budget,
        args.stock_moto,
    )
    print()
    print_figures(figures)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--stub":
        asyncio.run(_stub_main(sys.argv[2], sys.argv[3], float(sys.argv[4])))
    else:
        os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
        main()
