"""The delivery function: runs one delivery job per asynchronous invocation
(shared/delivery/jobs.py, shared/delivery/worker.py).

Other functions hand it the fan-outs larger than the inline limit. A job whose
posts fail for good raises, so that Lambda retries it (twice) and then sends it
to the delivery dead-letter queue; a payload that is not a job is logged and
dropped, since no retry could make it one.
"""

from __future__ import annotations

from typing import Any

from shared import errors
from shared.delivery import worker
from shared.delivery.jobs import Job
from shared.invocation import GatewayEvent, lambda_handler
from shared.observability import log

logger = log.setup()


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    return {"failed": True}, {"failed": True}


@lambda_handler(route="delivery", fields=lambda event: {}, failure=_failed, retried=True)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    try:
        job = Job.from_payload(event.raw)
    except errors.Invalid as invalid:
        logger.error("not a delivery job, dropped: %s", invalid.message)
        report["error"] = "invalid_job"
        return {"dropped": True}
    report["job"] = "batch" if job.connections else "room" if job.room else "segment"
    result = worker.run(job)
    report["fanout"] = result
    return result.as_dict()
