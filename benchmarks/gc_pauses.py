"""Full-GC pauses in a warm container, with and without ``gc.freeze()`` after the first
invocation (as shared/invocation.py's wrapper would call it).

A warm Lambda container keeps everything its first invocation imported and built
(botocore's service models, PynamoDB's, redis-py, the clients and their pools):
some hundreds of thousands of objects that CPython's cyclic collector walks again
at every full (generation 2) collection. ``gc.freeze()`` moves them to the permanent
generation, which no collection walks.

What runs: the event function's handler (functions/event/app.py, loaded as Lambda
loads it) in a fresh interpreter per container, ``INVOCATIONS`` invocations of
``message:send`` from one member of a chat of 10 (one connection each): the rate
limit's Redis script, a room Query and a conditional Put to DynamoDB, 9 posts to the
Management API. DynamoDB is moto's server, Redis a real redis-server and the
Management API the stub of benchmarks/fanout.py, each in its own process, so the
measured interpreter holds only what a function's container holds (the rate limit is
raised so that no invocation is refused; the stub answers plain HTTP, so the event's
Management API endpoint is pointed at it). ``AWS_LAMBDA_FUNCTION_NAME`` is set, as in
Lambda; the ``freeze`` variant calls ``gc.freeze()`` once the first invocation returns.

Measured in each container: every collection's pause by generation (``gc.callbacks``,
``perf_counter`` from its start to its stop), and each invocation's wall time (the
first, cold one left out). ``ROUNDS`` containers of each variant, interleaved, so a
busy machine weighs on both alike. Run: ``python -m benchmarks.gc_pauses``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INVOCATIONS = 2000
ROUNDS = 3
MEMBERS = 10
STAGE = "bench"
VARIANTS = ("off", "freeze")

BASE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "RATE_LIMITS": "message=1000000/1000000",
}
TABLE_ENV = {
    "ConnectionsTable": "CONNECTIONS_TABLE",
    "RoomsTable": "ROOMS_TABLE",
    "ChatsTable": "CHATS_TABLE",
    "MembersTable": "MEMBERS_TABLE",
    "MessagesTable": "MESSAGES_TABLE",
    "UsersTable": "USERS_TABLE",
}


def connection_id(user: int) -> str:
    return f"gc-conn-{user:02d}="


def user_id(user: int) -> str:
    return f"gc-user-{user:02d}"


# ---------------------------------------------------------------- the services


@contextlib.contextmanager
def services() -> Iterator[dict[str, str]]:
    """moto (DynamoDB), redis-server and the Management API stub, each in its own
    process, with the template's tables; yields the functions' environment."""
    from benchmarks.fanout import stub
    from infra.services.aws import MotoDynamoDB, create_tables
    from infra.services.redis_server import LocalRedis
    from infra.template.reader import load_template

    moto, redis = MotoDynamoDB(), LocalRedis()
    moto.start()
    redis.start()
    try:
        with stub(0.0) as management:
            tables = load_template(ROOT / "template.yaml", {"JwtSecretArn": "arn:local"}).tables
            create_tables(moto.endpoint, "us-east-1", tables.values())
            yield {
                **BASE_ENV,
                **{TABLE_ENV[lid]: table.name for lid, table in tables.items()},
                "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
                "REDIS_URL": redis.url,
                "MANAGEMENT_ENDPOINT": management,
                "AWS_LAMBDA_FUNCTION_NAME": "switchboard-EventFunction",
            }
    finally:
        redis.stop()
        moto.stop()


def seed(env: dict[str, str]) -> str:
    """A chat of MEMBERS users, one connection each (rooms joined); its id."""
    os.environ.update(env)
    from shared.store import chats, connections

    chat, _, _ = chats.create_chat(user_id(0), [user_id(i) for i in range(1, MEMBERS)], "gc pauses")
    for i in range(MEMBERS):
        connections.register(connection_id(i), user_id(i), int(time.time() * 1000), None)
    return str(chat.chat_id)


# ---------------------------------------------------------------- one container


def container(variant: str, chat_id: str, invocations: int) -> dict[str, Any]:
    """Run in a fresh interpreter: load the event function, invoke it, time it."""
    spec = importlib.util.spec_from_file_location("app", ROOT / "functions/event/app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    from shared import invocation

    # The stub speaks plain HTTP; the event's endpoint would be https://{domain}/{stage}.
    management = os.environ["MANAGEMENT_ENDPOINT"]
    invocation.GatewayEvent.management_endpoint = property(lambda self: management)  # type: ignore[assignment,method-assign]

    current = [0]
    pauses: list[tuple[int, int, float]] = []  # (invocation, generation, seconds)
    started = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((current[0], info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(on_gc)
    context = SimpleNamespace(aws_request_id="", function_name="switchboard-EventFunction")
    latencies = []
    for n in range(invocations + 1):
        current[0] = n
        body = {
            "action": "message:send",
            "requestId": f"r{n}",
            "data": {"chatId": chat_id, "body": f"message {n}", "clientMessageId": f"{variant}{n}"},
        }
        event = {
            "requestContext": {
                "routeKey": "$default",
                "eventType": "MESSAGE",
                "connectionId": connection_id(0),
                "requestId": f"req-{n}",
                "stage": STAGE,
                "domainName": "gc.example",
                "connectedAt": 1,
                "authorizer": {"userId": user_id(0), "principalId": user_id(0)},
            },
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
        context.aws_request_id = f"aws-{n}"
        begin = time.perf_counter()
        answer = app.handler(event, context)
        latencies.append(time.perf_counter() - begin)
        if n == 0 and variant == "freeze":
            gc.freeze()
        if '"ack"' not in answer.get("body", ""):
            raise RuntimeError(f"message:send failed: {answer}")
    gc.callbacks.remove(on_gc)
    begin = time.perf_counter()
    gc.collect()  # what a full collection would cost now, whenever one comes
    forced = time.perf_counter() - begin
    return {
        "latencies": latencies[1:],
        "pauses": [p for p in pauses if p[0] > 0],
        "forced": forced,
        "frozen": gc.get_freeze_count(),
        "tracked": len(gc.get_objects()),
    }


def _container_process(env: dict[str, str], variant: str, chat_id: str, n: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.gc_pauses",
                "--container",
                variant,
                chat_id,
                str(n),
                out.name,
            ],
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,  # the invocation lines and EMF, as Lambda's log pipe
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=1800,
        )
        result: dict[str, Any] = json.loads(Path(out.name).read_text())
        return result


# ---------------------------------------------------------------- the figures


@dataclass
class Variant:
    """One variant over its containers: pauses by generation, invocation latencies."""

    name: str
    invocations: int
    full_collections: int
    full_ms_median: float
    full_ms_max: float
    young_collections: int  # generations 0 and 1
    young_ms_total: float
    gc_ms_total: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    forced_full_ms: float  # one gc.collect() after the run, median over containers
    frozen: int
    tracked: int


def summarize(name: str, runs: list[dict[str, Any]]) -> Variant:
    latencies: list[float] = sorted(ms * 1000 for run in runs for ms in run["latencies"])
    pauses = [p for run in runs for p in run["pauses"]]
    full = [seconds * 1000 for _, generation, seconds in pauses if generation == 2]
    young = [seconds * 1000 for _, generation, seconds in pauses if generation < 2]

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    return Variant(
        name,
        len(latencies),
        len(full),
        statistics.median(full) if full else 0.0,
        max(full, default=0.0),
        len(young),
        sum(young),
        sum(full) + sum(young),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        latencies[-1],
        statistics.median(run["forced"] * 1000 for run in runs),
        int(statistics.median(run["frozen"] for run in runs)),
        int(statistics.median(run["tracked"] for run in runs)),
    )


def measure(invocations: int = INVOCATIONS, rounds: int = ROUNDS) -> list[Variant]:
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in VARIANTS}
    with services() as env:
        chat_id = seed(env)
        for _ in range(rounds):
            for variant in VARIANTS:
                runs[variant].append(_container_process(env, variant, chat_id, invocations))
    return [summarize(v, runs[v]) for v in VARIANTS]


def print_rows(rows: list[Variant], invocations: int, rounds: int) -> None:
    print(
        f"event function, message:send to a chat of {MEMBERS}: {rounds} containers per variant "
        f"x {invocations} warm invocations, interleaved"
    )
    print(
        f"{'variant':<7}  {'full GCs':>8}  {'median ms':>9}  {'max ms':>7}  {'young GCs':>9}"
        f"  {'GC ms':>7}  {'p50 ms':>6}  {'p99 ms':>6}  {'p99.9':>6}  {'max ms':>7}"
        f"  {'forced':>6}  {'frozen':>7}  {'tracked':>7}"
    )
    for r in rows:
        print(
            f"{r.name:<7}  {r.full_collections:>8}  {r.full_ms_median:>9.1f}  {r.full_ms_max:>7.1f}"
            f"  {r.young_collections:>9}  {r.gc_ms_total:>7.0f}  {r.p50_ms:>6.1f}  {r.p99_ms:>6.1f}"
            f"  {r.p999_ms:>6.1f}  {r.max_ms:>7.1f}  {r.forced_full_ms:>6.1f}  {r.frozen:>7}"
            f"  {r.tracked:>7}"
        )
    print("full GCs: generation-2 collections during the warm invocations (all containers);")
    print("GC ms: every collection's pause summed; forced: ms of one gc.collect() after the run;")
    print("frozen / tracked: objects in the permanent generation / walked by a full collection")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invocations", type=int, default=INVOCATIONS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--container", nargs=4, metavar=("VARIANT", "CHAT", "N", "OUT"))
    args = parser.parse_args(argv)
    if args.container:
        variant, chat_id, n, out = args.container
        Path(out).write_text(json.dumps(container(variant, chat_id, int(n))))
        return
    print_rows(measure(args.invocations, args.rounds), args.invocations, args.rounds)


if __name__ == "__main__":
    main()
