"""The Starlette app playing API Gateway: WebSocket stage, Management API and HTTP API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from infra.demo import demo_routes
from infra.gateway.connections import Registry
from infra.gateway.http_api import PREFIX, HttpApiProxy
from infra.gateway.management_api import ManagementApi
from infra.gateway.websocket_api import StageSettings, WebSocketGateway
from infra.runtime.faults import FaultPlan
from infra.runtime.pools import LambdaRuntime
from infra.template.reader import Template

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class AnyPathConvertor(PathConvertor):
    """Starlette's `path` stops at a newline (`.*`); API Gateway routes a decoded %0A
    like any other character, and the function must see it to refuse it."""

    regex = "(?s:.*)"


register_url_convertor("anypath", AnyPathConvertor())


def build_app(
    template: Template,
    runtime: LambdaRuntime,
    settings: StageSettings,
    registry: Registry | None = None,
    faults: FaultPlan | None = None,
) -> Starlette:
    registry = registry or Registry()
    stage = settings.stage
    routes: list[BaseRoute] = []
    if template.websocket_api is not None:
        gateway = WebSocketGateway(template.websocket_api, runtime, registry, settings)

        async def websocket_endpoint(websocket: WebSocket) -> None:
            await gateway.serve(websocket)

        routes.append(WebSocketRoute(f"/{stage}", websocket_endpoint))
    management = ManagementApi(registry, faults).handle
    routes.append(
        Route(
            f"/{stage}/@connections/{{connection_id}}",
            management,
            methods=["GET", "POST", "DELETE"],
        )
    )
    if template.http_routes:
        proxy = HttpApiProxy(
            template.http_routes, runtime, settings.region, settings.account_id
        ).handle
        routes.append(Route(PREFIX, proxy, methods=METHODS))
        routes.append(Route(f"{PREFIX}/{{path:anypath}}", proxy, methods=METHODS))
    # The demo chat page at `/` and its development token endpoint (local only: infra/demo.py).
    routes.extend(demo_routes(template, runtime, stage))
    app = Starlette(routes=routes)
    app.state.registry = registry
    return app
