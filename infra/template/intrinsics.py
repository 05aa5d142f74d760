"""Resolution of CloudFormation intrinsic functions against a local, fake deployment.

Owns: Ref (parameters, pseudo-parameters, resources), Fn::Sub, Fn::GetAtt, Fn::Join,
Fn::Select, Fn::Split, Fn::If and the condition functions. Resources resolve to
deterministic local physical ids (see `physical_id`): a function's name is its
`FunctionName` or `{stack}-{logical id}`, a queue's (`AWS::SQS::Queue`) its `QueueName` or
`{stack}-{logical id}` (`.fifo` added for a FIFO queue), and `Ref` of a queue is its URL as
AWS spells it (`https://sqs.{region}.amazonaws.com/{account}/{name}`). An event bus
(`AWS::Events::EventBus`) is its `Name`, a rule (`AWS::Events::Rule`) its `Name` or
`{stack}-{logical id}`. `!GetAtt Table.StreamArn` is the table's ARN with a fixed stream
label (`STREAM_LABEL`): DynamoDB's label is the stream's creation time, which only the
running emulator knows (`infra/runtime/streams.py` maps the one to the other by table).
A bucket (`AWS::S3::Bucket`) is its `BucketName`, else a valid bucket name made from the
stack and logical id (`bucket_name`); its ARN is `arn:aws:s3:::{name}` (no region, no
account), and `DomainName` / `RegionalDomainName` / `WebsiteURL` are spelled as on AWS.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
NO_VALUE = object()
STREAM_LABEL = "1970-01-01T00:00:00.000"

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def short_id(*parts: str, length: int = 10) -> str:
    """A deterministic lowercase id in API Gateway's style (e.g. `a1b2c3d4e5`)."""
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return digest[:length]


class TemplateError(ValueError):
    """The template uses something the emulator cannot resolve."""


