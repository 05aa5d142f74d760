"""The calls' timers: the ring timeout and a dropped peer's grace period, as SQS messages
delayed by that many seconds (``DelaySeconds``), read by CallTimerFunction.

And while a call is answered, a ``watch`` timer every WATCH_SECONDS: a call whose record
expired without anyone settling it (every peer gone, no function left to say so) is
marked ended in the history rather than staying ``active`` there forever.

Why a queue: a function cannot wait 30 s for nobody to answer, the sweeper runs once a
minute, and Redis TTLs expire silently. An SQS message is durable (a crashed timer
function gets it again after the visibility timeout; after five failures it goes to a
dead-letter queue with an alarm), precise to about a second, and costs one SendMessage
per call. Each timer only asks a question of the call as it stands then ("still ringing?",
"still on the dropped connection?"), so a late, repeated or stale timer changes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.config import Config

from shared.botocore_clients import LazyClient
from shared.config import settings
from shared.retries import EVENTS

log = logging.getLogger(__name__)

RING = "ring"
GRACE = "grace"
WATCH = "watch"
# How often an answered call is looked at: SQS's longest delay. A call whose record is
# gone without being settled (shared/calls/lifecycle.py ``watch``) is marked ended.
WATCH_SECONDS = 900
MAX_DELAY_SECONDS = 900  # SQS's limit

_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": EVENTS.attempts},
    connect_timeout=EVENTS.connect_timeout_seconds,
    read_timeout=EVENTS.read_timeout_seconds,
)
client = LazyClient("sqs", _CONFIG)


def schedule(kind: str, call_id: str, delay_seconds: int, **details: str) -> None:
    """Ask the timer function about ``call_id`` in ``delay_seconds`` (one SendMessage)."""
    body = json.dumps({"kind": kind, "callId": call_id, **details}, separators=(",", ":"))
    client().send_message(
        QueueUrl=settings().call_timers_queue_url,
        MessageBody=body,
        DelaySeconds=max(0, min(MAX_DELAY_SECONDS, delay_seconds)),
    )


def parse(body: str) -> dict[str, Any] | None:
    """A timer message's content, or None (logged) when it is not one of ours."""
    try:
        timer = json.loads(body)
    except ValueError:
        timer = None
    if (
        not isinstance(timer, dict)
        or timer.get("kind") not in (RING, GRACE, WATCH)
        or not isinstance(timer.get("callId"), str)
    ):
        log.error("not a call timer: %.200s", body)
        return None
    return timer


def fire(records: list[dict[str, Any]], endpoint: str) -> list[str]:
    """Run each due timer of an SQS batch; the messageIds of those that failed (to be
    received again after the queue's visibility timeout). A message that is not a
    timer is dropped (logged), never retried."""
    from shared.calls import lifecycle  # the function's one job: imported when it runs

    failed: list[str] = []
    for record in records:
        timer = parse(str(record.get("body") or ""))
        if timer is None:
            continue
        try:
            if timer["kind"] == RING:
                lifecycle.ring_timeout(timer["callId"], endpoint)
            elif timer["kind"] == WATCH:
                lifecycle.watch(
                    timer["callId"],
                    str(timer.get("chatId")),
                    str(timer.get("messageKey")),
                    endpoint,
                )
            else:
                lifecycle.grace_over(timer["callId"], str(timer.get("connectionId")), endpoint)
        except Exception:
            log.exception("call timer %s failed", record.get("messageId"))
            failed.append(str(record.get("messageId")))
    return failed
