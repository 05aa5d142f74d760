"""The chat workload the latency benchmarks share, whatever server they drive.

Owns: grouping users into chats (and creating them over Switchboard's REST API), the
open-loop sender that holds a steady message rate for a phase, the bookkeeping of every
delivery (send time -> receipt time at each other member), per-phase statistics, CPU
sampling of the client and server processes, and the tables. ``benchmarks.latency``
(Switchboard through the emulator) and ``benchmarks.socketio_baseline`` (python-socketio)
plug their clients in here, so both run exactly the same phases and statistics.
Not run on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import math
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

BOUND_MS = 100.0  # the p99 the issue asks a rate to be held under


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank below); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ------------------------------------------------------------------ chats
def chat_groups(connections: int, chat_size: int, prefix: str) -> list[list[str]]:
    """User ids in groups of ``chat_size``; a last group of one joins the one before."""
    users = [f"{prefix}-u{i:05d}" for i in range(connections)]
    groups = [users[i : i + chat_size] for i in range(0, len(users), chat_size)]
    if len(groups) > 1 and len(groups[-1]) < 2:  # no chat of one
        groups[-2].extend(groups.pop())
    return groups


async def create_chats(
    rest_url: str,
    token: Callable[[str], str],
    groups: list[list[str]],
    concurrency: int = 8,
    attempts: int = 1,
) -> list[str]:
    """Create one chat per group over Switchboard's REST API (the first user creates it,
    the others are its members); returns the chat ids in the order of ``groups``.

    ``attempts`` > 1 retries a 5xx (a Lambda timing out on a loaded machine); a retried
    chat may then exist twice, the first one unused."""
    limit = asyncio.Semaphore(concurrency)

    async def create(http: httpx.AsyncClient, group: list[str]) -> str:
        for attempt in range(attempts):
            async with limit:
                response = await http.post(
                    "/chats",
                    json={"members": group[1:], "name": "load"},
                    headers={"authorization": f"Bearer {token(group[0])}"},
                )
            if response.status_code < 500 or attempt + 1 == attempts:
                break
        if response.status_code != 201:
            raise RuntimeError(f"POST /chats: {response.status_code} {response.text}")
        return str(response.json()["id"])

    async with httpx.AsyncClient(base_url=rest_url, timeout=60) as http:
        return list(await asyncio.gather(*(create(http, group) for group in groups)))


# ------------------------------------------------------------------ options
@dataclass
class Options:
    """The workload: how many connections, chat size, the phases and their bounds."""

    connections: int = 1000
    chat_size: int = 10
    rates: list[float] = field(
        default_factory=lambda: [2, 5, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320]
    )
    phase_seconds: float = 10.0
    warmup_seconds: float = 3.0
    warmup_burst: int = 16  # sends at once before the warm-up: every worker gets started
    drain_seconds: float = 10.0
    connect_concurrency: int = 32
    bound_ms: float = BOUND_MS
    stop_factor: float = 5.0  # stop stepping once p99 > stop_factor * bound (or losses)
    seed: int = 1

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        return cls(
            connections=args.connections,
            chat_size=args.chat_size,
            rates=args.rates,
            phase_seconds=args.phase_seconds,
            warmup_seconds=args.warmup_seconds,
            warmup_burst=args.warmup_burst,
            drain_seconds=args.drain_seconds,
            connect_concurrency=args.connect_concurrency,
            bound_ms=args.bound_ms,
            stop_factor=args.stop_factor,
            seed=args.seed,
        )


def _rates(text: str) -> list[float]:
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not rates or any(not math.isfinite(r) or r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates: positive numbers separated by commas")
    return rates


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The workload's command-line options (the same for every server)."""
    default = Options()
    parser.add_argument("--connections", type=int, default=default.connections)
    parser.add_argument("--chat-size", type=int, default=default.chat_size)
    parser.add_argument(
        "--rates",
        type=_rates,
        default=default.rates,
        help="messages per second of each phase, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--phase-seconds", type=float, default=default.phase_seconds)
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=default.warmup_seconds,
        help="sending at the first rate before the first phase (not counted)",
    )
    parser.add_argument(
        "--warmup-burst",
        type=int,
        default=default.warmup_burst,
        help="messages sent at once before the warm-up, twice, so that "
        "every server worker has started (none counted)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=default.drain_seconds,
        help="after a phase, how long to wait for its last deliveries",
    )
    parser.add_argument(
        "--connect-concurrency",
        type=int,
        default=default.connect_concurrency,
        help="handshakes in flight",
    )
    parser.add_argument(
        "--bound-ms",
        type=float,
        default=default.bound_ms,
        help="the p99 a rate must stay under to count as held",
    )
    parser.add_argument(
        "--stop-factor",
        type=float,
        default=default.stop_factor,
        help="stop stepping once p99 exceeds this many times the bound",
    )
    parser.add_argument("--seed", type=int, default=default.seed)