@dataclass
class Resolver:
    """Resolves intrinsic functions of one template."""

    resources: dict[str, Any]
    parameters: dict[str, str]
    conditions: dict[str, Any] = field(default_factory=dict)
    stack_name: str = "switchboard"
    region: str = "us-east-1"
    account_id: str = ACCOUNT_ID
    _condition_cache: dict[str, bool] = field(default_factory=dict)

    # ---------------------------------------------------------------- ids
    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{PARTITION}:cloudformation:{self.region}:{self.account_id}:"
                f"stack/{self.stack_name}/{short_id(self.stack_name, length=8)}"
            ),
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::NoValue": None,
        }.get(name)

    def physical_id(self, logical_id: str) -> str:
        """What `Ref` returns for a resource."""
        resource = self.resources[logical_id]
        rtype = resource.get("Type", "")
        props = resource.get("Properties") or {}
        if rtype == "AWS::DynamoDB::Table":
            name = props.get("TableName")
            return str(self.resolve(name)) if name else f"{self.stack_name}-{logical_id}"
        if rtype in ("AWS::ApiGatewayV2::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::Api"):
            return short_id(self.stack_name, logical_id)
        if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            name = props.get("FunctionName")
            return str(self.resolve(name)) if name else f"{self.stack_name}-{logical_id}"
        if rtype == "AWS::SQS::Queue":
            return self.queue_url(logical_id)
        if rtype == "AWS::Events::EventBus":
            return str(self.resolve(props.get("Name")) or logical_id)
        if rtype == "AWS::Events::Rule":
            name = props.get("Name")
            return str(self.resolve(name)) if name else f"{self.stack_name}-{logical_id}"
        if rtype == "AWS::S3::Bucket":
            name = props.get("BucketName")
            return str(self.resolve(name)) if name else bucket_name(self.stack_name, logical_id)
        if rtype in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return f"arn:{PARTITION}:lambda:{self.region}:{self.account_id}:layer:{logical_id}:1"
        # Routes, integrations, authorizers, stages...: the logical id itself, so
        # that `integrations/${X}` and `AuthorizerId: !Ref X` point back at X.
        return logical_id

    def queue_name(self, logical_id: str) -> str:
        """The name of an `AWS::SQS::Queue`: its QueueName, else one made from the stack
        (CloudFormation adds a random suffix; a local deployment needs none)."""
        props = self.resources[logical_id].get("Properties") or {}
        name = props.get("QueueName")
        if name:
            return str(self.resolve(name))
        fifo = str(self.resolve(props.get("FifoQueue", False))).lower() == "true"
        return f"{self.stack_name}-{logical_id}" + (".fifo" if fifo else "")

    def queue_url(self, logical_id: str) -> str:
        name = self.queue_name(logical_id)
        return f"https://sqs.{self.region}.{URL_SUFFIX}/{self.account_id}/{name}"

    def queue_arn(self, logical_id: str) -> str:
        name = self.queue_name(logical_id)
        return f"arn:{PARTITION}:sqs:{self.region}:{self.account_id}:{name}"

    def function_arn(self, logical_id: str) -> str:
        name = self.physical_id(logical_id)
        return f"arn:{PARTITION}:lambda:{self.region}:{self.account_id}:function:{name}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"Fn::GetAtt of unknown resource {logical_id}")
        rtype = self.resources[logical_id].get("Type", "")
        physical = self.physical_id(logical_id)
        if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function") and attribute == "Arn":
            return self.function_arn(logical_id)
        if rtype == "AWS::SQS::Queue":
            attributes = {
                "Arn": self.queue_arn,
                "QueueName": self.queue_name,
                "QueueUrl": self.queue_url,
            }
            if attribute not in attributes:
                raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: no such attribute")
            return attributes[attribute](logical_id)
        if rtype == "AWS::DynamoDB::Table":
            arn = f"arn:{PARTITION}:dynamodb:{self.region}:{self.account_id}:table/{physical}"
            if attribute == "StreamArn":
                props = self.resources[logical_id].get("Properties") or {}
                if not props.get("StreamSpecification"):
                    raise TemplateError(
                        f"Fn::GetAtt {logical_id}.StreamArn: the table has no StreamSpecification"
                    )
            return arn if attribute == "Arn" else f"{arn}/stream/{STREAM_LABEL}"
        if rtype == "AWS::S3::Bucket":
            return self.bucket_attribute(logical_id, physical, attribute)
        if rtype == "AWS::Events::EventBus" and attribute in ("Arn", "Name"):
            arn = f"arn:{PARTITION}:events:{self.region}:{self.account_id}:event-bus/{physical}"
            return arn if attribute == "Arn" else physical
        if rtype == "AWS::Events::Rule" and attribute == "Arn":
            props = self.resources[logical_id].get("Properties") or {}
            bus = bus_name(str(self.resolve(props.get("EventBusName")) or "default"))
            path = physical if bus == "default" else f"{bus}/{physical}"
            return f"arn:{PARTITION}:events:{self.region}:{self.account_id}:rule/{path}"
        if rtype == "AWS::ApiGatewayV2::Api" and attribute == "ApiEndpoint":
            return f"wss://{physical}.execute-api.{self.region}.{URL_SUFFIX}"
        if attribute == "Arn":
            service = rtype.split("::")[1].lower() if "::" in rtype else "local"
            return f"arn:{PARTITION}:{service}:{self.region}:{self.account_id}:{physical}"
        return physical

    def bucket_attribute(self, logical_id: str, name: str, attribute: str) -> str:
        """`Fn::GetAtt` of an `AWS::S3::Bucket`, as CloudFormation documents it."""
        attributes = {
            "Arn": f"arn:{PARTITION}:s3:::{name}",
            "DomainName": f"{name}.s3.{URL_SUFFIX}",
            "RegionalDomainName": f"{name}.s3.{self.region}.{URL_SUFFIX}",
            "DualStackDomainName": f"{name}.s3.dualstack.{self.region}.{URL_SUFFIX}",
            "WebsiteURL": f"http://{name}.s3-website-{self.region}.{URL_SUFFIX}",
        }
        if attribute not in attributes:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: no such attribute")
        return attributes[attribute]

    # ---------------------------------------------------------------- conditions
    def condition(self, name: str) -> bool:
        if name not in self._condition_cache:
            if name not in self.conditions:
                raise TemplateError(f"unknown condition {name}")
            self._condition_cache[name] = bool(self.resolve(self.conditions[name]))
        return self._condition_cache[name]

    # ---------------------------------------------------------------- resolution
    def resolve(self, node: Any) -> Any:
        """Return a plain-Python copy of `node` with every intrinsic resolved."""
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, value),) = node.items()
                handler = _FUNCTIONS.get(key)
                if handler is not None:
                    return handler(self, value)
            out = {}
            for key, value in node.items():
                resolved = self.resolve(value)
                if resolved is not None or value is None:
                    out[str(key)] = resolved
            return out
        if isinstance(node, list):
            items = [self.resolve(item) for item in node]
            return [
                item
                for item, raw in zip(items, node, strict=True)
                if item is not None or raw is None
            ]
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str(node)
        return node

    def ref(self, name: Any) -> Any:
        name = str(self.resolve(name))
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.physical_id(name)
        raise TemplateError(f"Ref to unknown name {name}")

    def sub(self, value: Any) -> str:
        if isinstance(value, list):
            text, variables = value[0], {str(k): v for k, v in (value[1] or {}).items()}
        else:
            text, variables = value, {}
        text = str(text)

        def replace(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(self.resolve(variables[expr]))
            if "." in expr and not expr.startswith("AWS::"):
                logical_id, attribute = expr.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(expr))

        return _SUB_VAR.sub(replace, text)


