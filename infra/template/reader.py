"""The SAM template as the emulator sees it: functions, the WebSocket API, the HTTP API,
tables, queues and alarms.

Loads template.yaml with cfn-lint's decoder, resolves intrinsics (see intrinsics.py) and
builds plain dataclasses (including each function's EventBridge schedules, its
asynchronous invocation settings (`EventInvokeConfig`, as SAM's property or an
`AWS::Lambda::EventInvokeConfig` resource), how each HTTP API route is authorized (a Lambda
authorizer, `AWS_IAM` or none) and the statements of the template's IAM policies, which
infra/gateway/iam.py evaluates). Nothing about particular routes or functions is
hard-coded here.
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

from infra.template.intrinsics import Resolver, TemplateError

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
    policies: dict[str, Policy] = field(default_factory=dict)

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
        for lid, res in self.of_type("AWS::ApiGatewayV2::Integration").items():
            props = self.r.resolve(res.get("Properties") or {})
            if belongs(props):
                integrations[lid] = self.function_for_uri(
                    str(props.get("IntegrationUri", "")), functions
                )
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


def load_template(
    path: str | Path,
    parameter_overrides: dict[str, str] | None = None,
    *,
    stack_name: str = "switchboard",
    region: str = "us-east-1",
) -> Template:
    """Decode and resolve a SAM template."""
    path = Path(path).resolve()
    raw, matches = decode(str(path))
    if raw is None:
        raise TemplateError(f"cannot parse {path}: {matches}")
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
    return Template(
        path=path,
        stack_name=stack_name,
        region=region,
        account_id=resolver.account_id,
        parameters=resolver.parameters,
        functions=functions,
        websocket_api=builder.websocket_api(functions),
        http_routes=builder.http_routes(functions),
        tables=builder.tables(),
        queues=builder.queues(),
        alarms=builder.alarms(),
        policies=builder.policies(),
    )
