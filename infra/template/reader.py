"""The SAM template as the emulator sees it: functions, the WebSocket API, the HTTP API,
tables, queues, alarms, DynamoDB stream and SQS event sources, event buses and rules, S3
buckets.

Loads template.yaml with cfn-lint's decoder, resolves intrinsics (see intrinsics.py) and
builds plain dataclasses (including each function's EventBridge schedules, its
asynchronous invocation settings (`EventInvokeConfig`, as SAM's property or an
`AWS::Lambda::EventInvokeConfig` resource), how each HTTP API route is authorized (a Lambda
authorizer, `AWS_IAM` or none), the statements of the template's IAM policies (which
infra/gateway/iam.py evaluates), the event source mappings of DynamoDB streams (SAM
`DynamoDB` events or `AWS::Lambda::EventSourceMapping` resources), those of SQS queues
(queue_sources.py) and the EventBridge rules whose targets are functions
(`AWS::Events::Rule` resources or SAM `EventBridgeRule` / `CloudWatchEvent` events)).
Nothing about particular routes or functions is hard-coded here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

from infra.template.intrinsics import Resolver, TemplateError, bus_name
from infra.template.queue_sources import QueueSource, is_queue_arn, queue_source

log = logging.getLogger("switchboard.template")

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
_FUNCTION_IN_URI = re.compile(r"functions/(arn:[^/]+:function:[^/:]+)(?::[^/]+)?/invocations")
SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")
LATEST = "$LATEST"
# Lambda's bounds and defaults of asynchronous invocation (PutFunctionEventInvokeConfig).
MAX_RETRY_ATTEMPTS = 2
MIN_EVENT_AGE, MAX_EVENT_AGE = 60, 21600
DESTINATION_TYPES = ("SQS", "SNS", "Lambda", "EventBridge", "S3Bucket")
_DESTINATION_BY_SERVICE = {
    "sqs": "SQS",
    "sns": "SNS",
    "lambda": "Lambda",
    "events": "EventBridge",
    "s3": "S3Bucket",
}


@dataclass
class Schedule:
    """One EventBridge schedule of a function (a SAM `Schedule` or `ScheduleV2` event)."""

    function_id: str
    event_name: str
    expression: str  # `rate(5 minutes)`, `cron(* * * * ? *)`, as written
    rule_name: str
    enabled: bool = True
    input: str | None = None  # a JSON document sent instead of the Scheduled Event


@dataclass(frozen=True)
class Destination:
    """Where Lambda sends the record of an asynchronous invocation (`OnSuccess`/`OnFailure`)."""

    type: str  # one of DESTINATION_TYPES
    arn: str


@dataclass(frozen=True)
class EventInvokeConfig:
    """How Lambda handles a function's asynchronous (`Event`) invocations: how many times a
    failed one is retried (0-2), how old an event may get before it is dropped (60-21600
    seconds), and where the record of a success or of a final failure goes. The defaults are
    Lambda's, for a function that configures nothing."""

    maximum_retry_attempts: int = MAX_RETRY_ATTEMPTS
    maximum_event_age_in_seconds: int = MAX_EVENT_AGE
    on_success: Destination | None = None
    on_failure: Destination | None = None


@dataclass
class Function:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: float = 3.0
    memory_size: int = 128
    runtime: str = "python3.12"
    layer_dirs: list[Path] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    event_invoke_config: EventInvokeConfig = field(default_factory=EventInvokeConfig)


@dataclass
class Authorizer:
    logical_id: str
    function_id: str
    identity_sources: list[str]
    authorizer_type: str = "REQUEST"


@dataclass
class Route:
    route_key: str
    logical_id: str
    function_id: str | None
    authorizer: Authorizer | None = None
    has_route_response: bool = False
    # A MOCK integration: API Gateway answers the route itself (no function runs).
    mock: bool = False


@dataclass
class WebSocketApi:
    logical_id: str
    api_id: str
    route_selection_expression: str
    routes: dict[str, Route] = field(default_factory=dict)


@dataclass
class HttpAuthorizer:
    """A Lambda authorizer of an HTTP API (SAM `Auth.Authorizers.<name>` with FunctionArn)."""

    name: str
    function_id: str
    identity_sources: list[str]  # `$request.header.Authorization`, `$request.querystring.x`
    payload_format: str = "2.0"
    simple_responses: bool = False
    ttl: float = 0.0  # ReauthorizeEvery: how long a result is cached per identity


@dataclass
class HttpRoute:
    function_id: str
    method: str
    path: str
    api_id: str
    authorizer: HttpAuthorizer | None = None
    # NONE, CUSTOM (`authorizer` runs first) or AWS_IAM (a SigV4-signed caller allowed
    # `execute-api:Invoke` on the route's ARN), as API Gateway's route AuthorizationType.
    authorization: str = "NONE"

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}" if self.path != "$default" else "$default"


@dataclass
class Table:
    logical_id: str
    name: str
    create_kwargs: dict[str, Any]
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class CorsRule:
    """One rule of an `AWS::S3::Bucket`'s `CorsConfiguration` (S3's `CORSRule`)."""

    allowed_methods: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    exposed_headers: tuple[str, ...] = ()
    max_age: int | None = None
    id: str | None = None


@dataclass
class Bucket:
    """An `AWS::S3::Bucket`: its name (what `Ref` gives), ARN, CORS rules and lifecycle
    rules (as the template writes them, resolved; the emulator expires nothing)."""

    logical_id: str
    name: str
    arn: str
    cors_rules: list[CorsRule] = field(default_factory=list)
    lifecycle_rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Queue:
    """An `AWS::SQS::Queue`: `url` and `arn` as on AWS (what `Ref` and `!GetAtt .Arn` give),
    `attributes` as SQS's CreateQueue takes them (strings; RedrivePolicy as JSON)."""

    logical_id: str
    name: str
    url: str
    arn: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def redrive_policy(self) -> dict[str, Any] | None:
        policy = self.attributes.get("RedrivePolicy")
        return json.loads(policy) if policy else None