# ------------------------------------------------------------------ bookkeeping
@dataclass
class Phase:
    rate: float
    started: float = 0.0
    ended: float = 0.0
    sent: int = 0
    expected: int = 0
    received: int = 0
    duplicates: int = 0
    acked: int = 0
    latencies: list[float] = field(default_factory=list)  # ms, one per delivery
    acks: list[float] = field(default_factory=list)  # ms, one per acked send

    @property
    def settled(self) -> bool:
        return self.received >= self.expected and self.acked >= self.sent


@dataclass
class Send:
    phase: Phase
    t_send: float
    receivers: set[int] = field(default_factory=set)
    acked: bool = False


class Tracker:
    """Every send (by message key) and every receipt of it; the clients call in here."""

    def __init__(self) -> None:
        self.sends: dict[str, Send] = {}
        self.errors = 0
        self.error_samples: list[str] = []
        self.late = 0  # receipts after their phase was closed

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(text)

    def sent(self, key: str, phase: Phase, recipients: int) -> None:
        self.sends[key] = Send(phase, time.monotonic())
        phase.sent += 1
        phase.expected += recipients

    def delivered(self, key: str, receiver: int, now: float) -> None:
        send = self.sends.get(key)
        if send is None:
            return
        phase = send.phase
        if phase.ended:
            self.late += 1
        elif receiver in send.receivers:
            phase.duplicates += 1
        else:
            send.receivers.add(receiver)
            phase.received += 1
            phase.latencies.append((now - send.t_send) * 1000)

    def acked(self, key: str, now: float) -> None:
        send = self.sends.get(key)
        if send is None or send.acked or send.phase.ended:
            return
        send.acked = True
        send.phase.acked += 1
        send.phase.acks.append((now - send.t_send) * 1000)


class GcPauses:
    """The client process's own garbage-collection pauses (they would read as latency)."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._started) * 1000)

    def take(self) -> float:
        longest, self.longest_ms = self.longest_ms, 0.0
        return longest


class CpuMeter:
    """CPU seconds used by this process and by a server's process tree (psutil)."""

    def __init__(self, server_pids: Sequence[int]) -> None:
        self.server_pids = [pid for pid in server_pids if pid]

    def sample(self) -> tuple[float, float, float]:
        """(wall, client CPU s, CPU s of the server processes and all their children)."""
        server = 0.0
        try:
            import psutil

            for pid in self.server_pids:
                root = psutil.Process(pid)
                for process in [root, *root.children(recursive=True)]:
                    try:
                        times = process.cpu_times()
                        server += times.user + times.system
                    except psutil.Error:
                        pass
        except Exception:  # noqa: BLE001 - CPU figures are a diagnostic only
            server = math.nan
        clock = os.times()
        return time.monotonic(), clock.user + clock.system, server


def phase_result(
    phase: Phase, seconds: float, cpu: tuple[float, float], client_gc_ms: float = 0.0
) -> dict[str, Any]:
    """One phase as a plain dict; a delivery that never came counts as infinite latency."""
    missing = max(0, phase.expected - phase.received)
    latencies = phase.latencies + [math.inf] * missing
    duration = max(seconds, phase.ended - phase.started)
    return {
        "rate": phase.rate,
        "sent": phase.sent,
        "achieved_rate": round(phase.sent / duration, 2),
        "expected": phase.expected,
        "received": phase.received,
        "duplicates": phase.duplicates,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies, default=0.0),
        "acked": phase.acked,
        "ack_p50_ms": percentile(phase.acks, 0.50),
        "ack_p99_ms": percentile(phase.acks, 0.99),
        "client_cpu": round(cpu[0], 2),  # CPU seconds per wall second (1.0 = one core)
        "server_cpu": round(cpu[1], 2),
        "client_gc_max_ms": round(client_gc_ms, 1),  # longest GC pause of the clients
    }


def held(result: dict[str, Any], bound_ms: float) -> bool:
    return result["p99_ms"] < bound_ms and result["received"] == result["expected"] > 0


def highest_held(results: list[dict[str, Any]], bound_ms: float) -> float | None:
    """The highest rate whose phase held p99 < bound with nothing lost."""
    rates = [r["rate"] for r in results if held(r, bound_ms)]
    return max(rates) if rates else None


