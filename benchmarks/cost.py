"""Dollars per million messages sent, at fan-out 1, 10 and 100: API Gateway's messaging
(the unavoidable part) beside Switchboard's own Lambda, DynamoDB and Redis cost.

Counts come from benchmarks.call_counts (measured through the emulator: posts, DynamoDB
calls, Redis round trips, log bytes; the read and write units of message:send computed
from the items it touched). Prices are the list prices below. What is not measured here
is stated: the Lambda duration per invocation (``DurationModel``: by default modelled from
the invocation's measured CPU and the AWS waits its calls imply, ``measured_duration``;
``--documented-duration`` prices docs/deploy.md's assumption) and the ECPUs of one Redis
round trip.

- API Gateway, unavoidable: the inbound message and one post per recipient connection
  (1 + N messages, each under 32 KB). The sender's ack (the route response) is one more
  message: a protocol choice, shown apart.
- Switchboard's own: Lambda requests and GB-seconds, DynamoDB read and write units,
  Redis ECPUs. CloudWatch Logs (the invocation's log lines) are shown apart.
- Target: own cost under 20% of the unavoidable API Gateway cost at fan-out 10.

For contrast, the AWS samples' DynamoDB cost per million messages at 1,000 and 100,000
connected users (benchmarks.aws_sample). Connection minutes are a per-user cost, not a
per-message one (docs/deploy.md, "Per thousand always-connected users").

``rows()``, ``break_even_ms()`` and ``sample_rows()`` return data; ``main()`` prints.
Run: ``python -m benchmarks.cost`` (``--sample-sizes 1000``; ``--lambda-ms-fixed``,
``--lambda-ms-per-recipient``, ``--memory-mb`` to price another duration).
``python -m benchmarks.cost --idle [--users N] [--chats 10 100] [--scale 100]``: what an
idle, always-connected user costs a month instead (benchmarks.idle_cost, a measured idle
hour).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from benchmarks import aws_sample, call_counts
from benchmarks.call_counts import CallCounts

# ---------------------------------------------------------------- list prices, us-east-1
# As written down in docs/deploy.md ("What it costs", November 2026) from the AWS pricing
# pages; not re-checked live by this script.
# https://aws.amazon.com/api-gateway/pricing/ : WebSocket APIs, first 1 billion messages
# a month (messages are metered in 32 KB units, both directions); $0.80 per million beyond.
APIGW_PER_MESSAGE = 1.00 / 1e6
APIGW_PER_CONNECTION_MINUTE = 0.25 / 1e6
# https://aws.amazon.com/lambda/pricing/ : Arm (Graviton2), first 6 billion GB-s a month.
LAMBDA_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1e6
# https://aws.amazon.com/dynamodb/pricing/on-demand/ : on-demand, Standard table class,
# after the November 2024 price cut (write $1.25 -> $0.625, read $0.25 -> $0.125).
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_PER_READ_UNIT = 0.125 / 1e6
# https://aws.amazon.com/elasticache/pricing/ : ElastiCache Serverless for Valkey.
VALKEY_PER_ECPU = 0.0023 / 1e6
VALKEY_PER_GB_HOUR = 0.0837  # data stored, 100 MB minimum: a fixed cost, not per message
# https://aws.amazon.com/cloudwatch/pricing/ : Logs, Standard class, data ingested.
LOGS_PER_GB = 0.50

# An ECPU covers a simple command moving up to 1 KB; a Lua script (the rate limiter's
# EVALSHA, presence scripts) costs ECPUs in proportion to its vCPU time. Assumed: 2 per
# round trip. At $0.0023 per million, even 10 would not move a total.
ECPUS_PER_REDIS_ROUND_TRIP = 2
FANOUTS = (1, 10, 100)
TARGET_RATIO = 0.20
TARGET_FANOUT = 10
SAMPLE_SIZES = (1_000, 100_000)
POST = "apigatewaymanagementapi.PostToConnection"
READS = ("dynamodb.GetItem", "dynamodb.Query", "dynamodb.Scan", "dynamodb.BatchGetItem")
WRITES = ("dynamodb.PutItem", "dynamodb.UpdateItem", "dynamodb.DeleteItem")


@dataclass(frozen=True)
class DurationModel:
    """Billed Lambda duration of one message:send: fixed + per recipient, at a memory size."""

    fixed_ms: float
    per_recipient_ms: float
    memory_mb: int
    source: str

    def ms(self, recipients: int) -> float:
        return math.ceil(self.fixed_ms + self.per_recipient_ms * recipients)  # billed per 1 ms


# docs/deploy.md prices a message:send at about 60 ms for one recipient and 100 ms for
# ten, at 512 MB (the template's MemorySize): a straight line through both.
DOCUMENTED_DURATION = DurationModel(
    fixed_ms=60 - 40 / 9,
    per_recipient_ms=40 / 9,
    memory_mb=512,
    source="docs/deploy.md (60 ms at 1 recipient, 100 ms at 10; 512 MB), linear: an "
    "assumption, not measured",
)


# The billed duration modelled from what was measured: the invocation's CPU (cpuMs of its
# log line, on this machine's core) scaled to the share of a vCPU Lambda gives the
# function's memory (1,769 MB buys one vCPU, per the Lambda docs), plus the waits on AWS
# its counted calls imply at typical in-region latencies (DynamoDB "single-digit
# milliseconds"; a Management API post ~20 ms, and the posts of one fan-out go 100 at a
# time, so N <= 100 wait one round). A model, stated as one; CPU is the measured part.
LAMBDA_MB_PER_VCPU = 1769
DYNAMODB_CALL_MS = 6.0
REDIS_ROUND_TRIP_MS = 1.0
POST_ROUND_MS = 20.0


def measured_duration(counts: CallCounts, memory_mb: int = 512) -> DurationModel:
    """fixed + per-recipient billed ms from message:send's measured CPU at fan-out 1 and 10."""
    one, ten = counts.at("message:send", 1), counts.at("message:send", 10)
    if one.cpu_ms is None or ten.cpu_ms is None:
        return DOCUMENTED_DURATION
    per_recipient_cpu = max(0.0, (ten.cpu_ms - one.cpu_ms) / 9)
    fixed_cpu = max(0.0, one.cpu_ms - per_recipient_cpu)
    share = min(1.0, memory_mb / LAMBDA_MB_PER_VCPU)
    waits = (
        one.count("dynamodb.") * DYNAMODB_CALL_MS
        + one.count("redis.") * REDIS_ROUND_TRIP_MS
        + POST_ROUND_MS
    )
    return DurationModel(
        fixed_ms=fixed_cpu / share + waits,
        per_recipient_ms=per_recipient_cpu / share,
        memory_mb=memory_mb,
        source=(
            f"modelled: measured CPU {one.cpu_ms:.1f} ms (N=1) and {ten.cpu_ms:.1f} ms "
            f"(N=10) / {share:.2f} vCPU at {memory_mb} MB, + {waits:.0f} ms of AWS waits"
        ),
    )


