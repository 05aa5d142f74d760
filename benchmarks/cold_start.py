"""Import time of each function's module, the part of a cold start the code controls.

For each ``functions/<name>/``, ``python -X importtime -c "import app"`` runs in
a fresh interpreter in that directory with PYTHONPATH at the repository root
(as the layer puts ``shared`` on the path in Lambda); the cumulative µs of the
top-level ``app`` line is taken, median of 5 runs, after one discarded run that
warms the bytecode caches. ``import boto3`` alone is measured the same way in
the same run as the yardstick. The heaviest imports are the top-level packages
whose own (self) import time inside the ``app`` import is largest, summed over
their submodules (median across runs), so nothing is counted twice.
Each function is measured in rounds interleaved with `import boto3`, and the ratio
is the median of the per-round ratios, so a machine busy with other work skews both
sides alike. Run: ``python -m benchmarks.cold_start``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
RUNS = 5
TOP = 3

# What a function imports on its first invocation rather than at module import
# (the routes that need them load them: shared/state/redis_client.py, and
# shared/delivery/fanout.py once there is someone to post to). A renewal's $connect and
# $disconnect post nothing (the user has another session), but a user's first or last
# connection tells their contacts, so the fan-out poster stays listed: the worst first
# call.
# The api function never verifies tokens (the HTTP API's authorizer does, in AWS and
# in the emulator), so PyJWT is not on its path at all.
LAZY = {
    "connect": ["redis", "shared.delivery.management_api"],
    "disconnect": ["redis", "shared.delivery.management_api"],
    "event": ["redis", "shared.delivery.management_api"],
    # Its first sweep asks API Gateway (shared.delivery.management_client, imported with
    # the module) and renews sessions; the poster comes only with an offline announcement.
    "sweeper": ["redis"],
}

# Without PYTHONDONTWRITEBYTECODE: the discarded first run must write the bytecode
# caches of shared/ and functions/ (site-packages has its own), or every run would
# compile them from source and count that as import time.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(ROOT),
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _import_once(module: str, cwd: Path) -> tuple[int, dict[str, int]]:
    """(cumulative µs of ``module``, self µs per top-level package inside it)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    subtree: list[tuple[int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_field, cumulative, name_field = line[len("import time:") :].split("|", 2)
        name = name_field[1:]
        depth = (len(name) - len(name.lstrip(" "))) // 2
        name = name.strip()
        if depth == 0:
            if name == module:
                packages: dict[str, int] = defaultdict(int)
                for us, sub in subtree:
                    packages[sub.split(".")[0]] += us
                packages[module] += int(self_field)
                return int(cumulative), dict(packages)
            subtree = []  # an import of the interpreter's start-up, not ours
        else:
            subtree.append((int(self_field), name))
    raise RuntimeError(f"no top-level {module} line in -X importtime output:\n{proc.stderr}")


def _lazy_once(cwd: Path, modules: list[str]) -> int:
    """µs the ``modules`` add when imported after ``app`` (what the first invocation pays)."""
    code = "import app\n" + "".join(f"import {m}\n" for m in modules)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    after_app, total = False, 0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, name_field = line[len("import time:") :].split("|", 2)
        name = name_field[1:]
        if name.startswith(" "):
            continue
        if after_app:
            total += int(cumulative)
        after_app = after_app or name.strip() == "app"
    return total


def _first_call_once(cwd: Path, modules: list[str]) -> int:
    return _lazy_once(cwd, modules) if modules else 0


@dataclass
class ColdStart:
    """One function's import cost, each run beside a bare ``import boto3`` run."""

    function: str
    ms: float
    ratio: float  # median over runs of app / boto3 (interleaved, so drift cancels)
    first_call_ms: float  # what the first invocation adds (LAZY)
    first_call_ratio: float
    heaviest: list[tuple[str, float]]  # (package, self ms)


def measure(directory: Path) -> ColdStart:
    """RUNS rounds of (boto3, app, app + lazy imports) in fresh interpreters, interleaved."""
    _import_once("app", directory)  # warm __pycache__ and the page cache
    _import_once("boto3", ROOT)
    lazy = LAZY.get(directory.name, [])
    apps, ratios, firsts, first_ratios = [], [], [], []
    package_runs: list[dict[str, int]] = []
    for _ in range(RUNS):
        boto3_us, _ = _import_once("boto3", ROOT)
        app_us, packages = _import_once("app", directory)
        extra = _first_call_once(directory, lazy)
        apps.append(app_us)
        package_runs.append(packages)
        ratios.append(app_us / boto3_us)
        firsts.append(extra)
        first_ratios.append((app_us + extra) / boto3_us)
    names = {name for packages in package_runs for name in packages}
    medians = {n: statistics.median(p.get(n, 0) for p in package_runs) for n in names}
    heaviest = sorted(medians.items(), key=lambda kv: kv[1], reverse=True)[:TOP]
    return ColdStart(
        directory.name,
        statistics.median(apps) / 1000,
        statistics.median(ratios),
        statistics.median(firsts) / 1000,
        statistics.median(first_ratios),
        [(name, us / 1000) for name, us in heaviest],
    )


def measure_all() -> list[ColdStart]:
    return [
        measure(directory)
        for directory in sorted(p for p in FUNCTIONS.iterdir() if (p / "app.py").is_file())
    ]


def main() -> None:
    print_rows(measure_all())


def print_rows(rows: list[ColdStart]) -> None:
    print(
        f"Import time of functions/<name>/app.py vs `import boto3`, median of {RUNS} "
        "interleaved rounds in fresh interpreters (-X importtime, cumulative)"
    )
    width = max(len("function"), *(len(r.function) for r in rows))
    print(
        f"{'function':<{width}}  {'ms':>5}  {'x boto3':>7}  {'+1st call ms':>12}  {'x boto3':>7}"
        f"  heaviest {TOP} (self ms, by package)"
    )
    for r in rows:
        shown = ", ".join(f"{name} {ms:.0f}" for name, ms in r.heaviest)
        print(
            f"{r.function:<{width}}  {r.ms:>5.0f}  {r.ratio:>6.2f}x  {r.first_call_ms:>+12.0f}"
            f"  {r.first_call_ratio:>6.2f}x  {shown}"
        )
    print("+1st call: imported by the first invocation that needs it (redis-py, asyncio)")


if __name__ == "__main__":
    main()
