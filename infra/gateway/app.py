"""The ASGI app playing API Gateway, and its orderly stop.

Owns the routes of one emulator's port (the WebSocket stage, the Management API, the HTTP
API under /api, Lambda's Invoke API under /2015-03-31/functions, EventBridge's PutEvents at
`POST /`, S3 for the template's buckets at `/{bucket}` (s3_api.py), the demo page) and
`GatewayApp`, which tracks every request and connection in flight so that stopping drains
them (`drain`) rather than leaving uvicorn to cancel them mid-way, which printed a
CancelledError traceback per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from infra.demo import demo_routes
from infra.gateway.connections import Registry
from infra.gateway.events_api import events_routes
from infra.gateway.http_api import PREFIX, HttpApiProxy
from infra.gateway.iam import LocalIam
from infra.gateway.lambda_api import lambda_routes
from infra.gateway.management_api import ManagementApi
from infra.gateway.s3_api import S3Front, key_lookup
from infra.gateway.sigv4 import SigV4Verifier
from infra.gateway.traffic import Traffic
from infra.gateway.websocket_api import StageSettings, WebSocketGateway
from infra.runtime.async_invocations import AsyncInvocations
from infra.runtime.faults import FaultPlan
from infra.runtime.pools import LambdaRuntime
from infra.services.eventbridge import EventBuses
from infra.template.reader import Template

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class AnyPathConvertor(PathConvertor):
    """Starlette's `path` stops at a newline (`.*`); API Gateway routes a decoded %0A
    like any other character, and the function must see it to refuse it."""

    regex = "(?s:.*)"


register_url_convertor("anypath", AnyPathConvertor())


UNAVAILABLE = json.dumps({"message": "Service Unavailable"}).encode()


async def _unavailable(scope: Scope, send: Send) -> None:
    """Answer 503: the stage is stopping (an HTTP response, or a refused handshake)."""
    prefix = "websocket.http" if scope["type"] == "websocket" else "http"
    headers = [(b"content-type", b"application/json")]
    await send({"type": f"{prefix}.response.start", "status": 503, "headers": headers})
    await send({"type": f"{prefix}.response.body", "body": UNAVAILABLE})


def _is_aws_service(scope: Scope) -> bool:
    """A call to Lambda's Invoke API or EventBridge's PutEvents: services of their own on
    AWS, which keep answering while a stage stops (the $disconnect functions the stop
    runs hand deliveries over and publish their events through them)."""
    if scope["type"] != "http":
        return False
    if str(scope.get("path", "")).startswith("/2015-03-31/functions/"):
        return True
    return any(name == b"x-amz-target" for name, _ in scope.get("headers") or [])


class GatewayApp:
    """What uvicorn serves: the Starlette app, with every request and connection in flight
    tracked, so that `drain` can stop them in order (see the module docstring)."""

    def __init__(
        self, app: Starlette, websockets: WebSocketGateway | None, traffic: Traffic | None = None
    ) -> None:
        self.app = app
        self.websockets = websockets
        self.traffic = traffic or Traffic()  # the stage's billed traffic (traffic.py)
        self.stopping = False
        self.requests: set[asyncio.Task[Any]] = set()

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.stopping and not _is_aws_service(scope):
            with contextlib.suppress(Exception):
                await _unavailable(scope, send)
            return
        task = asyncio.current_task()
        assert task is not None
        self.requests.add(task)
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            if not self.stopping:
                raise
            # Cancelled by `drain` past its deadline: answer if nothing was, quietly.
            task.uncancel()
            with contextlib.suppress(Exception):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1001, "reason": "Going away"})
                else:
                    await _unavailable(scope, send)
        finally:
            self.requests.discard(task)

    def _in_flight(self) -> set[asyncio.Task[Any]]:
        tasks = {t for t in self.requests if not t.done()}
        if self.websockets is not None:
            tasks |= {t for t in self.websockets.messages if not t.done()}
        return tasks

    async def drain(self, timeout: float) -> None:
        """Stop the stage: refuse new requests (503); close every WebSocket connection
        (1001 Going away), so that each one's $disconnect runs; wait up to `timeout` seconds
        for requests, connections and message invocations to finish; cancel what is left."""
        self.stopping = True
        if self.websockets is not None:
            self.websockets.stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.websockets is not None:
                await self.websockets.close_all()
            in_flight = self._in_flight()
            if not in_flight:
                return
            await asyncio.wait(in_flight, timeout=min(0.05, max(0.0, deadline - loop.time())))
        leftovers = self._in_flight()
        for task in leftovers:
            task.cancel()
        if leftovers:
            await asyncio.wait(leftovers, timeout=2)


def build_app(
    template: Template,
    runtime: LambdaRuntime,
    settings: StageSettings,
    registry: Registry | None = None,
    faults: FaultPlan | None = None,
    async_invocations: AsyncInvocations | None = None,
    event_buses: EventBuses | None = None,
    iam: LocalIam | None = None,
    s3_endpoint: str | None = None,
) -> GatewayApp:
    registry = registry or Registry()
    traffic = Traffic()
    iam = iam or LocalIam(settings.account_id)
    # One verifier of SigV4 signatures for the HTTP API's AWS_IAM routes and Lambda's API.
    verifier = SigV4Verifier(iam, settings.region)
    stage = settings.stage
    routes: list[BaseRoute] = []
    gateway: WebSocketGateway | None = None
    if template.websocket_api is not None:
        gateway = WebSocketGateway(template.websocket_api, runtime, registry, settings, traffic)

        async def websocket_endpoint(websocket: WebSocket) -> None:
            assert gateway is not None
            await gateway.serve(websocket)

        routes.append(WebSocketRoute(f"/{stage}", websocket_endpoint))
    management = ManagementApi(registry, faults, traffic).handle
    routes.append(
        Route(
            f"/{stage}/@connections/{{connection_id}}",
            management,
            methods=["GET", "POST", "DELETE"],
        )
    )
    if template.http_routes:
        proxy = HttpApiProxy(
            template.http_routes, runtime, settings.region, settings.account_id, verifier
        ).handle
        routes.append(Route(PREFIX, proxy, methods=METHODS))
        routes.append(Route(f"{PREFIX}/{{path:anypath}}", proxy, methods=METHODS))
    # EventBridge's PutEvents, for the functions (AWS_ENDPOINT_URL_EVENTBRIDGE) and tests.
    routes.extend(events_routes(event_buses))
    # Lambda's Invoke API, for the functions (AWS_ENDPOINT_URL_LAMBDA) and for tests.
    routes.extend(lambda_routes(template, runtime, async_invocations, verifier))
    # S3 for the template's buckets (AWS_ENDPOINT_URL_S3), in front of moto at s3_endpoint.
    s3: S3Front | None = None
    if template.buckets and s3_endpoint:
        s3 = S3Front(template.buckets.values(), s3_endpoint, key_lookup(iam), settings.region)
        routes.extend(s3.routes())
    # The demo chat page at `/` and its development token endpoint (local only: infra/demo.py).
    routes.extend(demo_routes(template, runtime, stage))
    app = Starlette(routes=routes)
    app.state.registry = registry
    app.state.s3 = s3  # tests move its clock (S3Front.clock)
    return GatewayApp(app, gateway, traffic)
