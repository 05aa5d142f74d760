"""EventBridge's PutEvents on the emulator's plain port, as botocore's `events` client
speaks it (AWS JSON 1.1: `POST /`, `X-Amz-Target: AWSEvents.PutEvents`), so that a
function (through `AWS_ENDPOINT_URL_EVENTS`) or a test publishes to the template's buses.

Errors are JSON 1.1's (`{"__type", "message"}`, HTTP 400), which botocore raises as its
modelled exceptions; an operation other than PutEvents is `UnknownOperationException`.
SigV4 signatures are accepted unchecked. What PutEvents does is infra/services/eventbridge.py's.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.services.eventbridge import EventBuses, PutEventsError

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSEvents."


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status_code=status,
        media_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


def _error(code: str, message: str) -> Response:
    return _answer({"__type": code, "message": message}, status=400)


class EventsApi:
    def __init__(self, buses: EventBuses) -> None:
        self.buses = buses

    async def handle(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target", "")
        if not target.startswith(TARGET_PREFIX):
            return _error("UnknownOperationException", f"unknown operation {target!r}")
        operation = target[len(TARGET_PREFIX) :]
        if operation != "PutEvents":
            return _error(
                "UnknownOperationException",
                f"{operation} is not emulated (the emulator serves PutEvents)",
            )
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return _error("SerializationException", "the request body is not JSON")
        try:
            # Runs targets' submissions and the record under a lock: off the event loop.
            answer = await run_in_threadpool(self.buses.put_events, body.get("Entries"))
        except PutEventsError as exc:
            return _error(exc.code, exc.message)
        return _answer(answer)


def events_routes(buses: EventBuses | None) -> list[Route]:
    if buses is None:
        return []
    return [Route("/", EventsApi(buses).handle, methods=["POST"])]
