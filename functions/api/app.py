"""REST API entry point: the Starlette app of shared.rest behind Mangum (HTTP API events)."""

from __future__ import annotations

import json
from typing import Any

from mangum import Mangum

from shared.observability import calls, log
from shared.rest.app import app

logger = log.setup()
_asgi = Mangum(app, lifespan="off")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls.reset()
    ctx = event.get("requestContext") or {}
    http = ctx.get("http") or {}
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    invocation = log.begin(
        context,
        route=log.rest_route(app, http.get("method"), http.get("path")),
        path=http.get("path"),
        requestId=ctx.get("requestId"),
        clientRequestId=log.client_request_id(headers.get("x-request-id")),
    )
    try:
        response = _asgi(event, context)
    except Exception:
        logger.exception("REST request failed")
        response = {
            "statusCode": 500,
            "headers": {"content-type": "application/json"},
            "body": json.dumps({"error": {"code": "internal_error", "message": "internal error"}}),
        }
    invocation.finish(status=response.get("statusCode"), awsCalls=calls.counted())
    return response
