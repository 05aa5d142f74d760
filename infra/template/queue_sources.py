"""SQS event source mappings of the template: Lambda polls a queue and invokes a function
with batches of its messages.

Owns reading one mapping, as a SAM `SQS` event (`Queue`) or an
`AWS::Lambda::EventSourceMapping` resource (`EventSourceArn`, `FunctionName`), the two
spelling their properties alike, into a `QueueSource`, checked as Lambda's
CreateEventSourceMapping checks it: BatchSize 1-10,000 (default 10; at most 10 for a FIFO
queue; over 10 only with MaximumBatchingWindowInSeconds of at least 1),
MaximumBatchingWindowInSeconds 0-300 (default 0), FunctionResponseTypes
(`ReportBatchItemFailures` only), ScalingConfig.MaximumConcurrency 2-1,000, FilterCriteria
(event patterns), and the queue's VisibilityTimeout (30 s unless set) at least the
function's timeout. KmsKeyArn, MetricsConfig and ProvisionedPollerConfig are accepted and
ignored. infra/template/reader.py finds the mappings; infra/runtime/sqs_sources.py runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from infra.template.intrinsics import TemplateError

if TYPE_CHECKING:
    from infra.template.reader import Function, Queue

# Lambda's bounds and defaults of an SQS event source mapping.
SQS_BATCH_SIZE, MAX_SQS_BATCH_SIZE, MAX_FIFO_BATCH_SIZE = 10, 10000, 10
MAX_SQS_BATCHING_WINDOW = 300
MIN_MAXIMUM_CONCURRENCY, MAX_MAXIMUM_CONCURRENCY = 2, 1000
DEFAULT_VISIBILITY_TIMEOUT = 30  # SQS's, for a queue that sets none
RESPONSE_TYPES = ("ReportBatchItemFailures",)


@dataclass(frozen=True)
class QueueSource:
    """An event source mapping of an SQS queue of the template."""

    logical_id: str  # the mapping's (SAM: `{Function}{Event}`)
    function_id: str
    queue_id: str
    event_source_arn: str  # the queue's ARN: each record's `eventSourceARN`
    batch_size: int = SQS_BATCH_SIZE
    batching_window: float = 0.0  # MaximumBatchingWindowInSeconds
    enabled: bool = True
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency
    filters: tuple[str, ...] = ()  # FilterCriteria patterns, JSON text


def is_queue_arn(arn: str) -> bool:
    return arn.startswith("arn:") and arn.split(":")[2:3] == ["sqs"]


def queue_source(
    logical_id: str,
    function: Function,
    queue: Queue,
    props: dict[str, Any],
    where: str,
) -> QueueSource:
    """One mapping of `queue` to `function` from its (resolved) properties."""
    from infra.template.reader import _bounded_int, _enabled, _pattern

    fifo = queue.name.endswith(".fifo")
    window = _bounded_int(
        props.get("MaximumBatchingWindowInSeconds"),
        0,
        0,
        MAX_SQS_BATCHING_WINDOW,
        f"{where}.MaximumBatchingWindowInSeconds",
    )
    batch_size = _bounded_int(
        props.get("BatchSize"),
        SQS_BATCH_SIZE,
        1,
        MAX_FIFO_BATCH_SIZE if fifo else MAX_SQS_BATCH_SIZE,
        f"{where}.BatchSize",
    )
    if batch_size > SQS_BATCH_SIZE and window < 1:
        raise TemplateError(
            f"{where}: a BatchSize over {SQS_BATCH_SIZE} needs a "
            "MaximumBatchingWindowInSeconds of at least 1"
        )
    response_types = [str(t) for t in props.get("FunctionResponseTypes") or []]
    unknown = [t for t in response_types if t not in RESPONSE_TYPES]
    if unknown:
        raise TemplateError(f"{where}.FunctionResponseTypes: {unknown[0]!r} is not one of ours")
    concurrency = (props.get("ScalingConfig") or {}).get("MaximumConcurrency")
    visibility = int(queue.attributes.get("VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT))
    if visibility < function.timeout:
        raise TemplateError(
            f"{where}: queue visibility timeout {visibility} s is less than function "
            f"{function.logical_id}'s timeout {function.timeout:g} s (Lambda refuses the mapping)"
        )
    filters = tuple(
        _pattern((spec or {}).get("Pattern"), f"{where}.FilterCriteria")
        for spec in (props.get("FilterCriteria") or {}).get("Filters") or []
    )
    return QueueSource(
        logical_id=logical_id,
        function_id=function.logical_id,
        queue_id=queue.logical_id,
        event_source_arn=queue.arn,
        batch_size=batch_size,
        batching_window=float(window),
        enabled=_enabled(props.get("Enabled", True)),
        report_batch_item_failures="ReportBatchItemFailures" in response_types,
        maximum_concurrency=None
        if concurrency is None
        else _bounded_int(
            concurrency,
            MIN_MAXIMUM_CONCURRENCY,
            MIN_MAXIMUM_CONCURRENCY,
            MAX_MAXIMUM_CONCURRENCY,
            f"{where}.ScalingConfig.MaximumConcurrency",
        ),
        filters=filters,
    )
