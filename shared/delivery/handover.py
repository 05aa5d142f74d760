"""Handing delivery jobs to the delivery function: asynchronous Lambda invocations.

Each job is one ``Invoke`` with ``InvocationType=Event``: Lambda answers 202 once
the event is queued, runs it in parallel with the others, retries a failed one
twice and sends one that still fails to the delivery dead-letter queue (the
template's ``EventInvokeConfig``). The jobs of one hand-over are invoked
concurrently, so handing over ten jobs costs about one round trip. botocore's
Lambda client (endpoint from ``AWS_ENDPOINT_URL_LAMBDA`` when set, as in the
emulator) is made on first use and kept: about 25 ms, paid only by the
containers that hand over.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from botocore.config import Config

from shared.botocore_clients import LazyClient
from shared.config import settings
from shared.delivery.jobs import Job
from shared.retries import LAMBDA

log = logging.getLogger(__name__)

# Lambda's limit on an asynchronous invocation's payload.
MAX_PAYLOAD_BYTES = 256 * 1024
CONCURRENCY = 16

_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": LAMBDA.attempts},
    connect_timeout=LAMBDA.connect_timeout_seconds,
    read_timeout=LAMBDA.read_timeout_seconds,
    max_pool_connections=CONCURRENCY,
)
_pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="handover")
# The Lambda client, made once per container and counted.
client = LazyClient("lambda", _CONFIG)


def available() -> bool:
    """Whether there is a delivery function to hand jobs to."""
    return bool(settings().delivery_function)


def _invoke(job: Job) -> bool:
    payload = job.to_payload()
    if len(payload) > MAX_PAYLOAD_BYTES:
        log.warning("delivery job of %d bytes is over the asynchronous limit", len(payload))
        return False
    try:
        response = client().invoke(
            FunctionName=settings().delivery_function, InvocationType="Event", Payload=payload
        )
    except Exception:
        log.exception("handing a delivery job over failed")
        return False
    return int(response.get("StatusCode", 0)) == 202


def hand_over(jobs: Sequence[Job]) -> list[Job]:
    """Invoke the delivery function once per job, concurrently. Returns the jobs that
    could not be handed over (the caller delivers those itself)."""
    if not jobs:
        return []
    if len(jobs) == 1:
        return [] if _invoke(jobs[0]) else [jobs[0]]
    handed = list(_pool.map(_invoke, jobs))
    return [job for job, ok in zip(jobs, handed, strict=True) if not ok]
