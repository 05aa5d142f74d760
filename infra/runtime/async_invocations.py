"""Lambda's asynchronous invocation (`InvocationType=Event`), locally: the event queue,
retries, event age and destinations.

Owns, per function, the queue of events accepted with 202 and not yet run, their
attempts (at most the function pool's concurrency at a time, each in its own thread),
the retries of the failed ones and the record each final outcome sends to the function's
`EventInvokeConfig` destination, as Lambda does:

- an attempt fails on a function error, a timeout (`Sandbox.Timedout`) or a crashed
  worker (`Runtime.ExitError`); Lambda retries it `MaximumRetryAttempts` times (0-2),
  waiting one minute before the second attempt and two before the third. Locally those
  waits are compressed: retry k waits `k * retry_delay` seconds (`retry_delay`, the
  emulator's `async_retry_delay`, stands for Lambda's minute);
- an event older than `MaximumEventAgeInSeconds` when an attempt is due is not run but
  dropped. Its age is what it would be on Lambda: the real seconds since it was accepted
  plus, for each compressed wait, the part of Lambda's wait that was skipped. So an event
  with a 60-second maximum age that fails once is dropped when its retry is due (it is
  then over a minute old on Lambda too), while queueing and running count as they are;
- the final outcome (`Success`, `RetriesExhausted`, `EventAgeExceeded`) goes to the
  configured destination as Lambda's invocation record (`record`): a Lambda destination is
  invoked asynchronously here, an SQS one is handed to the sender registered for "SQS"
  (the emulator's `LocalQueues`); other kinds are logged and dropped.

Every attempt and outcome is logged (`switchboard.lambda.async`). `wait_idle` returns once
nothing is queued, running or waiting for a retry (and every record is delivered);
`close` runs nothing more and drops what is queued; `join` waits for the threads.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.runtime.pools import InvokeResult, LambdaRuntime
from infra.template.reader import LATEST, Destination, Function, find_function

log = logging.getLogger("switchboard.lambda.async")

# What Lambda waits before each retry of a failed event (seconds): 1 minute, then 2.
LAMBDA_RETRY_WAITS = (60.0, 120.0)
DEFAULT_RETRY_DELAY = 0.2
RECORD_VERSION = "1.0"


def iso_timestamp(epoch: float) -> str:
    """`2019-11-14T18:16:05.568Z`, as the invocation record's `timestamp`."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class AsyncEvent:
    """One event accepted for a function, through its attempts."""

    function_id: str
    request_id: str
    payload: Any
    accepted: float  # time.monotonic() when accepted
    attempts: int = 0
    skipped: float = 0.0  # seconds of Lambda's retry waits that the local waits skipped
    last: InvokeResult | None = None

    def age(self, now: float) -> float:
        """Seconds old as on Lambda (see the module docstring)."""
        return now - self.accepted + self.skipped


@dataclass(order=True)
class _Due:
    at: float
    seq: int
    event: AsyncEvent = field(compare=False)


