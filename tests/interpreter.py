"""Running code in a fresh interpreter (none of the test process's imports), for tests of
what a module imports or needs from its environment."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_fresh(code: str, env: Mapping[str, str], *args: str) -> dict[str, object]:
    """Run ``code`` (``python -c``, with ``args``) from the repository root in exactly
    ``env``; its last line of output, parsed as JSON."""
    answer = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result