@dataclass
class CostRow:
    """Dollars per million message:send at one fan-out, and the counts they come from."""

    recipients: int
    posts: int  # measured
    lambda_invocations: int
    lambda_ms: float
    memory_mb: int
    read_units: float
    write_units: float
    redis_round_trips: int
    log_bytes: int | None
    emulator_ms: float | None  # the emulator's REPORT duration (local moto): reference only
    apigw_unavoidable: float  # (1 inbound + N posts) messages
    apigw_ack: float
    lambda_requests: float
    lambda_duration: float
    dynamodb_reads: float
    dynamodb_writes: float
    redis: float
    logs: float

    @property
    def own(self) -> float:
        """Switchboard's own cost: Lambda, DynamoDB, Redis."""
        return (
            self.lambda_requests
            + self.lambda_duration
            + self.dynamodb_reads
            + self.dynamodb_writes
            + self.redis
        )

    @property
    def ratio(self) -> float:
        return self.own / self.apigw_unavoidable

    @property
    def ratio_with_logs(self) -> float:
        return (self.own + self.logs) / self.apigw_unavoidable

    @property
    def total(self) -> float:
        return self.apigw_unavoidable + self.apigw_ack + self.own + self.logs


def _units(counts: CallCounts, recipients: int) -> tuple[float, float]:
    """Read and write units of one message:send: the room Query and the Put as computed
    from the items they touched; any other DynamoDB call it made at 1 unit."""
    send = counts.at("message:send", recipients)
    units = counts.sends[recipients]
    calls = dict(send.calls or {})
    queries = calls.pop("dynamodb.Query", 0)
    puts = calls.pop("dynamodb.PutItem", 0)
    reads = (units.read_units if queries else 0.0) + max(0, queries - 1)
    reads += sum(calls.get(name, 0) for name in READS)
    writes = float(units.write_units if puts else 0) + max(0, puts - 1)
    writes += sum(calls.get(name, 0) for name in WRITES)
    return reads, writes