def held_through(results: list[dict[str, Any]], bound_ms: float) -> float | None:
    """The highest rate up to which every phase held (stricter than ``highest_held``: one
    long pause in a phase, a garbage collection, breaks it)."""
    best = None
    for result in sorted(results, key=lambda r: r["rate"]):
        if not held(result, bound_ms):
            break
        best = result["rate"]
    return best


# ------------------------------------------------------------------ the phases
SendFn = Callable[[int, str], Awaitable[None]]


async def _steady(
    rate: float,
    seconds: float,
    order: list[int],
    cursor: itertools.count,
    start: Callable[[int], Awaitable[None]],
) -> None:
    """Open loop: one send every 1/rate s from the next sender in ``order``."""
    interval = 1.0 / rate
    began = next_at = time.monotonic()
    until = began + seconds
    while next_at < until:
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await start(order[next(cursor) % len(order)])
        next_at += interval


async def open_all(
    members: Sequence[Any], target: str, tracker: Tracker, concurrency: int
) -> list[int]:
    """Open every member's connection (``member.open(target, timeout)``), ``concurrency``
    handshakes in flight; the indexes of those that opened, after a line saying how long."""
    ramp = time.monotonic()
    limit = asyncio.Semaphore(concurrency)

    async def open_one(member: Any) -> bool:
        async with limit:
            return bool(await member.open(target, timeout=120))

    opened = await asyncio.gather(*(open_one(m) for m in members))
    ready = [m.index for m, ok in zip(members, opened, strict=True) if ok]
    print(
        f"  {len(ready)}/{len(members)} connections ready in {time.monotonic() - ramp:.1f} s"
        f" ({tracker.errors} errors)"
    )
    return ready