@dataclass
class Alarm:
    """An `AWS::CloudWatch::Alarm` on one metric (alarms on metric math have no namespace)."""

    logical_id: str
    name: str
    namespace: str | None
    metric_name: str | None
    dimensions: dict[str, str]
    statistic: str | None
    period: int
    evaluation_periods: int
    threshold: float
    comparison_operator: str
    treat_missing_data: str = "missing"

    def breached_by(self, value: float) -> bool:
        """Whether `value` is on the alarming side of the threshold."""
        compare = {
            "GreaterThanThreshold": value > self.threshold,
            "GreaterThanOrEqualToThreshold": value >= self.threshold,
            "LessThanThreshold": value < self.threshold,
            "LessThanOrEqualToThreshold": value <= self.threshold,
        }
        return compare.get(self.comparison_operator, False)


# Lambda's bounds and defaults of a stream event source mapping (CreateEventSourceMapping).
STREAM_BATCH_SIZE, MAX_STREAM_BATCH_SIZE = 100, 10000
MAX_BATCHING_WINDOW = 300
MAX_STREAM_RETRIES = 10000
STARTING_POSITIONS = ("LATEST", "TRIM_HORIZON")
EVENT_RULE_TYPES = ("EventBridgeRule", "CloudWatchEvent")
DEFAULT_BUS = "default"


@dataclass(frozen=True)
class StreamSource:
    """An event source mapping of a DynamoDB stream: Lambda polls the stream of `table_id`
    and invokes `function_id` with batches of its records. `-1` (retries, record age) is
    Lambda's "until the record expires"."""

    logical_id: str  # the mapping's (SAM: `{Function}{Event}`)
    function_id: str
    table_id: str
    event_source_arn: str  # as the template spells it (see intrinsics.STREAM_LABEL)
    starting_position: str = "LATEST"
    batch_size: int = STREAM_BATCH_SIZE
    batching_window: float = 0.0  # MaximumBatchingWindowInSeconds
    enabled: bool = True
    filters: tuple[str, ...] = ()  # FilterCriteria patterns, JSON text
    maximum_retry_attempts: int = -1
    maximum_record_age: int = -1
    bisect_on_error: bool = False
    report_batch_item_failures: bool = False
    on_failure: Destination | None = None


@dataclass(frozen=True)
class RuleTarget:
    """A function target of an EventBridge rule: what it receives is the event, or `input`
    (a JSON text) instead, or the part of the event that `input_path` (JSONPath) selects."""

    id: str
    function_id: str
    input: str | None = None
    input_path: str | None = None


@dataclass
class EventRule:
    """An EventBridge rule on `bus` whose targets are functions of the template."""

    logical_id: str
    name: str
    bus: str  # the bus's name
    pattern: str  # the event pattern, JSON text
    enabled: bool
    targets: list[RuleTarget] = field(default_factory=list)


@dataclass
class Policy:
    """An `AWS::IAM::ManagedPolicy` or `AWS::IAM::Policy`: its resolved statements, and the
    roles, users and groups the template attaches it to (as written: names or ids)."""

    logical_id: str
    name: str
    statements: list[dict[str, Any]]
    attached_to: list[str] = field(default_factory=list)


@dataclass
class Template:
    path: Path
    stack_name: str
    region: str
    account_id: str
    parameters: dict[str, str]
    functions: dict[str, Function]
    websocket_api: WebSocketApi | None
    http_routes: list[HttpRoute]
    tables: dict[str, Table]
    queues: dict[str, Queue] = field(default_factory=dict)
    alarms: dict[str, Alarm] = field(default_factory=dict)
    stream_sources: list[StreamSource] = field(default_factory=list)
    queue_sources: list[QueueSource] = field(default_factory=list)
    event_buses: list[str] = field(default_factory=lambda: [DEFAULT_BUS])  # names
    event_rules: list[EventRule] = field(default_factory=list)
    policies: dict[str, Policy] = field(default_factory=dict)
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def bucket_named(self, name: str) -> Bucket | None:
        return next((b for b in self.buckets.values() if b.name == name), None)

    @property
    def schedules(self) -> list[Schedule]:
        return [s for function in self.functions.values() for s in function.schedules]

    def find_function(self, reference: str) -> tuple[Function, str | None] | None:
        """The function a Lambda API `FunctionName` names, and its qualifier (see
        `find_function`); None if it names none of the template's."""
        return find_function(self.functions.values(), reference, self.region, self.account_id)

    def queue_by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self.queues.values() if q.arn == arn), None)

    def alarms_on_queue(self, queue: Queue) -> list[Alarm]:
        return backlog_alarms(self.alarms.values(), queue)

    def rewrite_environment(self, old_host: str, new_host: str) -> None:
        """Point every function environment value that names `old_host` at `new_host`."""
        for function in self.functions.values():
            for key, value in function.environment.items():
                if old_host in value:
                    function.environment[key] = value.replace(old_host, new_host)


def backlog_alarms(alarms: Iterable[Alarm], queue: Queue) -> list[Alarm]:
    """The alarms on the queue's ApproximateNumberOfMessagesVisible (its backlog)."""
    return [
        alarm
        for alarm in alarms
        if alarm.namespace == "AWS/SQS"
        and alarm.metric_name == "ApproximateNumberOfMessagesVisible"
        and alarm.dimensions.get("QueueName") == queue.name
    ]


def parse_function_reference(reference: str) -> tuple[str | None, str | None, str, str | None]:
    """A Lambda API `FunctionName` -> (region, account, name, qualifier), the absent ones
    None. Lambda's forms: `name`, `name:qualifier`, `account:function:name[:qualifier]`,
    `arn:aws:lambda:region:account:function:name[:qualifier]`. ValueError otherwise."""
    parts = reference.split(":")
    region = account = qualifier = None
    if parts[0] == "arn":
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise ValueError(f"not a function ARN: {reference}")
        region, account, name = parts[3], parts[4], parts[6]
        qualifier = parts[7] if len(parts) == 8 else None
    elif len(parts) in (3, 4) and parts[1] == "function":
        account, name = parts[0], parts[2]
        qualifier = parts[3] if len(parts) == 4 else None
    elif len(parts) in (1, 2):
        name = parts[0]
        qualifier = parts[1] if len(parts) == 2 else None
    else:
        raise ValueError(f"not a function name: {reference}")
    if not name or qualifier == "":
        raise ValueError(f"not a function name: {reference}")
    return region, account, name, qualifier


