"""REST API entry point: the Starlette app of shared.rest behind Mangum (HTTP API events)."""

from __future__ import annotations

import json
import time
from typing import Any

from mangum import Mangum

from shared import aws, log
from shared.rest import app

logger = log.setup()
_asgi = Mangum(app, lifespan="off")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    aws.reset_calls()
    http = (event.get("requestContext") or {}).get("http") or {}
    try:
        response = _asgi(event, context)
    except Exception:
        logger.exception("REST request failed")
        response = {
            "statusCode": 500,
            "headers": {"content-type": "application/json"},
            "body": json.dumps({"error": {"code": "internal_error", "message": "internal error"}}),
        }
    log.invocation(
        started,
        route=f"{http.get('method')} {http.get('path')}",
        requestId=(event.get("requestContext") or {}).get("requestId"),
        status=response.get("statusCode"),
        awsCalls=aws.calls(),
    )
    return response
