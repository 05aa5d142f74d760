"""Import time of each function's module, the part of a cold start the code controls.

For each ``functions/<name>/``, ``python -X importtime -c "import app"`` runs in
a fresh interpreter in that directory with PYTHONPATH at the repository root
(as the layer puts ``shared`` on the path in Lambda); the cumulative µs of the
top-level ``app`` line is taken, median of 5 runs, after one discarded run that
warms the bytecode caches. ``import boto3`` alone is measured the same way in
the same run as the yardstick. The heaviest imports are the top-level packages
whose own (self) import time inside the ``app`` import is largest, summed over
their submodules (median across runs), so nothing is counted twice.
Run: ``python -m benchmarks.cold_start``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
RUNS = 5
TOP = 3

ENV = {
    **os.environ,
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


def measure(module: str, cwd: Path) -> tuple[float, dict[str, float]]:
    """Median cumulative µs and median self µs per package over RUNS fresh interpreters."""
    _import_once(module, cwd)  # warm __pycache__ and the page cache
    runs = [_import_once(module, cwd) for _ in range(RUNS)]
    names = {name for _, packages in runs for name in packages}
    packages = {
        name: statistics.median(packages.get(name, 0) for _, packages in runs) for name in names
    }
    return statistics.median(total for total, _ in runs), packages


def main() -> None:
    boto3_us, _ = measure("boto3", ROOT)
    rows = []
    for directory in sorted(p for p in FUNCTIONS.iterdir() if (p / "app.py").is_file()):
        total, packages = measure("app", directory)
        heaviest = sorted(packages.items(), key=lambda kv: kv[1], reverse=True)[:TOP]
        shown = ", ".join(f"{name} {us / 1000:.0f}" for name, us in heaviest)
        rows.append((directory.name, total, shown))
    print(
        f"Import time of functions/<name>/app.py, median of {RUNS} fresh interpreters "
        f"(-X importtime, cumulative)"
    )
    width = max(len("function"), *(len(r[0]) for r in rows))
    print(f"{'function':<{width}}  {'ms':>6}  {'x boto3':>7}  heaviest {TOP} (self ms, by package)")
    print(f"{'(boto3)':<{width}}  {boto3_us / 1000:>6.0f}  {1:>6.2f}x")
    for name, total, shown in rows:
        print(f"{name:<{width}}  {total / 1000:>6.0f}  {total / boto3_us:>6.2f}x  {shown}")


if __name__ == "__main__":
    main()
