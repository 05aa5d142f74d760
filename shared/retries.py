"""One retry policy per dependency: attempts in all, backoff between them, timeouts.

Every call to DynamoDB (PynamoDB's own and the batch writes' unprocessed
items) follows ``DYNAMODB``; every call to the Management API (the fan-out
poster and the botocore client) follows ``MANAGEMENT_API``; Redis is never
retried (``REDIS``: a short timeout, then the circuit breaker of
shared/state/redis_client.py answers at once); handing delivery jobs over (Lambda's
asynchronous Invoke) follows ``LAMBDA``; putting events on EventBridge ``EVENTS``; the
attachments bucket ``S3``. Each worst case stays inside
the functions' 10 s timeout, so an outage gives the client a retryable error
rather than API Gateway's "Internal server error".
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # in all, the first one included
    base_seconds: float  # the first backoff's ceiling; it doubles per attempt
    cap_seconds: float  # no backoff longer than this
    connect_timeout_seconds: float
    read_timeout_seconds: float

    def backoff(self, attempt: int) -> float:
        """Full jitter before retry number ``attempt + 1``: uniform in [0, base * 2^attempt],
        capped."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


# 3 attempts of at most 1 s + 2 s, plus backoff: about 10 s in the worst case.
DYNAMODB = RetryPolicy(
    attempts=3,
    base_seconds=0.05,
    cap_seconds=1.0,
    connect_timeout_seconds=1.0,
    read_timeout_seconds=2.0,
)
# A post normally takes milliseconds: 3 x 2 s bounds what one hung recipient costs;
# other recipients are posted concurrently meanwhile.
MANAGEMENT_API = RetryPolicy(
    attempts=3,
    base_seconds=0.05,
    cap_seconds=1.0,
    connect_timeout_seconds=1.0,
    read_timeout_seconds=2.0,
)
# Handing a delivery job to the delivery function (an asynchronous Invoke, answered
# 202 in tens of milliseconds once Lambda has queued it): two short attempts, so
# that a Lambda outage leaves the producer most of its timeout to deliver the job
# itself (shared/delivery/worker.py dispatch).
LAMBDA = RetryPolicy(
    attempts=2,
    base_seconds=0.05,
    cap_seconds=0.5,
    connect_timeout_seconds=0.5,
    read_timeout_seconds=1.0,
)
# Putting events on EventBridge (PutEvents, tens of milliseconds): three attempts; the
# stream consumer's batch is retried by Lambda beyond that, a lifecycle event is logged.
EVENTS = RetryPolicy(
    attempts=3,
    base_seconds=0.05,
    cap_seconds=1.0,
    connect_timeout_seconds=1.0,
    read_timeout_seconds=2.0,
)
# S3 (the attachments bucket: HeadObject, CopyObject, DeleteObjects): a copy of a
# 25 MiB file inside S3 takes well under a second, so reads are given 3 s.
S3 = RetryPolicy(
    attempts=3,
    base_seconds=0.05,
    cap_seconds=0.5,
    connect_timeout_seconds=1.0,
    read_timeout_seconds=3.0,
)
REDIS = RetryPolicy(
    attempts=1,
    base_seconds=0.0,
    cap_seconds=0.0,
    connect_timeout_seconds=0.5,
    read_timeout_seconds=0.5,
)
