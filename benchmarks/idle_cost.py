"""What an idle, always-connected user costs: a measured idle hour through the emulator,
priced per 1,000 users per month (issue #14). Run: ``python -m benchmarks.cost --idle``.

**The run.** The emulator runs template.yaml with every period divided by ``--scale``
(default 100): ``PresenceTtlSeconds`` 600/scale (an integer: 6), API Gateway's idle
timeout 600/scale and 2-hour connection limit 7200/scale, the sweeper's minute 60/scale.
``--chats`` chats per user are created through the REST API among ``--users`` users
(direct chats: user i with users i±1, i±2, ..., so a user has min(chats, users-1)
contacts; with more chats than other users, pairs share several chats), before anyone
connects. Then each user connects through the project's Python client
(``SwitchboardClient``, default settings but for the renewal's 5 s drain, which is scaled
like every period: it pings as ``hello``'s ``keepAlive`` says and
replaces its connection before API Gateway's cut as ``hello``'s ``renew`` says: a new
connection and its ``hello``, then the old one closed), the connections spread over a
warm-up; then nothing happens for two scaled hours (every connection is renewed once),
and what the stack did meanwhile is counted:

- API Gateway: messages in (by route: ``ping``, ``hello``, ``sync``) and out (route
  responses, Management API posts), in 32 KB units, connection minutes, the Management
  API's GETs (``Emulator.traffic()``, infra/gateway/traffic.py);
- Lambda: invocations, billed duration at the function's MemorySize, modelled as
  benchmarks.cost does (each invocation's measured CPU, ``cpuMs`` of its log line, over
  the share of a vCPU its memory buys, plus the AWS waits its counted calls imply;
  the emulator's REPORT ``Duration``, on a loaded machine against local moto, is
  printed beside it but not priced), log
  bytes (every line of the window + 26 bytes per event, as benchmarks.call_counts), Redis
  round trips and Management API calls (each invocation's ``awsCalls``);
- DynamoDB: read and write units **metered at the DynamoDB proxy** the functions reach
  DynamoDB through (benchmarks.dynamodb_meter: every request and its answer, items read
  before and after writes, units by DynamoDB's rules, indexes included), because moto's
  ``ReturnConsumedCapacity`` is a constant.

**Scaled back.** Every count per period is the same at any scale, so a scaled window of
2 h / scale holds a real 2 hours' counts, with two exceptions corrected or stated: the
keep-alive is announced in whole seconds (9/10 of a 6 s TTL is 5 s, not 5.4 s), so pings
are multiplied by 5 × scale / 540; the sweeper renews a session it finds open until a TTL
after its last activity but at least a minute (capped at a TTL) from now, which at a 6 s
TTL is always "a TTL from now": it asks about each session every TTL + a sweep (660 s
real) instead of every keep-alive (540 s), so GETs are reported as measured and as
expected. The client's reconnect delay (0 to 0.5 s, real seconds) is not scaled: the
measured connection minutes are about 0.3% short of 60 an hour at scale 100.

**Per stack, not per user.** The sweeper runs once a minute whatever the number of
users: its invocations, and the part of its duration and log bytes a sweep with nothing
to ask costs (a least-squares line through each sweep's duration and GETs), are priced
once for the 1,000-user stack; its per-GET part per user.

**Offline detection.** After the window, on the same stack: a user closes their client
(``$disconnect``) and a contact's client waits for ``user:status`` offline (real seconds:
no scaled period is involved); then up to three users' connections are severed
(``Emulator.sever``: no ``$disconnect``, their clients told not to reconnect) and their
contacts wait for offline, which takes up to a TTL and a sweep: those times are
multiplied by the scale.

``measure()`` returns an ``IdleRun``; ``price()`` the monthly cost per 1,000 users;
``print_run()`` prints both. ``python -m benchmarks.cost --idle [--users 20] [--chats 10 100]
[--scale 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks import cost
from benchmarks.call_counts import LOG_EVENT_OVERHEAD_BYTES, InvocationLog
from benchmarks.dynamodb_meter import DynamoDBMeter, Units
from infra.emulator import Emulator
from infra.gateway.traffic import TrafficSnapshot
from switchboard_client import SwitchboardClient

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"

# The real periods (template.yaml's PresenceTtlSeconds default; API Gateway's limits; the
# sweeper's rate(1 minute)) and the keep-alive hello announces for them.
REAL_TTL_SECONDS = 600
REAL_IDLE_TIMEOUT = 600
REAL_MAX_CONNECTION = 7200
REAL_RENEW_MARGIN = 300  # hello's renew: 5 minutes before the cut
REAL_RENEW_DRAIN = 5.0  # the clients keep a replaced connection open this long
REAL_SWEEP_SECONDS = 60
REAL_KEEP_ALIVE = min(540, REAL_TTL_SECONDS * 9 // 10)
HOURS_PER_MONTH = 730
PRICED_USERS = 1000
SWEEPER = "SweeperFunction"
GET = "apigatewaymanagementapi.GetConnection"
USERS = 20
CHATS = (10, 100)
SCALE = 100.0


@dataclass
class FunctionUse:
    """What one function did in the window."""

    invocations: int = 0
    billed_ms: float = 0.0  # the emulator's REPORT durations (reference only)
    warm_ms: list[int] = field(default_factory=list)  # modelled ms of each warm invocation
    cold: int = 0  # first invocations of a worker (REPORT with Init Duration)
    memory_mb: int = 128
    log_bytes: int = 0
    redis: int = 0
    gets: int = 0
    calls: Counter[str] = field(default_factory=Counter)

    @property
    def modelled_ms(self) -> float:
        """What Lambda would bill for every invocation at the warm ones' median (cold
        starts left out: the emulator's few workers start cold in a short run far more
        often than Lambda's environments, which stay warm between a stack's reconnects)."""
        if not self.warm_ms:
            return 0.0
        return statistics.median(self.warm_ms) * self.invocations

    @property
    def gb_seconds(self) -> float:
        """Modelled GB-seconds (what is priced)."""
        return self.memory_mb / 1024 * self.modelled_ms / 1000


def modelled_ms(cpu_ms: float, calls: dict[str, int], memory_mb: int) -> int:
    """One invocation's billed ms on Lambda: its measured CPU over the vCPU share of its
    memory, plus the AWS round trips its calls imply (benchmarks.cost's latencies; a
    fan-out's posts and a sweep's GETs go concurrently: one round per 100)."""
    share = min(1.0, memory_mb / cost.LAMBDA_MB_PER_VCPU)

    def counted(prefix: str) -> int:
        return sum(n for name, n in calls.items() if name.startswith(prefix))

    management = counted("apigatewaymanagementapi.")
    waits = (
        counted("dynamodb.") * cost.DYNAMODB_CALL_MS
        + counted("redis.") * cost.REDIS_ROUND_TRIP_MS
        + math.ceil(management / 100) * cost.POST_ROUND_MS
    )
    return math.ceil(cpu_ms / share + waits)


@dataclass
class IdleRun:
    """One measured idle window, and the offline detection times after it."""

    users: int
    chats: int
    contacts: int  # distinct contacts of each user
    scale: float
    ttl_seconds: int  # scaled
    keep_alive_seconds: float  # scaled, as hello announced it
    window_seconds: float  # scaled, measured
    traffic: TrafficSnapshot
    functions: dict[str, FunctionUse]
    dynamodb: Units
    reconnects: int  # the clients' reconnects in the window (after a cut or a drop)
    renewals: int  # the clients' connections replaced before their cut
    sweeps: list[tuple[float, int, int]]  # per sweeper invocation: billed ms, GETs, log bytes
    offline_closed: list[float] = field(default_factory=list)  # seconds
    offline_severed: list[float] = field(default_factory=list)  # real seconds (scaled back)

    @property
    def hours(self) -> float:
        """Real hours the window stands for."""
        return self.window_seconds * self.scale / 3600

    @property
    def user_hours(self) -> float:
        return self.users * self.hours

    @property
    def ping_correction(self) -> float:
        """Real pings per counted ping: the scaled keep-alive, scaled back, over 540 s."""
        return self.keep_alive_seconds * self.scale / REAL_KEEP_ALIVE

    @property
    def pings(self) -> float:
        """Pings per user-hour, corrected to the real 540 s keep-alive."""
        return self.traffic.inbound.get("ping", 0) * self.ping_correction / self.user_hours

    def per_user_hour(self, count: float) -> float:
        return count / self.user_hours

    @property
    def renewal_correction(self) -> float:
        """Real renewals per measured one. A connection is renewed ``renew.afterSeconds``
        after it opened: 6,900 s of API Gateway's 7,200 on AWS, but a quarter before the
        cut on a scaled stage (its margin keeps short stages workable), and the window
        catches some connections twice: what a renewal causes is priced at the real
        rate, one per connection every 6,900 s."""
        if not self.renewals:
            return 1.0
        real = self.users * self.hours * 3600 / (REAL_MAX_CONNECTION - REAL_RENEW_MARGIN)
        return real / self.renewals

    def per_renewal_hour(self, count: float) -> float:
        """Per user-hour, for a count that renewals cause (corrected to the real rate)."""
        return self.per_user_hour(count) * self.renewal_correction

    def sweeper_line(self) -> tuple[float, float, float]:
        """(ms per sweep, ms per GET, log bytes per sweep): least squares over the sweeps."""
        if not self.sweeps:
            return 0.0, 0.0, 0.0
        n = len(self.sweeps)
        xs = [float(g) for _, g, _ in self.sweeps]
        ys = [ms for ms, _, _ in self.sweeps]
        mean_x, mean_y = sum(xs) / n, sum(ys) / n
        var = sum((x - mean_x) ** 2 for x in xs)
        covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
        slope = max(0.0, covariance / var) if var else 0.0
        fixed = max(0.0, mean_y - slope * mean_x)
        return fixed, slope, sum(b for _, _, b in self.sweeps) / n


# ---------------------------------------------------------------- pricing


@dataclass
class Line:
    label: str
    quantity: float  # per user per hour (or per stack per hour, said in the label)
    unit: str
    dollars: float  # per 1,000 users per month


@dataclass
class IdleCost:
    chats: int
    lines: list[Line]
    connection_minutes: float  # API Gateway's own, per 1,000 users per month

    @property
    def total(self) -> float:
        return sum(line.dollars for line in self.lines)

    @property
    def beyond_connection_minutes(self) -> float:
        return self.total - self.connection_minutes


def price(run: IdleRun, users: int = PRICED_USERS) -> IdleCost:
    """Dollars per ``users`` always-connected users per month (730 h), itemized."""
    month = users * HOURS_PER_MONTH  # user-hours
    t = run.traffic
    lines: list[Line] = []

    def add(label: str, quantity: float, unit: str, dollars_per_unit: float) -> None:
        lines.append(Line(label, quantity, unit, quantity * month * dollars_per_unit))

    connection_minutes = run.per_user_hour(t.connection_minutes * run.scale)
    add(
        "API Gateway: connection minutes",
        connection_minutes,
        "min",
        cost.APIGW_PER_CONNECTION_MINUTE,
    )
    add("API Gateway: pings in (corrected to 540 s)", run.pings, "msg", cost.APIGW_PER_MESSAGE)
    others_in = sum(n for route, n in t.inbound.items() if route != "ping")
    add(
        "API Gateway: hello, sync in ($default)",
        run.per_renewal_hour(others_in),
        "msg",
        cost.APIGW_PER_MESSAGE,
    )
    responses = sum(t.route_responses.values()) + t.gateway_errors
    add(
        "API Gateway: route responses out",
        run.per_renewal_hour(responses),
        "msg",
        cost.APIGW_PER_MESSAGE,
    )
    add(
        "API Gateway: posts out (user:status)",
        run.per_user_hour(t.posts),
        "msg",
        cost.APIGW_PER_MESSAGE,
    )
    add("API Gateway: Management API GETs (not billed)", run.per_user_hour(t.gets), "call", 0.0)
    hours = run.hours
    fixed_ms, per_get_ms, sweep_log = run.sweeper_line()
    sweeps_per_hour = run.functions.get(SWEEPER, FunctionUse()).invocations / hours
    per_stack = users  # a per-stack quantity spread over the priced users
    invocations = 0.0
    gb_seconds = 0.0
    log_bytes = 0.0
    redis = 0.0
    for name, use in run.functions.items():
        redis += run.per_user_hour(use.redis)
        if name == SWEEPER:
            invocations += sweeps_per_hour / per_stack
            gb = use.memory_mb / 1024 / 1000
            gb_seconds += (sweeps_per_hour / per_stack * fixed_ms) * gb
            gb_seconds += run.per_user_hour(use.gets) * per_get_ms * gb
            log_bytes += sweeps_per_hour / per_stack * sweep_log
            continue
        # Everything but the sweeper runs because of a renewal ($connect, its authorizer,
        # hello, $disconnect) in an idle window.
        invocations += run.per_renewal_hour(use.invocations)
        gb_seconds += run.per_renewal_hour(use.gb_seconds)
        log_bytes += run.per_renewal_hour(use.log_bytes)
    add("Lambda requests", invocations, "req", cost.LAMBDA_PER_REQUEST)
    add("Lambda duration", gb_seconds, "GB-s", cost.LAMBDA_PER_GB_SECOND)
    add(
        "DynamoDB reads",
        run.per_renewal_hour(run.dynamodb.read_units),
        "RRU",
        cost.DYNAMODB_PER_READ_UNIT,
    )
    add(
        "DynamoDB writes",
        run.per_renewal_hour(run.dynamodb.write_units),
        "WRU",
        cost.DYNAMODB_PER_WRITE_UNIT,
    )
    add(
        "Redis (ECPUs)", redis, "round trip", cost.ECPUS_PER_REDIS_ROUND_TRIP * cost.VALKEY_PER_ECPU
    )
    add("CloudWatch Logs", log_bytes, "B", cost.LOGS_PER_GB / 1e9)
    return IdleCost(run.chats, lines, lines[0].dollars)


# ---------------------------------------------------------------- the run


def _chat_pairs(users: int, chats: int) -> list[tuple[int, int]]:
    """Direct chats so that each user is in exactly ``chats`` (even) of them: user i with
    i+1, ..., i+chats/2 (mod users)."""
    if chats % 2:
        raise ValueError("--chats must be even (each user is in chats with i±1, i±2, ...)")
    return [(i, (i + d) % users) for i in range(users) for d in range(1, chats // 2 + 1)]


def _contacts(users: int, chats: int) -> int:
    """Distinct contacts of user 0 (every user has as many)."""
    half = range(1, chats // 2 + 1)
    return len(({d % users for d in half} | {-d % users for d in half}) - {0})


def _create_chats(emu: Emulator, users: int, chats: int) -> None:
    def create(pair: tuple[int, int]) -> None:
        owner, other = pair
        response = httpx.post(
            f"{emu.rest_url}/chats",
            json={"members": [f"u{other}"]},
            headers={"authorization": f"Bearer {emu.token(f'u{owner}')}"},
            timeout=60,
        )
        response.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, _chat_pairs(users, chats)))


@dataclass
class _Window:
    """The meters at the window's start and end (indexes into the logs)."""

    traffic: TrafficSnapshot
    units: Units
    raw_start: int
    raw_end: int = 0
    seconds: float = 0.0
    reconnects: int = 0
    renewals: int = 0
    keep_alive: float = 0.0
    closed: list[float] = field(default_factory=list)
    severed: list[float] = field(default_factory=list)

    @classmethod
    def open(cls, emu: Emulator, logs: InvocationLog, meter: DynamoDBMeter) -> _Window:
        with logs._lock_raw:
            raw = len(logs.raw)
        return cls(emu.traffic(), meter.units(), raw)

    def close(self, emu: Emulator, logs: InvocationLog, meter: DynamoDBMeter) -> None:
        self.traffic = emu.traffic() - self.traffic
        self.units = meter.units() - self.units
        with logs._lock_raw:
            self.raw_end = len(logs.raw)


