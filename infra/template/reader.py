"""The SAM template as the emulator sees it: functions, the WebSocket API, the HTTP API, tables.

Loads template.yaml with cfn-lint's decoder, resolves intrinsics (see intrinsics.py) and
builds plain dataclasses (including each function's EventBridge schedules and the Lambda
authorizer guarding each HTTP API route). Nothing about particular routes or functions is
hard-coded here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

from infra.template.intrinsics import Resolver, TemplateError

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")
_FUNCTION_IN_URI = re.compile(r"functions/(arn:[^/]+:function:[^/:]+)(?::[^/]+)?/invocations")
SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")


@dataclass
class Schedule:
    """One EventBridge schedule of a function (a SAM `Schedule` or `ScheduleV2` event)."""

    function_id: str
    event_name: str
    expression: str  # `rate(5 minutes)`, `cron(* * * * ? *)`, as written
    rule_name: str
    enabled: bool = True
    input: str | None = None  # a JSON document sent instead of the Scheduled Event


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

    @property
    def schedules(self) -> list[Schedule]:
        return [s for function in self.functions.values() for s in function.schedules]

    def rewrite_environment(self, old_host: str, new_host: str) -> None:
        """Point every function environment value that names `old_host` at `new_host`."""
        for function in self.functions.values():
            for key, value in function.environment.items():
                if old_host in value:
                    function.environment[key] = value.replace(old_host, new_host)


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
        return out

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
        """The routes of the HttpApi events, each with the authorizer that guards it: the
        event's `Auth.Authorizer` (NONE: none), else its API's `Auth.DefaultAuthorizer`."""
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
                authorizer = None
                if name is not None and str(name) != "NONE":
                    authorizer = authorizers.get(api_id, {}).get(str(name))
                    if authorizer is None:
                        raise TemplateError(
                            f"{function.logical_id}.{event_name}: no authorizer {name} on its API"
                        )
                routes.append(HttpRoute(function.logical_id, method, path, api_id, authorizer))
        return routes

    def tables(self) -> dict[str, Table]:
        out: dict[str, Table] = {}
        for lid, res in self.of_type("AWS::DynamoDB::Table").items():
            props = self.r.resolve(res.get("Properties") or {})
            name = self.r.physical_id(lid)
            out[lid] = Table(lid, name, table_create_kwargs(name, props), _ttl_attribute(props))
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
    )
