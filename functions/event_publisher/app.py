"""The event publisher: DynamoDB stream batches of the Messages, Chats and Members
tables in, their events out to EventBridge (shared/eventbus/streams.py).

Answers a partial batch response (ReportBatchItemFailures): when a record's events
could not be put, Lambda retries the batch from that record, so that no event is lost
and the ones before it are not put again.
"""

from __future__ import annotations

from typing import Any

from shared.eventbus import streams
from shared.invocation import GatewayEvent, lambda_handler
from shared.observability import log

logger = log.setup()


def _records(event: GatewayEvent) -> list[dict[str, Any]]:
    records = event.raw.get("Records")
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    """Retry the whole batch (from its first record) after an unexpected failure."""
    records = _records(event)
    first = (records[0].get("dynamodb") or {}).get("SequenceNumber") if records else None
    failures = [{"itemIdentifier": str(first)}] if first is not None else []
    return {"batchItemFailures": failures}, {"retryFrom": first}


@lambda_handler(route="event-publisher", fields=lambda event: {}, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    records = _records(event)
    retry_from = streams.publish_records(records)
    report.update(records=len(records), retryFrom=retry_from)
    failures = [{"itemIdentifier": retry_from}] if retry_from is not None else []
    return {"batchItemFailures": failures}