def _functions(
    emu: Emulator, logs: InvocationLog, start: int, end: int
) -> tuple[dict[str, FunctionUse], list[tuple[float, int, int]]]:
    """Per function: invocations, billed ms, log bytes, awsCalls, from the window's lines."""
    assert emu.template is not None
    with logs._lock_raw:
        raw = logs.raw[start:end]
    uses: dict[str, FunctionUse] = {}
    per_request: dict[str, dict[str, Any]] = {}
    running: dict[str, list[str]] = {}  # function -> request ids started, not reported
    for function, text in raw:
        spec = emu.template.functions.get(function)
        use = uses.setdefault(function, FunctionUse(memory_mb=spec.memory_size if spec else 128))
        size = len(text.encode()) + LOG_EVENT_OVERHEAD_BYTES
        use.log_bytes += size
        if text.startswith("START RequestId: "):
            request_id = text.split()[2]
            per_request[request_id] = {"function": function, "bytes": 0, "calls": {}}
            running.setdefault(function, []).append(request_id)
        started = running.get(function) or []
        if started:  # a line between START and REPORT: the latest invocation's
            per_request[started[-1]]["bytes"] += size
        start_json = text.find('{"level"')
        if start_json >= 0:
            with contextlib.suppress(ValueError):
                line = json.loads(text[start_json:])
                calls = line.get("awsCalls") or {}
                use.calls.update(calls)
                use.redis += sum(n for k, n in calls.items() if k.startswith("redis."))
                use.gets += calls.get(GET, 0)
                record = per_request.get(str(line.get("awsRequestId")))
                if record is not None:
                    record["calls"] = calls
                    record["cpu"] = float(line.get("cpuMs") or 0.0)
        if text.startswith("REPORT RequestId: "):
            request_id = text.split()[2]
            record = per_request.get(request_id)
            if record is None:  # started before the window
                continue
            if request_id in started:
                started.remove(request_id)
            ms = math.ceil(float(text.split("\tDuration:", 1)[1].split()[0]))
            record["ms"] = ms
            record["modelled"] = modelled_ms(record.get("cpu", 0.0), record["calls"], use.memory_mb)
            record["cold"] = "Init Duration:" in text
            use.invocations += 1
            use.billed_ms += ms
            if record["cold"]:
                use.cold += 1
            else:
                use.warm_ms.append(record["modelled"])
    sweeps = [
        (float(r["modelled"]), int(r["calls"].get(GET, 0)), int(r["bytes"]))
        for r in per_request.values()
        if r["function"] == SWEEPER and "ms" in r and not r["cold"]
    ]
    return uses, sweeps


