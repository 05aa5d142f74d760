"""`make bench`: the measurements of docs/performance.md in one run, each beside its
baseline on the same machine, then one summary table of ratios and targets.

1. AWS calls per operation (benchmarks.call_counts) and the AWS samples' Scan per
   message at 10, 1,000 and 100,000 users (benchmarks.aws_sample);
2. fan-out CPU per recipient against a serial boto3 loop, and
3. fan-out wall time for 1,000 recipients behind a 20 ms stub (benchmarks.fanout);
4. import time of each function against ``import boto3`` (benchmarks.cold_start);
5. delivery latency through the emulator against python-socketio with its Redis
   manager (benchmarks.latency, benchmarks.socketio_baseline);
6. dollars per million messages (benchmarks.cost);
7. sharded delivery (benchmarks.sharded): the ack of rooms of 10, 1,000 and 10,000
   connections, the time to the last delivery and the delivery workers' CPU at 1,000,
   10,000 and 100,000 recipients behind a 20 ms stub, a model of 100,000 on AWS, and
   the own cost at fan-out 1,000 and more.

Each section prints its own table as it finishes; the summary comes last. Absolute
times on a shared machine vary: read the ratios. Run: ``python -m benchmarks.report``
(``--quick`` for a smaller latency workload and sharded delivery up to 10,000).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

SAMPLE_SIZES = (10, 1_000, 100_000)
FANOUT_CPU_TARGET = 1 / 3
FANOUT_WALL_TARGET_S = 0.4
COLD_START_TARGET = 1.5
COST_TARGET = 0.20
P99_BOUND_MS = 100.0


@dataclass
class Row:
    """One line of the summary: a figure beside its baseline, their ratio and the target."""

    item: str
    measure: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: no target, or not measured

    def cells(self) -> list[str]:
        verdict = "-" if self.met is None else ("yes" if self.met else "NO")
        return [self.item, self.measure, self.ours, self.baseline, self.ratio, self.target, verdict]


def _section(title: str, run: Callable[[], T]) -> T:
    print(f"\n{'=' * 8} {title}", flush=True)
    started = time.perf_counter()
    result = run()
    print(f"({time.perf_counter() - started:.0f} s)", flush=True)
    return result


def _calls_rows(counts: Any, comparison: Any) -> list[Row]:
    send = counts.at("message:send", 10)
    dynamodb = {k: v for k, v in (send.calls or {}).items() if k.startswith("dynamodb.")}
    minimum = {"dynamodb.Query": 1, "dynamodb.PutItem": 1}
    rows = [
        Row(
            "1",
            "message:send, chat of 10: DynamoDB calls + posts",
            f"{sum(dynamodb.values())} + {send.posts}",
            "minimum 1 Query + 1 Put + N",
            "-",
            "= minimum",
            dynamodb == minimum and send.posts == 10,
        ),
    ]
    ours = next((r for r in comparison.rows if r.pattern.startswith("Switchboard")), None)
    for size in sorted({r.connections for r in comparison.rows}):
        found = [
            r
            for r in comparison.rows
            if r.connections == size and r.pattern.startswith("aws-doc-sdk-examples")
        ]
        if ours is None or not found:
            continue
        # Every connection reached (paginated) where one Scan page does not hold them all.
        sample = next((r for r in found if "paginated" in r.pattern), found[0])
        rows.append(
            Row(
                "1",
                f"calls / read units / posts per message, {size:,} users",
                f"{ours.dynamodb_calls} / {ours.read_units:g} / {ours.posts:,}",
                f"{sample.dynamodb_calls} / {sample.read_units:g} / {sample.posts:,} (AWS sample)",
                f"{ours.read_units / sample.read_units:.3g}x RRU" if sample.read_units else "-",
                "-",
                None,
            )
        )
    return rows


def _fanout_rows(figures: Any) -> list[Row]:
    ours, base = figures.cpu_us[figures.fanout], figures.cpu_us[figures.baseline]
    return [
        Row(
            "2",
            "fan-out CPU per recipient (µs)",
            f"{ours:.0f}",
            f"{base:.0f} (boto3 loop)",
            f"{ours / base:.2f}x",
            f"<= {FANOUT_CPU_TARGET:.2f}x",
            ours / base <= FANOUT_CPU_TARGET,
        ),
        Row(
            "3",
            "1,000 recipients, 20 ms stub (s)",
            f"{figures.fanout_wall_s:.2f}",
            f"{figures.serial_wall_s:.1f} (serial, est.)",
            f"{figures.fanout_wall_s / figures.serial_wall_s:.3f}x",
            f"< {FANOUT_WALL_TARGET_S} s",
            figures.fanout_wall_s < FANOUT_WALL_TARGET_S,
        ),
    ]


def _cold_start_rows(results: list[Any]) -> list[Row]:
    return [
        Row(
            "4",
            f"import time, {r.function} (ms; +1st call)",
            f"{r.ms:.0f}" + (f" (+{r.first_call_ms:.0f})" if r.first_call_ms else ""),
            "import boto3",
            f"{r.ratio:.2f}x ({r.first_call_ratio:.2f}x)",
            f"<= {COLD_START_TARGET}x",
            r.ratio <= COLD_START_TARGET,
        )
        for r in results
    ]


def _latency_rows(ours: list[dict[str, Any]], baseline: list[dict[str, Any]] | None) -> list[Row]:
    from benchmarks.workload import highest_held

    def p(results: list[dict[str, Any]], rate: float, key: str) -> float:
        return next((r[key] for r in results if r["rate"] == rate), math.nan)

    best = highest_held(ours, P99_BOUND_MS)
    best_base = highest_held(baseline, P99_BOUND_MS) if baseline is not None else None
    rows = [
        Row(
            "5",
            f"highest msg/s with p99 < {P99_BOUND_MS:g} ms",
            f"{best or 0:g}",
            "-" if baseline is None else f"{best_base or 0:g} (socketio)",
            f"{best / best_base:.2f}x" if best and best_base else "-",
            "held at some rate",
            best is not None,
        )
    ]
    for rate in sorted({r["rate"] for r in ours}):
        a, b = p(ours, rate, "p99_ms"), p(baseline or [], rate, "p99_ms")
        rows.append(
            Row(
                "5",
                f"p50 / p99 ms at {rate:g} msg/s",
                f"{p(ours, rate, 'p50_ms'):.0f} / {a:.0f}",
                "-" if math.isnan(b) else f"{p(baseline or [], rate, 'p50_ms'):.0f} / {b:.0f}",
                f"{a / b:.1f}x" if b and math.isfinite(a) and math.isfinite(b) else "-",
                "-",
                None,
            )
        )
    return rows


def _cost_rows(table: list[Any]) -> list[Row]:
    rows = []
    for r in table:
        target = r.recipients == 10
        rows.append(
            Row(
                "6",
                f"$ per million messages, fan-out {r.recipients}",
                f"{r.own:.2f} (own)",
                f"{r.apigw_unavoidable:.2f} (API Gateway)",
                f"{r.ratio:.1%}",
                f"< {COST_TARGET:.0%}" if target else "-",
                r.ratio < COST_TARGET if target else None,
            )
        )
    return rows


def _sharded_rows(figures: Any) -> list[Row]:
    from benchmarks import sharded

    rows = []
    ratio = figures.ack_ratio
    if ratio is not None:
        small, large = (
            min(figures.ack_sizes),
            max(n for n in figures.ack_sizes if n in figures.sends),
        )
        rows.append(
            Row(
                "7",
                f"ack, room of {large:,} (median ms)",
                f"{figures.median_ack(large):.0f} (p95 {figures.p95_ack(large):.0f})",
                f"{figures.median_ack(small):.0f} (room of {small})",
                f"{ratio:.2f}x",
                f"<= {sharded.ACK_TARGET:g}x",
                ratio <= sharded.ACK_TARGET,
            )
        )
    inline = figures.inline_cpu_us
    for n in figures.sharded_sizes():
        sends = figures.sends[n]
        last = sorted(s.last_delivery_s for s in sends)[len(sends) // 2]
        per = figures.worker_cpu_us(n)
        rows.append(
            Row(
                "7",
                f"{n - 1:,} recipients: last delivery (s, emulator); worker CPU µs/recipient",
                f"{last:.1f}; {per:.0f}",
                f"{inline:.0f} (inline, marginal)",
                f"{per / inline:.2f}x",
                f"<= {sharded.CPU_TARGET:g}x",
                per / inline <= sharded.CPU_TARGET,
            )
        )
    if figures.sharded_sizes():
        work = sharded.work_of(figures)
        ids = sharded.connection_ids(sharded.MODEL_RECIPIENTS + 1, seed=sharded.MODEL_RECIPIENTS)
        for cold in (False, True):
            model = sharded.aws_model(work, ids, cold, figures.inline_limit, figures.batch_size)
            rows.append(
                Row(
                    "7",
                    f"AWS model: last of {model.recipients:,} ({'cold' if cold else 'warm'}, s)",
                    f"{model.total_s:.2f}",
                    "-",
                    "-",
                    f"< {sharded.MODEL_TARGET_S:g} s",
                    model.total_s < sharded.MODEL_TARGET_S,
                )
            )
    for r in sharded.cost_rows(figures):
        target = r.recipients >= 999
        rows.append(
            Row(
                "7",
                f"$ per million messages, room of {r.room:,}",
                f"{r.own:.2f} (own)",
                f"{r.apigw:,.2f} (API Gateway)",
                f"{r.ratio:.1%}",
                f"< {sharded.COST_TARGET:.0%}" if target else "-",
                r.ratio < sharded.COST_TARGET if target else None,
            )
        )
    return rows


def _events_rows(modes: list[Any]) -> list[Row]:
    import statistics

    off, on = modes[0], modes[-1]

    def calls(mode: Any) -> str:
        return " + ".join(f"{n:g} {name.split('.')[-1]}" for name, n in mode.calls_per_send.items())

    same = off.calls_per_send == on.calls_per_send
    return [
        Row(
            "8",
            "message:send calls, events all vs off",
            calls(on),
            calls(off),
            "=" if same else "differ",
            "no added call",
            same,
        ),
        Row(
            "8",
            "ack p50 ms, events all vs off (emulator)",
            f"{statistics.median(on.ack_ms):.1f}",
            f"{statistics.median(off.ack_ms):.1f}",
            f"{statistics.median(on.ack_ms) / statistics.median(off.ack_ms):.2f}x",
            "-",
            None,
        ),
    ]


def _print_summary(rows: list[Row]) -> None:
    header = ["#", "measure", "Switchboard", "baseline", "ratio", "target", "met"]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(
        f"\n{'=' * 8} Summary ({platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M')})"
    )
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="latency at 100 connections, two short phases"
    )
    parser.add_argument("--sample-sizes", type=int, nargs="*", default=list(SAMPLE_SIZES))
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-sharded", action="store_true")
    parser.add_argument("--no-events", action="store_true")
    parser.add_argument(
        "--sharded-sizes", type=int, nargs="*", help="rooms (connections) for benchmarks.sharded"
    )
    args = parser.parse_args(argv)

    from benchmarks import aws_sample, call_counts, cold_start, cost, fanout

    rows: list[Row] = []
    started = time.perf_counter()

    def calls_and_samples() -> tuple[Any, list[Any]]:
        # The samples (their own moto) and the emulator are independent: side by side.
        with ThreadPoolExecutor(1) as pool:
            samples = pool.submit(aws_sample.run, args.sample_sizes)
            counts = call_counts.measure()
            return counts, samples.result()

    counts, runs = _section("1. AWS calls per operation, and the AWS samples", calls_and_samples)
    call_counts.print_counts(counts)
    comparison = aws_sample.compare(runs, counts)
    aws_sample.print_comparison(comparison)
    rows += _calls_rows(counts, comparison)

    figures = _section("2-3. Fan-out CPU and wall time", fanout.measure)
    fanout.print_figures(figures)
    rows += _fanout_rows(figures)

    cold = _section("4. Cold start (import time)", cold_start.measure_all)
    cold_start.print_rows(cold)
    rows += _cold_start_rows(cold)

    if not args.no_latency:
        from benchmarks import latency, socketio_baseline
        from benchmarks.workload import Options, format_comparison

        options = (
            Options(connections=100, rates=[2, 5], phase_seconds=5) if args.quick else Options()
        )
        ours = _section("5a. Latency through the emulator", lambda: latency.measure(options))
        base = _section(
            "5b. The same against python-socketio + Redis manager",
            lambda: socketio_baseline.measure(options),
        )
        print(format_comparison(ours, base, options.bound_ms))
        rows += _latency_rows(ours, base)

    duration = cost.measured_duration(counts)
    table = cost.rows(counts, cost.FANOUTS, duration)
    _section("6. Cost per million messages", lambda: cost.print_table(table, duration))
    rows += _cost_rows(table)

    if not args.no_sharded:
        from benchmarks import sharded

        sizes = args.sharded_sizes or ([1_000, 10_000] if args.quick else list(sharded.SIZES))
        repeats = 5 if args.quick else sharded.REPEATS
        shards = _section(
            "7. Sharded delivery", lambda: sharded.measure(sizes=sizes, repeats=repeats)
        )
        sharded.print_figures(shards)
        rows += _sharded_rows(shards)

    if not args.no_events:
        from benchmarks import events

        modes = _section(
            "8. Events out: the send with events off and on",
            lambda: events.measure(50 if args.quick else 200),
        )
        events.print_modes(modes)
        rows += _events_rows(modes)

    _print_summary(rows)
    print(f"(all sections: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