BUCKET_NAME_MAX = 63
_NOT_IN_BUCKET_NAME = re.compile(r"[^a-z0-9-]+")


def bucket_name(stack_name: str, logical_id: str) -> str:
    """The local name of a bucket without a `BucketName`: `{stack}-{logical id}` in S3's
    rules (3-63 characters, lowercase letters, digits and hyphens, starting and ending
    with a letter or digit). CloudFormation adds a random suffix; a local deployment
    needs none. A name too long is cut and given a short hash of the whole, so that two
    long names stay apart."""
    name = _NOT_IN_BUCKET_NAME.sub("-", f"{stack_name}-{logical_id}".lower()).strip("-")
    if len(name) > BUCKET_NAME_MAX:
        suffix = short_id(stack_name, logical_id, length=8)
        name = name[: BUCKET_NAME_MAX - len(suffix) - 1].rstrip("-") + "-" + suffix
    while len(name) < 3:
        name += "0"
    return name


def bus_name(reference: str) -> str:
    """An `EventBusName` (a name or an ARN, `arn:aws:events:...:event-bus/NAME`) -> the name."""
    if reference.startswith("arn:") and ":event-bus/" in reference:
        return reference.split(":event-bus/", 1)[1]
    return reference


def _get_att(r: Resolver, value: Any) -> str:
    if isinstance(value, str):
        logical_id, attribute = value.split(".", 1)
    else:
        logical_id, attribute = str(value[0]), str(r.resolve(value[1]))
    return r.get_att(logical_id, attribute)


def _join(r: Resolver, value: Any) -> str:
    delimiter, items = value
    resolved = r.resolve(items)
    return str(delimiter).join(str(item) for item in resolved)


def _select(r: Resolver, value: Any) -> Any:
    index, items = value
    return r.resolve(items)[int(r.resolve(index))]


def _split(r: Resolver, value: Any) -> list[str]:
    delimiter, text = value
    return str(r.resolve(text)).split(str(delimiter))


def _if(r: Resolver, value: Any) -> Any:
    name, when_true, when_false = value
    return r.resolve(when_true if r.condition(str(name)) else when_false)


def _equals(r: Resolver, value: Any) -> bool:
    left, right = (r.resolve(v) for v in value)
    return str(left) == str(right)


_FUNCTIONS: dict[str, Any] = {
    "Ref": Resolver.ref,
    "Fn::Sub": Resolver.sub,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": lambda r, v: not r.resolve(v[0]),
    "Fn::And": lambda r, v: all(r.resolve(x) for x in v),
    "Fn::Or": lambda r, v: any(r.resolve(x) for x in v),
    "Condition": lambda r, v: r.condition(str(v)),
    "Fn::GetAZs": lambda r, v: [f"{r.region}a", f"{r.region}b", f"{r.region}c"],
    "Fn::Base64": lambda r, v: __import__("base64").b64encode(str(r.resolve(v)).encode()).decode(),
}