async def run_phases(
    tracker: Tracker,
    members: list[int],
    recipients: Callable[[int], int],
    send: SendFn,
    options: Options,
    server_pids: Sequence[int],
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Warm up, then one steady phase per rate, each drained before the next starts.

    ``members``: indexes of the connected clients that may send; ``recipients(i)``: how
    many deliveries a send of client i must make; ``send(i, key)`` sends one message
    carrying ``key`` from client i. Stops stepping once a phase's p99 passes
    ``stop_factor * bound_ms`` or deliveries went missing. The clients' own heap (a
    thousand connections) is frozen first, so that the collector's full passes in this
    process stay short; the longest pause of each phase is reported all the same.
    """
    gc.collect()
    gc.freeze()
    with GcPauses() as pauses:
        return await _run_phases(
            tracker, members, recipients, send, options, server_pids, log, pauses
        )


async def _run_phases(
    tracker: Tracker,
    members: list[int],
    recipients: Callable[[int], int],
    send: SendFn,
    options: Options,
    server_pids: Sequence[int],
    log: Callable[[str], None],
    pauses: GcPauses,
) -> list[dict[str, Any]]:
    order = list(members)
    random.Random(options.seed).shuffle(order)
    cursor = itertools.count()
    keys = itertools.count(1)
    meter = CpuMeter(server_pids)
    results: list[dict[str, Any]] = []

    def starter(phase: Phase) -> Callable[[int], Awaitable[None]]:
        async def start(index: int) -> None:
            key = f"m{next(keys)}"
            tracker.sent(key, phase, recipients(index))
            try:
                await send(index, key)
            except Exception as exc:  # noqa: BLE001 - a failed send is counted, not fatal
                tracker.error(f"send {key} from {index}: {exc!r}")

        return start

    async def drain(phase: Phase) -> None:
        deadline = time.monotonic() + options.drain_seconds
        while not phase.settled and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    warm = Phase(options.rates[0])
    for _ in range(2 if options.warmup_burst > 0 else 0):
        start = starter(warm)
        await asyncio.gather(
            *(start(order[next(cursor) % len(order)]) for _ in range(options.warmup_burst))
        )
        await drain(warm)
    if options.warmup_seconds > 0:
        await _steady(options.rates[0], options.warmup_seconds, order, cursor, starter(warm))
        await drain(warm)
    warm.ended = time.monotonic()
    for rate in options.rates:
        phase = Phase(rate)
        wall0, client0, server0 = meter.sample()
        pauses.take()
        phase.started = time.monotonic()
        await _steady(rate, options.phase_seconds, order, cursor, starter(phase))
        sending_ended = time.monotonic()
        await drain(phase)
        wall1, client1, server1 = meter.sample()
        phase.ended = sending_ended
        wall = max(1e-9, wall1 - wall0)
        cpu = ((client1 - client0) / wall, (server1 - server0) / wall)
        result = phase_result(phase, options.phase_seconds, cpu, pauses.take())
        results.append(result)
        log(f"  {rate:g}/s: {format_row(result)}")
        if (
            result["p99_ms"] > options.stop_factor * options.bound_ms
            or result["received"] < result["expected"]
        ):
            break
    return results


# ------------------------------------------------------------------ tables
def _ms(value: float) -> str:
    return "lost" if math.isinf(value) else f"{value:.0f}"


HEADER = (
    f"{'rate/s':>7} {'sent':>6} {'achieved':>8} {'expected':>8} {'received':>8} "
    f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'ack p99':>7} {'cpu cl':>6} "
    f"{'cpu srv':>7} {'gc cl':>5}"
)


def format_row(r: dict[str, Any]) -> str:
    return (
        f"{r['rate']:>7g} {r['sent']:>6} {r['achieved_rate']:>8.1f} {r['expected']:>8} "
        f"{r['received']:>8} {_ms(r['p50_ms']):>7} {_ms(r['p99_ms']):>7} "
        f"{_ms(r['max_ms']):>7} {_ms(r['ack_p99_ms']):>7} {r['client_cpu']:>6.2f} "
        f"{r['server_cpu']:>7.2f} {r.get('client_gc_max_ms', 0):>5.0f}"
    )


def format_table(title: str, results: list[dict[str, Any]], bound_ms: float = BOUND_MS) -> str:
    best, through = highest_held(results, bound_ms), held_through(results, bound_ms)
    lines = [
        title,
        HEADER,
        *(format_row(r) for r in results),
        f"highest rate held with p99 < {bound_ms:g} ms: "
        f"{'none' if best is None else f'{best:g} msg/s'} (every rate held up to "
        f"{'none' if through is None else f'{through:g} msg/s'})",
        "(cpu: CPU seconds per wall second, client process / server process tree; "
        "gc cl: the longest GC pause in the client process, ms; a lost delivery "
        "counts as infinite latency)",
    ]
    return "\n".join(lines)


def _ratio(a: float, b: float) -> str:
    if math.isinf(a) or math.isinf(b) or b == 0:
        return "-"
    return f"{a / b:.1f}x"


def format_comparison(
    ours: list[dict[str, Any]],
    baseline: list[dict[str, Any]],
    bound_ms: float = BOUND_MS,
    names: tuple[str, str] = ("Switchboard", "socketio"),
) -> str:
    """Both systems phase by phase, with Switchboard/socketio ratios of each latency."""
    a_name, b_name = names
    by_rate = {r["rate"]: r for r in baseline}
    lines = [
        f"{'rate/s':>7} | {a_name + ' p50/p99/max ms':>26} | "
        f"{b_name + ' p50/p99/max ms':>26} | {'ratio p50':>9} {'ratio p99':>9} "
        f"{'ratio max':>9} | delivered {a_name}, {b_name}"
    ]
    rates = sorted({r["rate"] for r in ours} | set(by_rate))
    ours_by_rate = {r["rate"]: r for r in ours}
    for rate in rates:
        a, b = ours_by_rate.get(rate), by_rate.get(rate)

        def cell(r: dict[str, Any] | None) -> str:
            if r is None:
                return f"{'(not run)':>26}"
            return f"{_ms(r['p50_ms']) + ' / ' + _ms(r['p99_ms']) + ' / ' + _ms(r['max_ms']):>26}"

        ratios = (
            ("-", "-", "-")
            if a is None or b is None
            else tuple(_ratio(a[k], b[k]) for k in ("p50_ms", "p99_ms", "max_ms"))
        )
        delivered = ", ".join(
            "-" if r is None else f"{r['received']}/{r['expected']}" for r in (a, b)
        )
        lines.append(
            f"{rate:>7g} | {cell(a)} | {cell(b)} | {ratios[0]:>9} {ratios[1]:>9} "
            f"{ratios[2]:>9} | {delivered}"
        )
    best_a, best_b = highest_held(ours, bound_ms), highest_held(baseline, bound_ms)

    def show(best: float | None, results: list[dict[str, Any]]) -> str:
        if best is None:
            return "none"
        suffix = " (the highest rate run)" if best == max(r["rate"] for r in results) else ""
        return f"{best:g} msg/s{suffix}"

    lines.append(
        f"highest rate held with p99 < {bound_ms:g} ms: {a_name} "
        f"{show(best_a, ours)}, {b_name} {show(best_b, baseline)}"
        + (f"; ratio {best_a / best_b:.2f}" if best_a and best_b else "")
    )
    through_a, through_b = held_through(ours, bound_ms), held_through(baseline, bound_ms)
    lines.append(
        f"every rate held up to: {a_name} {through_a or 0:g} msg/s, {b_name} "
        f"{through_b or 0:g} msg/s"
        + (f"; ratio {through_a / through_b:.2f}" if through_a and through_b else "")
    )
    return "\n".join(lines)