def rows(
    counts: CallCounts,
    fanouts: Sequence[int] = FANOUTS,
    duration: DurationModel = DOCUMENTED_DURATION,
) -> list[CostRow]:
    """Cost per million message:send at each fan-out, from measured counts."""
    result = []
    for n in fanouts:
        send = counts.at("message:send", n)
        if send.calls is None:
            raise RuntimeError(f"message:send at fan-out {n} logged no invocation line")
        reads, writes = _units(counts, n)
        ms = duration.ms(n)
        gb_seconds = duration.memory_mb / 1024 * ms / 1000
        redis = send.count("redis.")
        million = 1e6
        result.append(
            CostRow(
                recipients=n,
                posts=send.posts,
                lambda_invocations=1,
                lambda_ms=ms,
                memory_mb=duration.memory_mb,
                read_units=reads,
                write_units=writes,
                redis_round_trips=redis,
                log_bytes=send.log_bytes,
                emulator_ms=send.duration_ms,
                apigw_unavoidable=million * (1 + send.posts) * APIGW_PER_MESSAGE,
                apigw_ack=million * APIGW_PER_MESSAGE,
                lambda_requests=million * LAMBDA_PER_REQUEST,
                lambda_duration=million * gb_seconds * LAMBDA_PER_GB_SECOND,
                dynamodb_reads=million * reads * DYNAMODB_PER_READ_UNIT,
                dynamodb_writes=million * writes * DYNAMODB_PER_WRITE_UNIT,
                redis=million * redis * ECPUS_PER_REDIS_ROUND_TRIP * VALKEY_PER_ECPU,
                logs=million * (send.log_bytes or 0) / 1e9 * LOGS_PER_GB,
            )
        )
    return result


def break_even_ms(row: CostRow, ratio: float = TARGET_RATIO) -> float:
    """The billed Lambda duration (ms, at the row's memory) at which own/API Gateway
    reaches ``ratio``: every other item of the row kept."""
    budget = ratio * row.apigw_unavoidable - (row.own - row.lambda_duration)
    per_ms = 1e6 * row.memory_mb / 1024 / 1000 * LAMBDA_PER_GB_SECOND
    return budget / per_ms


@dataclass
class SampleCostRow:
    """An AWS sample's DynamoDB (and API Gateway) cost per million messages."""

    sample: str
    connections: int
    paginated: bool
    read_units: float
    dynamodb: float
    apigw_messages: int  # inbound + posts, per message
    apigw: float