def record(
    function: Function, event: AsyncEvent, condition: str, now: float | None = None
) -> dict[str, Any]:
    """Lambda's invocation record of an event's final outcome (`Success`,
    `RetriesExhausted` or `EventAgeExceeded`), sent to a destination."""
    out: dict[str, Any] = {
        "version": RECORD_VERSION,
        "timestamp": iso_timestamp(time.time() if now is None else now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{function.arn}:{LATEST}",
            "condition": condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": event.payload,
    }
    result = event.last
    if result is not None:  # an event dropped before any attempt has no response
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": LATEST}
        if not result.ok:
            context["functionError"] = "Unhandled"
        out["responseContext"] = context
        out["responsePayload"] = result.payload if result.ok else result.error
    return out


Sender = Callable[[str, str], Any]  # (destination ARN, message body)


class AsyncInvocations:
    """The asynchronous invocations of one runtime's functions (see the module docstring)."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        *,
        region: str,
        account_id: str,
        retry_delay: float = DEFAULT_RETRY_DELAY,
        senders: dict[str, Sender] | None = None,
        concurrency: int | None = None,
        name: str = "lambda-async",
    ) -> None:
        if retry_delay < 0:
            raise ValueError("retry_delay must not be negative")
        self.runtime = runtime
        self.region = region
        self.account_id = account_id
        self.retry_delay = retry_delay
        self.senders: dict[str, Sender] = dict(senders or {})
        self.concurrency = concurrency or runtime.settings.max_concurrency
        self.name = name  # the prefix of its threads' names
        self._cond = threading.Condition()
        self._queued: dict[str, deque[AsyncEvent]] = {fid: deque() for fid in runtime.functions}
        self._waiting: list[_Due] = []
        self._running: dict[str, int] = dict.fromkeys(runtime.functions, 0)
        self._threads: set[threading.Thread] = set()
        self._seq = itertools.count()
        self._closed = False
        self._dispatcher: threading.Thread | None = None

    # ---------------------------------------------------------------- accepting
    def submit(self, function_id: str, payload: Any, request_id: str | None = None) -> str:
        """Queue an event for `function_id` (a logical id); returns its request id. After
        `close`, the event is dropped (logged): the emulator is stopping."""
        if function_id not in self._queued:
            raise KeyError(f"no function {function_id} in the template")
        event = AsyncEvent(function_id, request_id or str(uuid.uuid4()), payload, time.monotonic())
        with self._cond:
            if self._closed:
                log.info("[%s] event %s dropped: stopping", function_id, event.request_id)
                return event.request_id
            self._queued[function_id].append(event)
            self._ensure_dispatcher()
            self._cond.notify_all()
        log.info("[%s] event %s queued", function_id, event.request_id)
        return event.request_id

    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = threading.Thread(
                target=self._dispatch, name=f"{self.name}-dispatch", daemon=True
            )
            self._dispatcher.start()

    # ---------------------------------------------------------------- state
    def _busy(self) -> bool:
        return any(self._queued.values()) or bool(self._waiting) or any(self._running.values())

    @property
    def pending(self) -> int:
        """Events queued, running or waiting for a retry."""
        with self._cond:
            return (
                sum(map(len, self._queued.values()))
                + len(self._waiting)
                + sum(self._running.values())
            )

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no event is queued, running or waiting for a retry (and every
        record is delivered); False if `timeout` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy(), timeout=timeout)

    # ---------------------------------------------------------------- running
    def _dispatch(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                now = time.monotonic()
                while self._waiting and self._waiting[0].at <= now:
                    due = heapq.heappop(self._waiting).event
                    self._queued[due.function_id].append(due)
                starting: list[AsyncEvent] = []
                for function_id, queued in self._queued.items():
                    while queued and self._running[function_id] < self.concurrency:
                        starting.append(queued.popleft())
                        self._running[function_id] += 1
                for event in starting:
                    thread = threading.Thread(
                        target=self._attempt,
                        args=(event,),
                        name=f"{self.name}-{event.function_id}",
                        daemon=True,
                    )
                    self._threads.add(thread)
                    thread.start()
                if not starting:
                    wait = self._waiting[0].at - now if self._waiting else None
                    self._cond.wait(wait)

    def _attempt(self, event: AsyncEvent) -> None:
        function = self.runtime.functions[event.function_id]
        config = function.event_invoke_config
        try:
            if self._closed:
                log.info("[%s] event %s dropped: stopping", event.function_id, event.request_id)
                return
            if event.age(time.monotonic()) > config.maximum_event_age_in_seconds:
                log.warning(
                    "[%s] event %s dropped after %d attempt(s): older than %ds",
                    event.function_id,
                    event.request_id,
                    event.attempts,
                    config.maximum_event_age_in_seconds,
                )
                self._finish(function, event, "EventAgeExceeded")
                return
            event.attempts += 1
            attempt = event.attempts
            try:
                result = self.runtime.invoke(event.function_id, event.payload, event.request_id)
            except Exception as exc:  # noqa: BLE001 - the runtime stopped under it
                result = InvokeResult(
                    event.request_id,
                    error={"errorMessage": str(exc), "errorType": "Runtime.Unavailable"},
                )
            event.last = result
            if self._closed:
                log.info("[%s] event %s cut short: stopping", event.function_id, event.request_id)
                return
            tries = f"attempt {attempt}/{config.maximum_retry_attempts + 1}"
            if result.ok:
                log.info("[%s] event %s %s: succeeded", event.function_id, event.request_id, tries)
                self._finish(function, event, "Success")
                return
            error = result.error or {}
            outcome = f"{error.get('errorType')}: {error.get('errorMessage')}"
            if attempt > config.maximum_retry_attempts:
                log.warning(
                    "[%s] event %s %s: failed (%s); retries exhausted",
                    event.function_id,
                    event.request_id,
                    tries,
                    outcome,
                )
                self._finish(function, event, "RetriesExhausted")
                return
            delay = attempt * self.retry_delay
            lambda_wait = LAMBDA_RETRY_WAITS[min(attempt, len(LAMBDA_RETRY_WAITS)) - 1]
            event.skipped += max(0.0, lambda_wait - delay)
            log.info(
                "[%s] event %s %s: failed (%s); retry in %gs (Lambda: %gs)",
                event.function_id,
                event.request_id,
                tries,
                outcome,
                delay,
                lambda_wait,
            )
            with self._cond:
                if not self._closed:
                    due = _Due(time.monotonic() + delay, next(self._seq), event)
                    heapq.heappush(self._waiting, due)
        except Exception:
            log.exception("[%s] event %s: the emulator failed", event.function_id, event.request_id)
        finally:
            with self._cond:
                self._running[event.function_id] -= 1
                self._threads.discard(threading.current_thread())
                self._cond.notify_all()

    # ---------------------------------------------------------------- destinations
    def _finish(self, function: Function, event: AsyncEvent, condition: str) -> None:
        config = function.event_invoke_config
        destination = config.on_success if condition == "Success" else config.on_failure
        if destination is None:
            if condition != "Success":
                log.warning(
                    "[%s] event %s discarded (%s): no on-failure destination",
                    function.logical_id,
                    event.request_id,
                    condition,
                )
            return
        self.deliver(destination, record(function, event, condition), function, event)

    def deliver(
        self,
        destination: Destination,
        invocation_record: dict[str, Any],
        function: Function,
        event: AsyncEvent,
    ) -> None:
        """Send a record to a destination; a failure to is logged (Lambda counts it as
        `DestinationDeliveryFailures`), never raised."""
        condition = invocation_record["requestContext"]["condition"]
        where = f"{destination.type} {destination.arn}"
        try:
            if destination.type == "Lambda":
                found = find_function(
                    self.runtime.functions.values(), destination.arn, self.region, self.account_id
                )
                if found is None or found[1] not in (None, LATEST):
                    raise KeyError(f"{destination.arn} is not a function of the template")
                target_id = self.submit(found[0].logical_id, invocation_record)
                sent = f"as event {target_id}"
            elif destination.type == "SQS" and destination.arn.endswith(".fifo"):
                raise ValueError("Lambda sends no invocation record to a FIFO queue")
            elif destination.type in self.senders:
                body = json.dumps(invocation_record)
                sent = f"as message {self.senders[destination.type](destination.arn, body)}"
            else:
                log.warning(
                    "[%s] event %s (%s): %s destinations are not emulated; record dropped",
                    function.logical_id,
                    event.request_id,
                    condition,
                    destination.type,
                )
                return
        except Exception as exc:  # noqa: BLE001 - Lambda only counts a failed delivery
            log.warning(
                "[%s] event %s (%s): DestinationDeliveryFailures: %s: %s",
                function.logical_id,
                event.request_id,
                condition,
                where,
                exc,
            )
            return
        level = logging.INFO if condition == "Success" else logging.WARNING
        log.log(
            level,
            "[%s] event %s (%s) recorded to %s %s",
            function.logical_id,
            event.request_id,
            condition,
            where,
            sent,
        )

    # ---------------------------------------------------------------- stopping
    def close(self) -> int:
        """Run nothing more: events queued or waiting for a retry are dropped (and
        counted, returned), later submissions too; running attempts end with the runtime."""
        with self._cond:
            if self._closed:
                return 0
            self._closed = True
            dropped = sum(map(len, self._queued.values())) + len(self._waiting)
            for queued in self._queued.values():
                queued.clear()
            self._waiting.clear()
            self._cond.notify_all()
        if dropped:
            log.info("%d asynchronous event(s) dropped: stopping", dropped)
        return dropped

    def join(self, timeout: float = 10.0) -> bool:
        """Wait for the dispatcher and the attempts in flight (after `close`, and after the
        runtime stopped, they end promptly); False if some thread is still alive."""
        deadline = time.monotonic() + timeout
        if self._dispatcher is not None:
            self._dispatcher.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in [self._dispatcher, *threads] if t is not None and t.is_alive()]
        if alive:
            log.warning("%d asynchronous invocation thread(s) still running", len(alive))
        return not alive

    def stop(self, timeout: float = 10.0) -> bool:
        self.close()
        return self.join(timeout)
