"""REST API entry point: the Starlette app of shared/rest behind Mangum (HTTP API events)."""

from __future__ import annotations

import json
from typing import Any

from mangum import Mangum

from shared.invocation import GatewayEvent, lambda_handler
from shared.observability import log
from shared.rest.app import app

logger = log.setup()
_asgi = Mangum(app, lifespan="off")


def _route(event: GatewayEvent) -> str | None:
    return log.rest_route(app, event.http_method, event.http_path)


def _fields(event: GatewayEvent) -> dict[str, Any]:
    return {
        "path": event.http_path,
        "requestId": event.request_id,
        "clientRequestId": log.client_request_id(event.headers.get("x-request-id")),
    }


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    body = {"error": {"code": "internal_error", "message": "internal error"}}
    response = {
        "statusCode": 500,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
    return response, {"status": 500}


@lambda_handler(route=_route, fields=_fields, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = _asgi(dict(event.raw), event.lambda_context)
    report["status"] = response.get("statusCode")
    return response