def find_function(
    functions: Iterable[Function], reference: str, region: str, account_id: str
) -> tuple[Function, str | None] | None:
    """The function that `reference` names (its name, ARN or partial ARN, or, as SAM's
    `start-lambda` allows, its logical id; optionally with a qualifier), and the qualifier;
    None if no function of this deployment (region, account) has that name."""
    try:
        ref_region, ref_account, name, qualifier = parse_function_reference(reference)
    except ValueError:
        return None
    if ref_region not in (None, region) or ref_account not in (None, account_id):
        return None
    candidates = list(functions)
    for function in candidates:
        if function.name == name:
            return function, qualifier
    if ref_account is None:
        for function in candidates:
            if function.logical_id == name:
                return function, qualifier
    return None


def _destination_type(arn: str) -> str:
    parts = arn.split(":")
    service = parts[2] if len(parts) > 2 and parts[0] == "arn" else ""
    if service not in _DESTINATION_BY_SERVICE:
        raise TemplateError(f"destination {arn!r}: not a queue, topic, bus or function ARN")
    return _DESTINATION_BY_SERVICE[service]


def _bounded_int(value: Any, default: int, low: int, high: int, what: str) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TemplateError(f"{what}: {value!r} is not an integer") from None
    if not low <= number <= high:
        raise TemplateError(f"{what}: {number} is outside {low}-{high}")
    return number


def event_invoke_config(
    props: dict[str, Any], where: str, destination_of: Any = None
) -> EventInvokeConfig:
    """`MaximumRetryAttempts`, `MaximumEventAgeInSeconds` and `DestinationConfig` (as SAM's
    `EventInvokeConfig` property or an `AWS::Lambda::EventInvokeConfig` resource writes
    them), checked against Lambda's bounds. `destination_of(kind, spec)` supplies the ARN of a
    destination written without one (SAM creates an SQS queue or SNS topic for it)."""
    retries = _bounded_int(
        props.get("MaximumRetryAttempts"),
        MAX_RETRY_ATTEMPTS,
        0,
        MAX_RETRY_ATTEMPTS,
        f"{where}.MaximumRetryAttempts",
    )
    age = _bounded_int(
        props.get("MaximumEventAgeInSeconds"),
        MAX_EVENT_AGE,
        MIN_EVENT_AGE,
        MAX_EVENT_AGE,
        f"{where}.MaximumEventAgeInSeconds",
    )
    destinations: dict[str, Destination | None] = {"OnSuccess": None, "OnFailure": None}
    for kind, spec in (props.get("DestinationConfig") or {}).items():
        if kind not in destinations:
            raise TemplateError(f"{where}.DestinationConfig: unknown {kind}")
        spec = spec or {}
        arn = spec.get("Destination")
        declared = spec.get("Type")
        if declared is not None and declared not in DESTINATION_TYPES:
            raise TemplateError(f"{where}.{kind}: Type {declared!r} is none of {DESTINATION_TYPES}")
        if arn is None and destination_of is not None:
            arn = destination_of(kind, spec)
        if not arn:
            raise TemplateError(f"{where}.{kind}: no Destination")
        kind_of_arn = _destination_type(str(arn))
        if declared is not None and declared != kind_of_arn:
            raise TemplateError(f"{where}.{kind}: Type {declared} but {arn} is {kind_of_arn}")
        destinations[kind] = Destination(kind_of_arn, str(arn))
    return EventInvokeConfig(retries, age, destinations["OnSuccess"], destinations["OnFailure"])


def _sqs_attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


# AWS::SQS::Queue properties that are CreateQueue attributes of the same name.
QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)