def sample_rows(runs: Sequence[aws_sample.SampleRun]) -> list[SampleCostRow]:
    result = []
    for run in runs:
        for paginated in (False, True):
            if paginated and not (run.more or run.pages > 1):
                continue
            units = run.full_read_units if paginated else run.read_units
            posts = run.full_posts if paginated else run.posts
            result.append(
                SampleCostRow(
                    sample=run.sample,
                    connections=run.connections,
                    paginated=paginated,
                    read_units=units,
                    dynamodb=1e6 * units * DYNAMODB_PER_READ_UNIT,
                    apigw_messages=1 + posts,
                    apigw=1e6 * (1 + posts) * APIGW_PER_MESSAGE,
                )
            )
    return result


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def print_table(table: list[CostRow], duration: DurationModel) -> None:
    print("Dollars per million message:send, us-east-1 list prices (counts measured in the")
    print(f"emulator; Lambda duration: {duration.source}):")
    labels = [
        ("API Gateway: 1 inbound + N posts (unavoidable)", "apigw_unavoidable"),
        ("API Gateway: the ack (route response)", "apigw_ack"),
        ("Lambda requests", "lambda_requests"),
        ("Lambda duration", "lambda_duration"),
        ("DynamoDB reads", "dynamodb_reads"),
        ("DynamoDB writes", "dynamodb_writes"),
        ("Redis (ElastiCache Serverless ECPUs)", "redis"),
        ("CloudWatch Logs", "logs"),
    ]
    width = 48
    print(f"{'fan-out N':<{width}}" + "".join(f"{row.recipients:>12}" for row in table))
    counts_lines = [
        ("  posts (measured)", [f"{r.posts}" for r in table]),
        ("  Lambda billed ms @ MB", [f"{r.lambda_ms:.0f} @ {r.memory_mb}" for r in table]),
        ("  read units (room Query, consistent)", [f"{r.read_units:g}" for r in table]),
        ("  write units (Put + byTime index)", [f"{r.write_units:g}" for r in table]),
        ("  Redis round trips", [f"{r.redis_round_trips}" for r in table]),
        ("  log bytes per invocation", [f"{r.log_bytes}" for r in table]),
        (
            "  emulator duration ms (reference only)",
            [f"{r.emulator_ms:.0f}" if r.emulator_ms is not None else "-" for r in table],
        ),
    ]
    for label, values in counts_lines:
        print(f"{label:<{width}}" + "".join(f"{v:>12}" for v in values))
    for label, attribute in labels:
        print(f"{label:<{width}}" + "".join(f"{_money(getattr(r, attribute)):>12}" for r in table))
    print(
        f"{'Switchboard own (Lambda + DynamoDB + Redis)':<{width}}"
        + "".join(f"{_money(r.own):>12}" for r in table)
    )
    print(
        f"{'own / unavoidable API Gateway':<{width}}" + "".join(f"{r.ratio:>12.1%}" for r in table)
    )
    print(
        f"{'(own + logs) / unavoidable API Gateway':<{width}}"
        + "".join(f"{r.ratio_with_logs:>12.1%}" for r in table)
    )
    print(
        f"{'total, everything above':<{width}}" + "".join(f"{_money(r.total):>12}" for r in table)
    )
    target = next((r for r in table if r.recipients == TARGET_FANOUT), None)
    if target is not None:
        verdict = "holds" if target.ratio < TARGET_RATIO else "does NOT hold"
        print(
            f"Target own < {TARGET_RATIO:.0%} of API Gateway at fan-out {TARGET_FANOUT}: "
            f"{verdict} ({target.ratio:.1%}). It holds while message:send is billed under "
            f"{break_even_ms(target):.0f} ms at {target.memory_mb} MB."
        )
    print(
        f"Not per message: connection minutes ${APIGW_PER_CONNECTION_MINUTE * 1e6:.2f} per "
        f"million; Valkey data ${VALKEY_PER_GB_HOUR} per GB-hour (100 MB minimum)."
    )


def print_samples(runs: Sequence[aws_sample.SampleRun]) -> None:
    samples = sample_rows(runs)
    print()
    print("For contrast, the AWS samples' pattern per million messages (DynamoDB: one Scan")
    print("page as published, or every page; API Gateway: every connection gets each post):")
    print(
        f"  {'sample':<27} {'users':>8} {'Scan':<10} {'RRU/msg':>8} {'DynamoDB':>11} "
        f"{'API GW msgs/msg':>15} {'API Gateway':>14}"
    )
    for s in samples:
        print(
            f"  {s.sample:<27} {s.connections:>8,} "
            f"{'paginated' if s.paginated else 'published':<10} {s.read_units:>8,.1f} "
            f"{_money(s.dynamodb):>11} {s.apigw_messages:>15,} {_money(s.apigw):>14}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    args_list = list(argv) if argv is not None else sys.argv[1:]
    if "--idle" in args_list:
        from benchmarks import idle_cost

        args_list.remove("--idle")
        idle_cost.main(args_list)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--idle", action="store_true", help="an idle user's monthly cost (benchmarks.idle_cost)"
    )
    parser.add_argument("--sample-sizes", type=int, nargs="*", default=list(SAMPLE_SIZES))
    parser.add_argument("--lambda-ms-fixed", type=float, help="price this duration instead")
    parser.add_argument("--lambda-ms-per-recipient", type=float, default=0.0)
    parser.add_argument("--memory-mb", type=int, default=DOCUMENTED_DURATION.memory_mb)
    parser.add_argument(
        "--documented-duration", action="store_true", help="docs/deploy.md's assumed duration"
    )
    args = parser.parse_args(args_list)
    started = time.perf_counter()
    # The samples (moto) and the emulator are independent: run them side by side.
    with ThreadPoolExecutor(2) as pool:
        sample_runs = pool.submit(aws_sample.run, args.sample_sizes) if args.sample_sizes else None
        counts = call_counts.measure(FANOUTS)
        runs = sample_runs.result() if sample_runs is not None else []
    if args.lambda_ms_fixed is not None:
        duration = DurationModel(
            args.lambda_ms_fixed, args.lambda_ms_per_recipient, args.memory_mb, "command line"
        )
    elif args.documented_duration:
        duration = DOCUMENTED_DURATION
    else:
        duration = measured_duration(counts, args.memory_mb)
    print_table(rows(counts, FANOUTS, duration), duration)
    if runs:
        print_samples(runs)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
