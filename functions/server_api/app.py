"""The server API's entry point: one command per call, from a Lambda invocation (under
IAM's ``lambda:InvokeFunction``) or from the HTTP API's ``POST /server/{command}``
(under AWS_IAM), answered by shared/server_api."""

from __future__ import annotations

from typing import Any

from shared.config import settings
from shared.invocation import GatewayEvent, lambda_handler
from shared.observability import log
from shared.server_api import answers

logger = log.setup()


def _route(event: GatewayEvent) -> str:
    return "server-api:https" if answers.is_http(event.raw) else "server-api:invoke"


def _fields(event: GatewayEvent) -> dict[str, Any]:
    """Who called, as far as the event says: the IAM caller of an HTTP request (a direct
    invocation carries no caller; CloudTrail records it)."""
    authorizer = event.context.get("authorizer")
    iam = authorizer.get("iam") if isinstance(authorizer, dict) else None
    caller = iam.get("userArn") if isinstance(iam, dict) else None
    return {"requestId": event.request_id, "caller": caller}


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    return answers.failed(answers.is_http(event.raw))


@lambda_handler(route=_route, fields=_fields, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    endpoint = settings().management_endpoint
    if answers.is_http(event.raw):
        response, fields = answers.http_request(event.raw, endpoint)
    else:
        response, fields = answers.invocation(dict(event.raw), endpoint)
    report.update(fields)
    return response