async def _offline_probes(
    emu: Emulator, clients: list[SwitchboardClient], scale: float, timeout: float
) -> tuple[list[float], list[float]]:
    """Seconds until a contact sees user:status offline: a closed client (real seconds),
    then up to three severed connections (scaled back)."""
    seen: dict[str, asyncio.Future[float]] = {}
    loop = asyncio.get_running_loop()

    def watch(watcher: SwitchboardClient, user: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = loop.create_future()

        def on_status(event: Any) -> None:
            data = event.data if hasattr(event, "data") else event
            if (
                isinstance(data, dict)
                and data.get("userId") == user
                and data.get("status") == "offline"
                and not future.done()
            ):
                future.set_result(time.monotonic())

        watcher.on("user:status", on_status)
        seen[user] = future
        return future

    closed: list[float] = []
    if len(clients) >= 2:
        future = watch(clients[1], "u0")
        started = time.monotonic()
        await clients[0].close()
        with contextlib.suppress(TimeoutError):
            closed.append(await asyncio.wait_for(future, timeout) - started)
    severed: list[float] = []
    probes = [p for p in (2, 4, 6) if p < len(clients)]
    futures = []
    for probe in probes:
        futures.append(watch(clients[probe - 1], f"u{probe}"))
        clients[probe].max_reconnect_attempts = 0  # a device gone silently does not return
    started = time.monotonic()
    for probe in probes:
        connection_id = clients[probe].connection_id
        if connection_id is not None:
            with contextlib.suppress(KeyError):
                emu.sever(connection_id)
    for future in futures:
        with contextlib.suppress(TimeoutError):
            remaining = max(0.1, timeout - (time.monotonic() - started))
            severed.append((await asyncio.wait_for(future, remaining) - started) * scale)
    return closed, severed


async def _drive(
    emu: Emulator,
    logs: InvocationLog,
    meter: DynamoDBMeter,
    users: int,
    scale: float,
    hours: float,
    warmup_hours: float,
    offline: bool,
) -> _Window:
    # Default settings but the renewal's drain, a period like the others (5 s real).
    drain = REAL_RENEW_DRAIN / scale
    clients = [
        SwitchboardClient(emu.websocket_url, emu.token(f"u{i}"), renew_drain=drain)
        for i in range(users)
    ]
    spacing = warmup_hours * 3600 / scale / max(1, users)
    try:
        for client in clients:
            await client.connect()
            await asyncio.sleep(spacing)
        window = _Window.open(emu, logs, meter)
        started = time.monotonic()
        reconnects = sum(c.reconnects for c in clients)
        renewals = sum(c.renewals for c in clients)
        await asyncio.sleep(hours * 3600 / scale)
        window.close(emu, logs, meter)
        window.seconds = time.monotonic() - started
        window.reconnects = sum(c.reconnects for c in clients) - reconnects
        window.renewals = sum(c.renewals for c in clients) - renewals
        keep_alive = next((c.keep_alive for c in clients if c.keep_alive is not None), None)
        window.keep_alive = keep_alive.interval if keep_alive is not None else 0.0
        if offline:
            timeout = (3 * REAL_TTL_SECONDS + 3 * REAL_SWEEP_SECONDS) / scale + 15
            window.closed, window.severed = await _offline_probes(emu, clients, scale, timeout)
        return window
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()


def measure(
    users: int = USERS,
    chats: int = 10,
    scale: float = SCALE,
    hours: float = 2.0,
    warmup_hours: float = 0.25,
    offline: bool = True,
) -> IdleRun:
    """One idle window of ``hours`` real hours (2: every connection reconnects once) at
    ``scale``, after the connections spread over ``warmup_hours``; see the docstring."""
    ttl = round(REAL_TTL_SECONDS / scale)
    if ttl < 2:
        raise ValueError(f"scale {scale} leaves a presence TTL under 2 s")
    meter = DynamoDBMeter()
    logs = InvocationLog()
    logger = logging.getLogger("switchboard.lambda")
    logger.addHandler(logs)
    logger.setLevel(logging.INFO)
    try:
        with Emulator(
            TEMPLATE,
            stage="bench",
            parameter_overrides={"PresenceTtlSeconds": str(ttl)},
            idle_timeout=REAL_IDLE_TIMEOUT / scale,
            max_connection_duration=REAL_MAX_CONNECTION / scale,
            schedule_interval=REAL_SWEEP_SECONDS / scale,
            dynamodb_observer=meter,
        ) as emu:
            assert emu.template is not None
            meter.bind(emu.dynamodb_endpoint, emu.template.tables.values())
            _create_chats(emu, users, chats)
            window = asyncio.run(
                _drive(emu, logs, meter, users, scale, hours, warmup_hours, offline)
            )
            functions, sweeps = _functions(emu, logs, window.raw_start, window.raw_end)
    finally:
        logger.removeHandler(logs)
    return IdleRun(
        users=users,
        chats=chats,
        contacts=_contacts(users, chats),
        scale=scale,
        ttl_seconds=ttl,
        keep_alive_seconds=window.keep_alive,
        window_seconds=window.seconds,
        traffic=window.traffic,
        functions=functions,
        dynamodb=window.units,
        reconnects=window.reconnects,
        renewals=window.renewals,
        sweeps=sweeps,
        offline_closed=window.closed,
        offline_severed=window.severed,
    )


# ---------------------------------------------------------------- printing


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def print_run(runs: Sequence[IdleRun]) -> None:
    costs = [price(run) for run in runs]
    width = 46
    print(
        f"An idle, always-connected user: per user per hour (measured), and dollars per "
        f"{PRICED_USERS:,} users per month ({HOURS_PER_MONTH} h), us-east-1 list prices."
    )
    for run in runs:
        t = run.traffic
        print(
            f"- {run.chats} chats ({run.contacts} contacts) x {run.users} users, scale "
            f"{run.scale:g} (TTL {run.ttl_seconds} s, keep-alive {run.keep_alive_seconds:g} s, "
            f"window {run.window_seconds:.1f} s = {run.hours:.2f} h): {run.renewals} "
            f"renewals (priced x{run.renewal_correction:.2f}: one per connection every "
            f"{REAL_MAX_CONNECTION - REAL_RENEW_MARGIN} s), {run.reconnects} reconnects; "
            f"in {dict(t.inbound)}, "
            f"responses {dict(t.route_responses)}, posts {t.posts}, GETs {t.gets}"
        )
        for name, use in sorted(run.functions.items()):
            if use.invocations:
                print(
                    f"    {name:<22} {use.invocations:>5} invocations ({use.cold} cold), "
                    f"{use.modelled_ms:>8.0f} modelled ms ({use.billed_ms:.0f} in the "
                    f"emulator) @ {use.memory_mb} MB, "
                    f"{use.log_bytes:>7} log B, "
                    f"{use.redis} Redis, {use.gets} GETs"
                )
        print(f"    DynamoDB RRU by request: {_units_text(run.dynamodb.reads)}")
        print(f"    DynamoDB WRU by request: {_units_text(run.dynamodb.writes)}")
        fixed, per_get, sweep_log = run.sweeper_line()
        print(
            f"    sweeper: {fixed:.1f} ms per sweep + {per_get:.2f} ms per GET, "
            f"{sweep_log:.0f} log B per sweep (per stack)"
        )
    header = "".join(f"{f'{c.chats} chats':>24}" for c in costs)
    print(f"{'per user-hour | per 1,000 users-month':<{width}}{header}")
    for index, line in enumerate(costs[0].lines):
        cells = ""
        for c in costs:
            item = c.lines[index]
            cells += f"{item.quantity:>11.3g} {item.unit:<4}{_money(item.dollars):>9}"
        print(f"{line.label:<{width}}{cells}")
    print(f"{'total':<{width}}" + "".join(f"{_money(c.total):>24}" for c in costs))
    print(
        f"{'beyond connection minutes':<{width}}"
        + "".join(f"{_money(c.beyond_connection_minutes):>24}" for c in costs)
    )
    for run in runs:
        closed = ", ".join(f"{s:.1f} s" for s in run.offline_closed) or "-"
        severed = ", ".join(f"{s:.0f} s" for s in run.offline_severed) or "-"
        print(
            f"Offline seen by a contact ({run.chats} chats): closed connection {closed}; "
            f"severed (no $disconnect, scaled back) {severed}"
        )
    if any(run.dynamodb.approximate_reads for run in runs):
        print("(some Queries/Scans filtered or projected: their read units are a lower bound)")
    print(
        "Management API GETs are API calls, not messages: API Gateway's WebSocket pricing "
        "bills messages and connection minutes only."
    )


def _units_text(units: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(units.items())) or "none"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--chats", type=int, nargs="+", default=list(CHATS))
    parser.add_argument("--scale", type=float, default=SCALE)
    parser.add_argument("--hours", type=float, default=2.0, help="real hours the window stands for")
    parser.add_argument("--no-offline", action="store_true", help="skip offline detection")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    runs = [
        measure(args.users, chats, args.scale, args.hours, offline=not args.no_offline)
        for chats in args.chats
    ]
    print_run(runs)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
