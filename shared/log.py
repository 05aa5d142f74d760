"""Structured JSON logs: one line per invocation with correlation fields; never tokens."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_configured = False


def setup() -> logging.Logger:
    """Route the root logger to stderr once per container (Lambda ships stderr to CloudWatch)."""
    global _configured
    if not _configured:
        root = logging.getLogger()
        if not root.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
            root.addHandler(handler)
        root.setLevel(logging.INFO)
        for noisy in ("botocore", "pynamodb", "mangum"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _configured = True
    return logging.getLogger("switchboard")


def invocation(started: float, **fields: Any) -> None:
    """Write one JSON line describing an invocation (route, ids, outcome, latency, AWS calls)."""
    record = {"level": "INFO", "latencyMs": round((time.perf_counter() - started) * 1000, 2)}
    record.update({k: v for k, v in fields.items() if v is not None})
    print(json.dumps(record, default=str, separators=(",", ":")), file=sys.stderr, flush=True)