def _parameters(raw: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, spec in (raw or {}).items():
        if name in overrides:
            values[name] = overrides[name]
        elif "Default" in (spec or {}):
            default = spec["Default"]
            values[name] = (
                ",".join(map(str, default)) if isinstance(default, list) else str(default)
            )
        else:
            raise TemplateError(f"parameter {name} has no default; pass it as an override")
    return values


def _merge_globals(props: dict[str, Any], globals_: dict[str, Any]) -> dict[str, Any]:
    """SAM Globals semantics: maps merge (function wins), lists append, scalars are overridden."""
    merged: dict[str, Any] = dict(globals_)
    for key, value in props.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = _merge_globals(value, base)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _enabled(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "disabled")
    return bool(value)


def _schedules(function_id: str, events: dict[str, Any], stack_name: str) -> list[Schedule]:
    """The `Schedule` / `ScheduleV2` events of one function."""
    out = []
    for event_name, event in events.items():
        if not isinstance(event, dict) or event.get("Type") not in SCHEDULE_EVENT_TYPES:
            continue
        props = event.get("Properties") or {}
        expression = props.get("Schedule", props.get("ScheduleExpression"))
        if not expression:
            raise TemplateError(f"{function_id}.{event_name}: a schedule without an expression")
        enabled = (
            _enabled(props.get("Enabled", True))
            and str(props.get("State", "ENABLED")).upper() != "DISABLED"
        )
        payload = props.get("Input")
        out.append(
            Schedule(
                function_id=function_id,
                event_name=str(event_name),
                expression=str(expression),
                rule_name=str(props.get("Name") or f"{stack_name}-{function_id}-{event_name}"),
                enabled=enabled,
                input=None if payload is None else str(payload),
            )
        )
    return out


def _code_uri(value: Any, base: Path, logical_id: str) -> Path:
    if isinstance(value, dict):
        raise TemplateError(f"{logical_id}: only local CodeUri/ContentUri paths are supported")
    return (base / str(value or ".")).resolve()


class _Builder:
    def __init__(self, raw: dict[str, Any], resolver: Resolver, base: Path) -> None:
        self.raw = raw
        self.r = resolver
        self.base = base
        self.resources: dict[str, Any] = raw.get("Resources") or {}
        # Functions whose $LATEST has an EventInvokeConfig, and the queues SAM would create.
        self.configured: set[str] = set()
        self.implicit_queues: dict[str, dict[str, Any]] = {}

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        return {
            lid: res
            for lid, res in self.resources.items()
            if res.get("Type") in types
            and ("Condition" not in res or self.r.condition(str(res["Condition"])))
        }

    def functions(self) -> dict[str, Function]:
        globals_ = self.r.resolve((self.raw.get("Globals") or {}).get("Function") or {})
        layers = {lid: self.r.physical_id(lid) for lid in self.of_type(*LAYER_TYPES)}
        layer_by_arn = {arn: lid for lid, arn in layers.items()}
        out: dict[str, Function] = {}
        for lid, res in self.of_type(*FUNCTION_TYPES).items():
            props = self.r.resolve(res.get("Properties") or {})
            if res["Type"] == "AWS::Serverless::Function":
                props = _merge_globals(props, globals_)
            code = props.get("CodeUri", props.get("Code"))
            events = props.get("Events") or {}
            env = (props.get("Environment") or {}).get("Variables") or {}
            layer_dirs = []
            for arn in props.get("Layers") or []:
                layer_id = layer_by_arn.get(arn)
                if layer_id is None:
                    continue  # an external layer: nothing local to add
                layer_props = self.resources[layer_id].get("Properties") or {}
                content = self.r.resolve(layer_props.get("ContentUri", layer_props.get("Content")))
                layer_dirs.append(_code_uri(content, self.base, layer_id))
            out[lid] = Function(
                logical_id=lid,
                name=self.r.physical_id(lid),
                arn=self.r.function_arn(lid),
                code_dir=_code_uri(code, self.base, lid),
                handler=str(props.get("Handler", "app.handler")),
                environment={str(k): _env_value(v) for k, v in env.items()},
                timeout=float(props.get("Timeout", 3)),
                memory_size=int(props.get("MemorySize", 128)),
                runtime=str(props.get("Runtime", "python3.12")),
                layer_dirs=layer_dirs,
                events=events,
                schedules=_schedules(lid, events, self.r.stack_name),
            )
            if props.get("EventInvokeConfig") is not None:
                out[lid].event_invoke_config = event_invoke_config(
                    props["EventInvokeConfig"] or {},
                    f"{lid}.EventInvokeConfig",
                    lambda kind, spec, lid=lid: self.sam_destination(lid, kind, spec),
                )
                self.configured.add(lid)
        self.apply_event_invoke_configs(out)
        return out

    def sam_destination(self, function_id: str, kind: str, spec: dict[str, Any]) -> str | None:
        """SAM creates the SQS queue (or SNS topic) of a destination given only a Type:
        `{Function}EventInvokeConfig{OnFailure|OnSuccess}Queue`, a queue with defaults."""
        lid = f"{function_id}EventInvokeConfig{kind}"
        if spec.get("Type") == "SQS":
            queue = self.r.resources.setdefault(
                lid + "Queue", {"Type": "AWS::SQS::Queue", "Properties": {}}
            )
            self.implicit_queues[lid + "Queue"] = queue
            return self.r.queue_arn(lid + "Queue")
        if spec.get("Type") == "SNS":
            return f"arn:aws:sns:{self.r.region}:{self.r.account_id}:{lid}Topic"
        return None

    def apply_event_invoke_configs(self, functions: dict[str, Function]) -> None:
        """`AWS::Lambda::EventInvokeConfig` resources: each names its function (name, ARN or
        partial ARN) and qualifier; only `$LATEST` runs locally (others are logged, unused)."""
        for lid, res in self.of_type("AWS::Lambda::EventInvokeConfig").items():
            props = self.r.resolve(res.get("Properties") or {})
            reference = str(props.get("FunctionName") or "")
            found = find_function(functions.values(), reference, self.r.region, self.r.account_id)
            if found is None:
                raise TemplateError(f"{lid}: FunctionName {reference!r} names no function")
            function, qualifier = found
            qualifier = str(props.get("Qualifier") or qualifier or "")
            if qualifier != LATEST:
                log.info("%s: qualifier %r is not run locally (only $LATEST)", lid, qualifier)
                continue
            if function.logical_id in self.configured:
                raise TemplateError(
                    f"{lid}: {function.logical_id} already has an EventInvokeConfig for $LATEST"
                )
            function.event_invoke_config = event_invoke_config(props, lid)
            self.configured.add(function.logical_id)

    def function_for_uri(self, uri: str, functions: dict[str, Function]) -> str | None:
        match = _FUNCTION_IN_URI.search(uri or "")
        if not match:
            return None
        for function in functions.values():
            if function.arn == match.group(1):
                return function.logical_id
        return None

    def websocket_api(self, functions: dict[str, Function]) -> WebSocketApi | None:
        apis = {
            lid: res
            for lid, res in self.of_type("AWS::ApiGatewayV2::Api").items()
            if (res.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
        }
        if not apis:
            return None
        api_lid = next(iter(apis))
        api_props = self.r.resolve(apis[api_lid].get("Properties") or {})
        api = WebSocketApi(
            logical_id=api_lid,
            api_id=self.r.physical_id(api_lid),
            route_selection_expression=str(
                api_props.get("RouteSelectionExpression", "$request.body.action")
            ),
        )

        def belongs(props: dict[str, Any]) -> bool:
            return props.get("ApiId") == api.api_id

        integrations: dict[str, str | None] = {}
        mocks: set[str] = set()
        for lid, res in self.of_type("AWS::ApiGatewayV2::Integration").items():
            props = self.r.resolve(res.get("Properties") or {})
            if belongs(props):
                integrations[lid] = self.function_for_uri(
                    str(props.get("IntegrationUri", "")), functions
                )
                if str(props.get("IntegrationType", "")).upper() == "MOCK":
                    mocks.add(lid)
        authorizers: dict[str, Authorizer] = {}
        for lid, res in self.of_type("AWS::ApiGatewayV2::Authorizer").items():
            props = self.r.resolve(res.get("Properties") or {})
            function_id = self.function_for_uri(str(props.get("AuthorizerUri", "")), functions)
            if belongs(props) and function_id:
                authorizers[lid] = Authorizer(
                    lid,
                    function_id,
                    list(props.get("IdentitySource") or []),
                    str(props.get("AuthorizerType", "REQUEST")),
                )
        responded = {
            str(self.r.resolve((res.get("Properties") or {}).get("RouteId")))
            for res in self.of_type("AWS::ApiGatewayV2::RouteResponse").values()
        }
        for lid, res in self.of_type("AWS::ApiGatewayV2::Route").items():
            props = self.r.resolve(res.get("Properties") or {})
            if not belongs(props):
                continue
            target = str(props.get("Target", ""))
            integration = target.split("/", 1)[1] if target.startswith("integrations/") else ""
            authorizer = None
            if props.get("AuthorizationType") == "CUSTOM":
                authorizer = authorizers.get(str(props.get("AuthorizerId")))
            route_key = str(props["RouteKey"])
            api.routes[route_key] = Route(
                route_key=route_key,
                logical_id=lid,
                function_id=integrations.get(integration),
                authorizer=authorizer,
                has_route_response=lid in responded,
                mock=integration in mocks,
            )
        return api

    def http_authorizers(
        self, auth: dict[str, Any], api: str, functions: dict[str, Function]
    ) -> dict[str, HttpAuthorizer]:
        """The Lambda authorizers of one HttpApi's `Auth` (JWT authorizers are refused)."""
        out: dict[str, HttpAuthorizer] = {}
        for name, spec in (auth.get("Authorizers") or {}).items():
            spec = spec or {}
            if "FunctionArn" not in spec:
                raise TemplateError(
                    f"{api}: authorizer {name} is not a Lambda authorizer (FunctionArn); "
                    "the emulator runs Lambda authorizers only"
                )
            arn = str(spec["FunctionArn"])
            function_id = next((f.logical_id for f in functions.values() if f.arn == arn), None)
            if function_id is None:
                raise TemplateError(f"{api}: authorizer {name} names no function of the template")
            payload_format = str(spec.get("AuthorizerPayloadFormatVersion", "2.0"))
            if payload_format != "2.0":
                raise TemplateError(
                    f"{api}: authorizer {name} uses payload format {payload_format}; "
                    "the emulator runs format 2.0 only"
                )
            identity = spec.get("Identity") or {}
            sources = [
                f"{prefix}{value}"
                for prefix, key in (
                    ("$request.header.", "Headers"),
                    ("$request.querystring.", "QueryStrings"),
                    ("$stageVariables.", "StageVariables"),
                    ("$context.", "Context"),
                )
                for value in identity.get(key) or []
            ]
            out[str(name)] = HttpAuthorizer(
                name=str(name),
                function_id=function_id,
                identity_sources=sources,
                payload_format=payload_format,
                simple_responses=_enabled(spec.get("EnableSimpleResponses", False)),
                ttl=float(identity.get("ReauthorizeEvery", 0) or 0) if sources else 0.0,
            )
        return out

    def http_routes(self, functions: dict[str, Function]) -> list[HttpRoute]:
        """The routes of the HttpApi events, each with how it is authorized: the event's
        `Auth.Authorizer` (NONE: none; AWS_IAM: SigV4 and IAM, which the API must enable
        with `EnableIamAuthorizer`, as SAM requires), else its API's `DefaultAuthorizer`."""
        apis: dict[str, dict[str, Any]] = {}  # physical id -> Auth
        implicit = self.r.resolve((self.raw.get("Globals") or {}).get("HttpApi") or {})
        apis["ServerlessHttpApi"] = implicit.get("Auth") or {}
        for lid, res in self.of_type("AWS::Serverless::HttpApi").items():
            props = self.r.resolve(res.get("Properties") or {})
            apis[self.r.physical_id(lid)] = props.get("Auth") or {}
        authorizers = {
            api_id: self.http_authorizers(auth, api_id, functions) for api_id, auth in apis.items()
        }
        routes = []
        for function in functions.values():
            for event_name, event in function.events.items():
                if event.get("Type") != "HttpApi":
                    continue
                props = event.get("Properties") or {}
                path = str(props.get("Path", "$default"))
                method = str(props.get("Method", "ANY")).upper()
                api_id = str(props.get("ApiId") or "ServerlessHttpApi")
                auth = apis.get(api_id, {})
                name = (props.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
                route = HttpRoute(function.logical_id, method, path, api_id)
                where = f"{function.logical_id}.{event_name}"
                if name is not None and str(name) == "AWS_IAM":
                    if not _enabled(auth.get("EnableIamAuthorizer", False)):
                        raise TemplateError(f"{where}: AWS_IAM needs its API's EnableIamAuthorizer")
                    route.authorization = "AWS_IAM"
                elif name is not None and str(name) != "NONE":
                    route.authorizer = authorizers.get(api_id, {}).get(str(name))
                    if route.authorizer is None:
                        raise TemplateError(f"{where}: no authorizer {name} on its API")
                    route.authorization = "CUSTOM"
                routes.append(route)
        return routes

    def policies(self) -> dict[str, Policy]:
        """`AWS::IAM::ManagedPolicy` and `AWS::IAM::Policy` resources, resolved."""
        out: dict[str, Policy] = {}
        for lid, res in self.of_type("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy").items():
            props = self.r.resolve(res.get("Properties") or {})
            document = props.get("PolicyDocument") or {}
            statements = document.get("Statement") or []
            if isinstance(statements, dict):
                statements = [statements]
            name = props.get("ManagedPolicyName") or props.get("PolicyName") or lid
            attached = [
                str(x) for key in ("Roles", "Users", "Groups") for x in props.get(key) or []
            ]
            out[lid] = Policy(lid, str(name), [dict(s) for s in statements], attached)
        return out

    def tables(self) -> dict[str, Table]:
        out: dict[str, Table] = {}
        for lid, res in self.of_type("AWS::DynamoDB::Table").items():
            props = self.r.resolve(res.get("Properties") or {})
            name = self.r.physical_id(lid)
            out[lid] = Table(lid, name, table_create_kwargs(name, props), _ttl_attribute(props))
        return out

    def buckets(self) -> dict[str, Bucket]:
        out: dict[str, Bucket] = {}
        for lid, res in self.of_type("AWS::S3::Bucket").items():
            props = self.r.resolve(res.get("Properties") or {})
            rules = (props.get("CorsConfiguration") or {}).get("CorsRules") or []
            lifecycle = (props.get("LifecycleConfiguration") or {}).get("Rules") or []
            out[lid] = Bucket(
                logical_id=lid,
                name=self.r.physical_id(lid),
                arn=self.r.get_att(lid, "Arn"),
                cors_rules=[_cors_rule(rule, f"{lid}.CorsConfiguration") for rule in rules],
                lifecycle_rules=[dict(rule) for rule in lifecycle],
            )
        return out

    def queues(self) -> dict[str, Queue]:
        out: dict[str, Queue] = {}
        found = {**self.of_type("AWS::SQS::Queue"), **self.implicit_queues}
        for lid, res in found.items():
            props = self.r.resolve(res.get("Properties") or {})
            attributes = {
                name: _sqs_attribute(props[name])
                for name in QUEUE_ATTRIBUTES
                if props.get(name) is not None
            }
            out[lid] = Queue(
                logical_id=lid,
                name=self.r.queue_name(lid),
                url=self.r.queue_url(lid),
                arn=self.r.queue_arn(lid),
                attributes=attributes,
            )
        return out

    def alarms(self) -> dict[str, Alarm]:
        out: dict[str, Alarm] = {}
        for lid, res in self.of_type("AWS::CloudWatch::Alarm").items():
            props = self.r.resolve(res.get("Properties") or {})
            dimensions = {
                str(d.get("Name")): str(d.get("Value")) for d in props.get("Dimensions") or []
            }
            namespace, metric = props.get("Namespace"), props.get("MetricName")
            out[lid] = Alarm(
                logical_id=lid,
                name=str(props.get("AlarmName") or f"{self.r.stack_name}-{lid}"),
                namespace=None if namespace is None else str(namespace),
                metric_name=None if metric is None else str(metric),
                dimensions=dimensions,
                statistic=None if props.get("Statistic") is None else str(props["Statistic"]),
                period=int(props.get("Period", 60)),
                evaluation_periods=int(props.get("EvaluationPeriods", 1)),
                threshold=float(props.get("Threshold", 0)),
                comparison_operator=str(props.get("ComparisonOperator", "")),
                treat_missing_data=str(props.get("TreatMissingData", "missing")),
            )
        return out

    # ---------------------------------------------------------------- stream sources
    def stream_sources(
        self, functions: dict[str, Function], tables: dict[str, Table]
    ) -> list[StreamSource]:
        """SAM `DynamoDB` events and `AWS::Lambda::EventSourceMapping` resources reading a
        table's stream (SQS mappings are queue_sources'; others, Kinesis, are logged and
        skipped)."""
        out: list[StreamSource] = []
        for function in functions.values():
            for event_name, event in function.events.items():
                if isinstance(event, dict) and event.get("Type") == "DynamoDB":
                    props = event.get("Properties") or {}
                    where = f"{function.logical_id}.{event_name}"
                    arn = str(props.get("Stream") or "")
                    out.append(
                        _stream_source(
                            f"{function.logical_id}{event_name}",
                            function,
                            arn,
                            props,
                            tables,
                            where,
                        )
                    )
        for lid, res in self.of_type("AWS::Lambda::EventSourceMapping").items():
            props = self.r.resolve(res.get("Properties") or {})
            arn = str(props.get("EventSourceArn") or "")
            if is_queue_arn(arn):
                continue  # see queue_sources
            if ":dynamodb:" not in arn or "/stream/" not in arn:
                log.info("%s: event source %s is not a DynamoDB stream; not run locally", lid, arn)
                continue
            reference = str(props.get("FunctionName") or "")
            found = find_function(functions.values(), reference, self.r.region, self.r.account_id)
            if found is None:
                raise TemplateError(f"{lid}: FunctionName {reference!r} names no function")
            out.append(_stream_source(lid, found[0], arn, props, tables, lid))
        return out

    # ---------------------------------------------------------------- queue sources
    def queue_sources(
        self, functions: dict[str, Function], queues: dict[str, Queue]
    ) -> list[QueueSource]:
        """SAM `SQS` events and `AWS::Lambda::EventSourceMapping` resources reading an SQS
        queue (see queue_sources.py). A queue that is not the template's is logged and
        skipped (nothing local to poll)."""
        by_arn = {queue.arn: queue for queue in queues.values()}
        found: list[tuple[str, Function, str, dict[str, Any], str]] = []
        for function in functions.values():
            for event_name, event in function.events.items():
                if isinstance(event, dict) and event.get("Type") == "SQS":
                    props = event.get("Properties") or {}
                    where = f"{function.logical_id}.{event_name}"
                    arn = str(props.get("Queue") or "")
                    found.append(
                        (f"{function.logical_id}{event_name}", function, arn, props, where)
                    )
        for lid, res in self.of_type("AWS::Lambda::EventSourceMapping").items():
            props = self.r.resolve(res.get("Properties") or {})
            arn = str(props.get("EventSourceArn") or "")
            if not is_queue_arn(arn):
                continue
            reference = str(props.get("FunctionName") or "")
            target = find_function(functions.values(), reference, self.r.region, self.r.account_id)
            if target is None:
                raise TemplateError(f"{lid}: FunctionName {reference!r} names no function")
            found.append((lid, target[0], arn, props, lid))
        out: list[QueueSource] = []
        for lid, function, arn, props, where in found:
            queue = by_arn.get(arn)
            if queue is None:
                log.warning("%s: %r is no queue of the template; not polled locally", where, arn)
                continue
            out.append(queue_source(lid, function, queue, props, where))
        return out

    # ---------------------------------------------------------------- EventBridge
    def event_buses(self) -> list[str]:
        """The names of the buses: `default` and each `AWS::Events::EventBus`."""
        names = [DEFAULT_BUS]
        for lid in self.of_type("AWS::Events::EventBus"):
            name = self.r.physical_id(lid)
            if name not in names:
                names.append(name)
        return names

    def event_rules(self, functions: dict[str, Function]) -> list[EventRule]:
        """The rules with an event pattern and at least one function target: each
        `AWS::Events::Rule` resource, and each SAM `EventBridgeRule` / `CloudWatchEvent`
        event (a rule whose only target is its function). A target that is no function of
        the template, or that has an InputTransformer, is logged and skipped."""
        out: list[EventRule] = []
        for lid, res in self.of_type("AWS::Events::Rule").items():
            props = self.r.resolve(res.get("Properties") or {})
            if props.get("EventPattern") is None:
                log.info("%s: a rule without an event pattern (a schedule?); not run locally", lid)
                continue
            targets = []
            for spec in props.get("Targets") or []:
                target = _rule_target(spec, str(spec.get("Id") or ""), functions, self.r, lid)
                if target is not None:
                    targets.append(target)
            if not targets:
                log.info("%s: no target is a function of the template; not run locally", lid)
                continue
            out.append(
                EventRule(
                    logical_id=lid,
                    name=self.r.physical_id(lid),
                    bus=bus_name(str(props.get("EventBusName") or DEFAULT_BUS)),
                    pattern=_pattern(props["EventPattern"], lid),
                    enabled=str(props.get("State", "ENABLED")).upper() != "DISABLED",
                    targets=targets,
                )
            )
        for function in functions.values():
            for event_name, event in function.events.items():
                if not isinstance(event, dict) or event.get("Type") not in EVENT_RULE_TYPES:
                    continue
                props = event.get("Properties") or {}
                where = f"{function.logical_id}.{event_name}"
                if props.get("Pattern") is None:
                    raise TemplateError(f"{where}: an {event['Type']} event without a Pattern")
                if props.get("InputTransformer") is not None:
                    log.warning("%s: InputTransformer is not emulated; event skipped", where)
                    continue
                target_id = str(
                    (props.get("Target") or {}).get("Id")
                    or f"{function.logical_id}{event_name}LambdaTarget"
                )
                out.append(
                    EventRule(
                        logical_id=f"{function.logical_id}{event_name}",
                        name=str(
                            props.get("RuleName")
                            or f"{self.r.stack_name}-{function.logical_id}{event_name}"
                        ),
                        bus=bus_name(str(props.get("EventBusName") or DEFAULT_BUS)),
                        pattern=_pattern(props["Pattern"], where),
                        enabled=_enabled(props.get("Enabled", True))
                        and str(props.get("State", "ENABLED")).upper() != "DISABLED",
                        targets=[
                            RuleTarget(
                                id=target_id,
                                function_id=function.logical_id,
                                input=None if props.get("Input") is None else str(props["Input"]),
                                input_path=(
                                    None
                                    if props.get("InputPath") is None
                                    else str(props["InputPath"])
                                ),
                            )
                        ],
                    )
                )
        return out


def _stream_source(
    logical_id: str,
    function: Function,
    arn: str,
    props: dict[str, Any],
    tables: dict[str, Table],
    where: str,
) -> StreamSource:
    """One mapping of a DynamoDB stream (SAM's event properties and the resource's are
    spelled alike), checked against Lambda's bounds."""
    table = _table_of_stream(arn, tables)
    if table is None:
        raise TemplateError(f"{where}: {arn!r} is the stream of no table of the template")
    position = str(props.get("StartingPosition") or "")
    if position not in STARTING_POSITIONS:
        raise TemplateError(
            f"{where}: StartingPosition {position!r} is none of {STARTING_POSITIONS}"
        )
    filters = []
    for spec in (props.get("FilterCriteria") or {}).get("Filters") or []:
        filters.append(_pattern((spec or {}).get("Pattern"), f"{where}.FilterCriteria"))
    on_failure = None
    failure = ((props.get("DestinationConfig") or {}).get("OnFailure")) or {}
    if failure:
        destination = failure.get("Destination")
        if not destination:
            raise TemplateError(f"{where}.DestinationConfig.OnFailure: no Destination")
        on_failure = Destination(_destination_type(str(destination)), str(destination))
    response_types = [str(t) for t in props.get("FunctionResponseTypes") or []]
    return StreamSource(
        logical_id=logical_id,
        function_id=function.logical_id,
        table_id=table.logical_id,
        event_source_arn=arn,
        starting_position=position,
        batch_size=_bounded_int(
            props.get("BatchSize"),
            STREAM_BATCH_SIZE,
            1,
            MAX_STREAM_BATCH_SIZE,
            f"{where}.BatchSize",
        ),
        batching_window=float(
            _bounded_int(
                props.get("MaximumBatchingWindowInSeconds"),
                0,
                0,
                MAX_BATCHING_WINDOW,
                f"{where}.MaximumBatchingWindowInSeconds",
            )
        ),
        enabled=_enabled(props.get("Enabled", True)),
        filters=tuple(filters),
        maximum_retry_attempts=_bounded_int(
            props.get("MaximumRetryAttempts"),
            -1,
            -1,
            MAX_STREAM_RETRIES,
            f"{where}.MaximumRetryAttempts",
        ),
        maximum_record_age=_bounded_int(
            props.get("MaximumRecordAgeInSeconds"),
            -1,
            -1,
            604800,
            f"{where}.MaximumRecordAgeInSeconds",
        ),
        bisect_on_error=_enabled(props.get("BisectBatchOnFunctionError", False)),
        report_batch_item_failures="ReportBatchItemFailures" in response_types,
        on_failure=on_failure,
    )


def _table_of_stream(arn: str, tables: dict[str, Table]) -> Table | None:
    """The table whose stream `arn` is (`arn:aws:dynamodb:R:A:table/NAME/stream/LABEL`)."""
    if "/stream/" not in arn or ":table/" not in arn:
        return None
    name = arn.split(":table/", 1)[1].split("/stream/", 1)[0]
    return next((t for t in tables.values() if t.name == name), None)


def _pattern(value: Any, where: str) -> str:
    """An event pattern (an object, or its JSON text) as JSON text, checked by moto's
    parser (EventBridge's rules: every leaf is an array, or an object)."""
    from moto.events.models import EventPattern

    text = value if isinstance(value, str) else json.dumps(value)
    try:
        EventPattern.load(text)
    except Exception as exc:  # moto's InvalidEventPatternException, or bad JSON
        raise TemplateError(f"{where}: invalid event pattern {text!r}: {exc}") from None
    return text


def _rule_target(
    spec: dict[str, Any],
    target_id: str,
    functions: dict[str, Function],
    resolver: Resolver,
    where: str,
) -> RuleTarget | None:
    arn = str(spec.get("Arn") or "")
    found = find_function(functions.values(), arn, resolver.region, resolver.account_id)
    if found is None or found[1] not in (None, LATEST):
        log.info(
            "%s: target %s (%s) is no function of the template; skipped", where, target_id, arn
        )
        return None
    if spec.get("InputTransformer") is not None:
        log.warning("%s: target %s: InputTransformer is not emulated; skipped", where, target_id)
        return None
    payload, path = spec.get("Input"), spec.get("InputPath")
    return RuleTarget(
        id=target_id,
        function_id=found[0].logical_id,
        input=None if payload is None else str(payload),
        input_path=None if path is None else str(path),
    )


def _string_list(value: Any) -> tuple[str, ...]:
    """A list property; a string is a `CommaDelimitedList` parameter's value (`Ref`
    gives its text here), so it is split at commas."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return tuple(str(item) for item in value)


CORS_METHODS = ("GET", "PUT", "HEAD", "POST", "DELETE")


def _cors_rule(spec: dict[str, Any], where: str) -> CorsRule:
    """A `CorsRules` item, checked as S3's PutBucketCors checks it."""
    methods = _string_list(spec.get("AllowedMethods"))
    origins = _string_list(spec.get("AllowedOrigins"))
    if not methods or not origins:
        raise TemplateError(f"{where}: a CORS rule needs AllowedMethods and AllowedOrigins")
    unknown = [m for m in methods if m not in CORS_METHODS]
    if unknown:
        raise TemplateError(f"{where}: AllowedMethods {unknown} are none of {CORS_METHODS}")
    max_age = spec.get("MaxAge")
    return CorsRule(
        allowed_methods=methods,
        allowed_origins=origins,
        allowed_headers=_string_list(spec.get("AllowedHeaders")),
        exposed_headers=_string_list(spec.get("ExposedHeaders")),
        max_age=None if max_age is None else _bounded_int(max_age, 0, 0, 2**31 - 1, where),
        id=None if spec.get("Id") is None else str(spec["Id"]),
    )


def _ttl_attribute(props: dict[str, Any]) -> str | None:
    ttl = props.get("TimeToLiveSpecification") or {}
    return str(ttl["AttributeName"]) if ttl.get("Enabled") and ttl.get("AttributeName") else None


def table_create_kwargs(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """AWS::DynamoDB::Table properties -> boto3 `create_table` keyword arguments."""
    provisioned = props.get("BillingMode", "PROVISIONED") == "PROVISIONED"
    throughput = props.get("ProvisionedThroughput") or {
        "ReadCapacityUnits": 5,
        "WriteCapacityUnits": 5,
    }

    def index(spec: dict[str, Any], with_throughput: bool) -> dict[str, Any]:
        out = {
            "IndexName": spec["IndexName"],
            "KeySchema": spec["KeySchema"],
            "Projection": spec.get("Projection") or {"ProjectionType": "ALL"},
        }
        if with_throughput:
            out["ProvisionedThroughput"] = spec.get("ProvisionedThroughput") or throughput
        return out

    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST",
    }
    if provisioned:
        kwargs["ProvisionedThroughput"] = throughput
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            index(g, provisioned) for g in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = [index(i, False) for i in props["LocalSecondaryIndexes"]]
    stream = props.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return kwargs


MERGED_SECTIONS = ("Parameters", "Conditions", "Resources", "Outputs")
_PATH_PROPERTIES = ("CodeUri", "ContentUri")


def _decode(path: Path) -> dict[str, Any]:
    raw, matches = decode(str(path))
    if raw is None:
        raise TemplateError(f"cannot parse {path}: {matches}")
    return dict(raw)


def merge_snippet(raw: dict[str, Any], snippet_path: Path) -> None:
    """Add a template snippet's parameters, conditions, resources and outputs to ``raw``
    as if pasted into it (the main template's Globals then apply to its functions), its
    code paths kept relative to the snippet's own folder. A name both define is an
    error: a snippet adds, it never replaces."""
    snippet = _decode(snippet_path)
    for resource in (snippet.get("Resources") or {}).values():
        props = resource.get("Properties") if isinstance(resource, dict) else None
        for key in _PATH_PROPERTIES:
            if isinstance(props, dict) and isinstance(props.get(key), str):
                props[key] = str((snippet_path.parent / props[key]).resolve())
    for section in MERGED_SECTIONS:
        added = snippet.get(section) or {}
        existing = raw.setdefault(section, {})
        clash = sorted(set(added) & set(existing))
        if clash:
            raise TemplateError(f"{snippet_path}: {section} {clash[0]} is already defined")
        existing.update(added)


def load_template(
    path: str | Path,
    parameter_overrides: dict[str, str] | None = None,
    *,
    stack_name: str = "switchboard",
    region: str = "us-east-1",
    snippets: list[Path] | tuple[Path, ...] = (),
) -> Template:
    """Decode and resolve a SAM template (and the snippets pasted into it: ``merge_snippet``)."""
    path = Path(path).resolve()
    raw = _decode(path)
    for snippet in snippets:
        merge_snippet(raw, Path(snippet).resolve())
    overrides = {str(k): str(v) for k, v in (parameter_overrides or {}).items()}
    resolver = Resolver(
        resources=raw.get("Resources") or {},
        parameters=_parameters(raw.get("Parameters") or {}, overrides),
        conditions=raw.get("Conditions") or {},
        stack_name=stack_name,
        region=region,
    )
    builder = _Builder(raw, resolver, path.parent)
    functions = builder.functions()
    tables = builder.tables()
    queues = builder.queues()
    return Template(
        path=path,
        stack_name=stack_name,
        region=region,
        account_id=resolver.account_id,
        parameters=resolver.parameters,
        functions=functions,
        websocket_api=builder.websocket_api(functions),
        http_routes=builder.http_routes(functions),
        tables=tables,
        queues=queues,
        alarms=builder.alarms(),
        stream_sources=builder.stream_sources(functions, tables),
        queue_sources=builder.queue_sources(functions, queues),
        event_buses=builder.event_buses(),
        event_rules=builder.event_rules(functions),
        policies=builder.policies(),
        buckets=builder.buckets(),
    )
