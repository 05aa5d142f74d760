"""The call timer: SQS batches of due call timers in (a call still ringing after its ring
timeout is missed; a peer still on a dropped connection after its grace period leaves),
shared/calls/timers.py. Answers a partial batch response (ReportBatchItemFailures): only
the timers that failed are received again."""

from __future__ import annotations

from typing import Any

from shared.calls import timers
from shared.config import settings
from shared.invocation import GatewayEvent, lambda_handler
from shared.observability import log

logger = log.setup()


def _records(event: GatewayEvent) -> list[dict[str, Any]]:
    records = event.raw.get("Records")
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every timer of the batch again, after an unexpected failure."""
    ids = [str(r.get("messageId")) for r in _records(event)]
    return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}, {"failed": len(ids)}


@lambda_handler(route="call-timer", fields=lambda event: {}, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    records = _records(event)
    failed = timers.fire(records, settings().management_endpoint)
    report.update(timers=len(records), failed=len(failed))
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
