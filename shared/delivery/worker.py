"""Running delivery jobs (shared/delivery/jobs.py): what the delivery function does
with each invocation, and what a producer does itself when a job cannot be handed over.

- A batch of connections is posted to (shared/delivery/fanout.py); a post that
  still fails after its retries fails the job, so Lambda retries the batch (its
  delivered recipients may get the frame twice, never zero times) and, after the
  last retry, sends it to the dead-letter queue.
- A room's rest is read a first page of ``ROOM_FIRST_PAGE`` entries; a room larger
  still is split into ``ROOM_RANGES`` ranges of connection ids of equal width, each
  read by its own invocation (one 1 MB page at a time), so that 100,000 connections
  are read by 32 invocations at once rather than a chain of pages. What is left to
  read is handed on before the batches; the connections read go out as batch jobs;
  a job that found only one batch and nothing more posts it itself. Entries are read
  as bare (connection, user) pairs: no models for tens of thousands of them.
- A Scan segment of the connections table (a broadcast to everyone) is read the
  same way, one page per invocation, its next page handed on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from shared.config import settings
from shared.delivery import handover
from shared.delivery.fanout import FanoutResult, post_to_connections
from shared.delivery.jobs import Job
from shared.store import rooms
from shared.store.models import Connection, client_of

log = logging.getLogger(__name__)

# A room's rest is read a first page of ROOM_FIRST_PAGE entries (one Query); a room
# larger still is split into ROOM_RANGES parallel range Queries (each then read in
# 1 MB pages): 100,000 connections make ranges of ~3,000, each one page.
ROOM_FIRST_PAGE = 1000
ROOM_RANGES = 32
SCAN_SEGMENTS = 16  # parallel Scan segments of a broadcast to everyone


class DeliveryFailed(Exception):
    """Some posts of a batch failed after their retries: the batch is to be retried."""


def batches(targets: Sequence[str], frame: str, endpoint: str) -> list[Job]:
    size = settings().fanout_batch_size
    return [
        Job(frame, endpoint, connections=tuple(targets[i : i + size]))
        for i in range(0, len(targets), size)
    ]


def segments(frame: str, endpoint: str) -> list[Job]:
    """The jobs of a broadcast to every connection: one per Scan segment."""
    return [Job(frame, endpoint, segment=(i, SCAN_SEGMENTS)) for i in range(SCAN_SEGMENTS)]


def dispatch(jobs: list[Job]) -> FanoutResult:
    """Hand jobs to the delivery function; run here what could not be handed over."""
    result = FanoutResult()
    left = handover.hand_over(jobs) if handover.available() else jobs
    kept = {id(job) for job in left}
    for job in jobs:
        if id(job) not in kept:
            result.jobs += 1
            result.handed_over += len(job.connections)
    for job in left:
        result.merge(run(job, raise_on_failure=False))
    return result


def run(job: Job, raise_on_failure: bool = True) -> FanoutResult:
    """Deliver one job; DeliveryFailed (when asked) if a post failed for good."""
    result = FanoutResult()
    if job.connections:
        result.merge(post_to_connections(job.connections, job.frame, job.endpoint))
    if job.room is not None:
        result.merge(_read_on(job, *_room_page(job)))
    if job.segment is not None:
        result.merge(_read_on(job, *_segment_page(job)))
    if result.failed and raise_on_failure:
        raise DeliveryFailed(f"{len(result.failed)} of the batch's posts failed")
    return result


def _room_page(job: Job) -> tuple[list[tuple[str, str]], list[Job]]:
    assert job.room is not None
    first = job.between is None
    found, after = rooms.connections_page(
        job.room,
        limit=ROOM_FIRST_PAGE if first else None,
        after=job.after,
        between=job.between,
    )
    if after is None:
        return found, []
    if first:  # larger than the first page: read the rest in parallel ranges
        start = str(after["connectionId"]["S"])
        ranges = rooms.ranges_after(start, ROOM_RANGES)
        more = [
            replace(job, after=after if i == 0 else None, between=bounds)
            for i, bounds in enumerate(ranges)
        ]
        return found, more
    return found, [replace(job, after=after)]


def _segment_page(job: Job) -> tuple[list[tuple[str, str]], list[Job]]:
    assert job.segment is not None
    request: dict[str, Any] = {
        "TableName": Connection.Meta.table_name,
        "ProjectionExpression": "connectionId, userId",
        "Segment": job.segment[0],
        "TotalSegments": job.segment[1],
    }
    if job.after is not None:
        request["ExclusiveStartKey"] = job.after
    response = client_of(Connection).scan(**request)
    found = [
        (item["connectionId"]["S"], item.get("userId", {}).get("S", ""))
        for item in response.get("Items", [])
    ]
    after = response.get("LastEvaluatedKey")
    return found, [] if after is None else [replace(job, after=after)]


def _read_on(job: Job, found: list[tuple[str, str]], more: list[Job]) -> FanoutResult:
    """Deliver what a room or segment page found and hand on what is left to read."""
    targets = [cid for cid, uid in found if job.wants(cid, uid)]
    if not more and len(targets) <= settings().fanout_batch_size:
        return post_to_connections(targets, job.frame, job.endpoint)
    # What is left to read goes first: its invocations have the longest way to go.
    return dispatch(more + batches(targets, job.frame, job.endpoint))
