"""CloudWatch Embedded Metric Format (EMF): one JSON document per invocation on stdout.

Lambda ships stdout to CloudWatch Logs, which extracts the metrics declared in
``_aws.CloudWatchMetrics`` from the document's top-level keys (spec:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
Namespace ``Switchboard``; dimension sets ``[Function]`` and ``[Function, Route]``.
Dependency-free on purpose: the document is small.

Metrics: HandlerLatency (Milliseconds) and Errors (Count, 0 or 1) on every
invocation; MessagesSent on a stored new message; FanoutSize, Delivered, Gone
and FanoutFailures (Count) when the invocation fanned out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from shared import clock

NAMESPACE = "Switchboard"
DIMENSIONS = [["Function"], ["Function", "Route"]]
COUNT = "Count"
MILLISECONDS = "Milliseconds"
MAX_DIMENSION_CHARS = 250


def _dimension_value(value: str) -> str:
    """CloudWatch wants a non-empty string without leading ':' (kept short, printable)."""
    text = "".join(ch for ch in str(value) if ch.isprintable()).strip()[:MAX_DIMENSION_CHARS]
    return text.lstrip(":") or "unknown"


def document(
    metrics: Mapping[str, tuple[float, str]],
    dimensions: Mapping[str, str],
    properties: Mapping[str, Any] | None = None,
    namespace: str = NAMESPACE,
    timestamp_ms: int | None = None,
) -> dict[str, Any]:
    """An EMF document: ``metrics`` maps a name to (value, unit); ``dimensions`` are the
    keys of DIMENSIONS; ``properties`` are extra searchable keys (None values dropped;
    they never override a metric or a dimension)."""
    doc: dict[str, Any] = {
        "_aws": {
            "Timestamp": clock.now_ms() if timestamp_ms is None else timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [list(s) for s in DIMENSIONS],
                    "Metrics": [
                        {"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()
                    ],
                }
            ],
        }
    }
    for key, value in (properties or {}).items():
        if value is not None and key not in metrics and key not in dimensions and key != "_aws":
            doc[key] = value
    for key in {k for dims in DIMENSIONS for k in dims}:
        doc[key] = _dimension_value(dimensions.get(key, "unknown"))
    for name, (value, _) in metrics.items():
        doc[name] = value
    return doc


def invocation_document(
    *,
    function: str,
    route: str,
    latency_ms: float,
    errors: int = 0,
    fanout: Mapping[str, int] | None = None,
    messages_sent: int = 0,
    properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The document of one invocation (only the metrics that apply to it)."""
    values: dict[str, tuple[float, str]] = {
        "HandlerLatency": (float(latency_ms), MILLISECONDS),
        "Errors": (int(errors), COUNT),
    }
    if messages_sent:
        values["MessagesSent"] = (int(messages_sent), COUNT)
    if fanout is not None:
        delivered = int(fanout.get("delivered", 0))
        gone = int(fanout.get("gone", 0))
        failed = int(fanout.get("failed", 0))
        # What this invocation posted; connections handed to DeliveryFunction are
        # HandedOver here and counted in FanoutSize by the workers that post them, so
        # FanoutSize summed over functions counts each post once.
        values["FanoutSize"] = (delivered + gone + failed, COUNT)
        if "handedOver" in fanout:
            values["HandedOver"] = (int(fanout["handedOver"]), COUNT)
        values["Delivered"] = (delivered, COUNT)
        values["Gone"] = (gone, COUNT)
        values["FanoutFailures"] = (failed, COUNT)
    return document(values, {"Function": function, "Route": route}, properties)


def emit(doc: Mapping[str, Any]) -> None:
    """Write one document as one line on stdout (never raises: metrics must not fail a request)."""
    try:
        line = json.dumps(doc, default=str, separators=(",", ":"), allow_nan=False)
        print(line, file=sys.stdout, flush=True)
    except (TypeError, ValueError, OSError):
        pass
