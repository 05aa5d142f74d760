"""The WebSocket side of API Gateway: handshake (authorizer + $connect), routing, $disconnect.

Owns one client socket from upgrade to close: the 4,096-character URL cap (414, before the
authorizer), route selection by the API's RouteSelectionExpression, route responses, the
128 KB / binary-frame / idle / max-duration limits, and the exactly-once $disconnect (never
for a connection severed on purpose).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.websockets import WebSocket

from infra.gateway import events
from infra.gateway.authorizers import decide, missing_identity
from infra.gateway.connections import Connection, Registry, State
from infra.gateway.limits import url_too_long
from infra.gateway.traffic import Traffic
from infra.runtime.pools import InvokeResult, LambdaRuntime
from infra.template.reader import Route, WebSocketApi

log = logging.getLogger("switchboard.gateway")
MAX_MESSAGE_BYTES = 128 * 1024
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED = 1003
CLOSE_TOO_BIG = 1009
CLOSE_GRACE = 2.0  # seconds a client has to answer our close frame when the stage stops


@dataclass
class StageSettings:
    stage: str
    region: str
    account_id: str
    domain_name: str  # the TLS Management host, e.g. 127.0.0.1:4443
    idle_timeout: float = 600.0
    max_connection_duration: float = 7200.0


def _canonical_header(name: str) -> str:
    parts = [p.capitalize() for p in name.split("-")]
    return "-".join("WebSocket" if p == "Websocket" else p for p in parts)


def select_route_key(expression: str, body: str, routes: dict[str, Route]) -> str | None:
    """Evaluate `$request.body.<path>` against a frame; fall back to $default."""
    expression = expression.strip()
    if expression.startswith("${") and expression.endswith("}"):
        expression = "$" + expression[2:-1]
    prefix = "$request.body."
    if expression.startswith(prefix):
        try:
            value: Any = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            value = None
        for part in expression[len(prefix) :].split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and value in routes and not value.startswith("$"):
            return value
    return "$default" if "$default" in routes else None


def _headers_of(payload: Any) -> dict[str, str]:
    if not isinstance(payload, dict):
        return {}
    headers = {str(k).lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
    for key, values in (payload.get("multiValueHeaders") or {}).items():
        if values:
            headers.setdefault(str(key).lower(), str(values[0]))
    return headers


def _status_of(result: InvokeResult) -> int:
    if result.error is not None:
        return 500
    payload = result.payload
    if isinstance(payload, dict) and "statusCode" in payload:
        try:
            return int(payload["statusCode"])
        except (TypeError, ValueError):
            return 500
    return 200


def _route_response_body(payload: Any) -> str | None:
    if isinstance(payload, dict):
        body = payload.get("body") if "statusCode" in payload or "body" in payload else payload
    else:
        body = payload
    if body is None or body == "":
        return None
    return body if isinstance(body, str) else json.dumps(body)


class WebSocketGateway:
    """Serves the WebSocket API of one template on one stage."""

    def __init__(
        self,
        api: WebSocketApi,
        runtime: LambdaRuntime,
        registry: Registry,
        settings: StageSettings,
        traffic: Traffic | None = None,
    ) -> None:
        self.api = api
        self.runtime = runtime
        self.registry = registry
        self.settings = settings
        self.traffic = traffic or Traffic()  # what API Gateway would bill (traffic.py)
        self.messages: set[asyncio.Task[None]] = set()  # message invocations in flight
        self.stopping = False
        self._closing: dict[str, float] = {}  # connection id -> when we sent it a close

    # ---------------------------------------------------------------- handshake
    def _connection_info(self, websocket: WebSocket) -> events.WebSocketConnectionInfo:
        client = websocket.client
        source_ip = client.host if client else "127.0.0.1"
        port = websocket.url.port or 80
        headers = [(_canonical_header(k), v) for k, v in websocket.headers.items()]
        headers += [
            (
                "X-Amzn-Trace-Id",
                f"Root=1-{int(time.time()):08x}-{events.gateway_id()[:12].lower()}",
            ),
            ("X-Forwarded-For", source_ip),
            ("X-Forwarded-Port", str(port)),
            ("X-Forwarded-Proto", "https"),
        ]
        query = parse_qsl(
            websocket.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        )
        return events.WebSocketConnectionInfo(
            connection_id=events.gateway_id(),
            api_id=self.api.api_id,
            stage=self.settings.stage,
            domain_name=self.settings.domain_name,
            source_ip=source_ip,
            user_agent=websocket.headers.get("user-agent", ""),
            headers=headers,
            query=query,
        )

    async def _authorize(self, route: Route, info: events.WebSocketConnectionInfo) -> int | None:
        """None when authorised (info.authorizer is then set), else the refusal status."""
        authorizer = route.authorizer
        if authorizer is None:
            return None
        if missing_identity(authorizer.identity_sources, info):
            return 401
        event = events.authorizer_event(info, self.settings.region, self.settings.account_id)
        try:
            result = await self.runtime.invoke_async(authorizer.function_id, event)
        except Exception:
            log.exception("authorizer %s could not run", authorizer.function_id)
            return 500
        decision = decide(result.payload, result.error, event["methodArn"])
        if decision.status is not None:
            return decision.status
        info.authorizer = decision.context
        return None

    async def _invoke(self, function_id: str, event: dict[str, Any]) -> InvokeResult:
        try:
            return await self.runtime.invoke_async(function_id, event)
        except Exception as exc:
            log.exception("invocation of %s failed", function_id)
            return InvokeResult("", error={"errorMessage": str(exc), "errorType": "Emulator"})

    async def _deny(self, websocket: WebSocket, status: int, body: str = "") -> None:
        if not body:
            body = json.dumps(
                {
                    "message": {401: "Unauthorized", 403: "Forbidden", 414: "URI Too Long"}.get(
                        status, "Internal server error" if status >= 500 else "Forbidden"
                    )
                }
            )
        await websocket.send_denial_response(
            Response(body, status_code=status, media_type="application/json")
        )

    # ---------------------------------------------------------------- lifecycle
    async def serve(self, websocket: WebSocket) -> None:
        if url_too_long(websocket):  # before any authorizer, as API Gateway
            await self._deny(websocket, 414)
            return
        info = self._connection_info(websocket)
        routes = self.api.routes
        connect_route = routes.get("$connect")
        if connect_route is not None:
            status = await self._authorize(connect_route, info)
            if status is not None:
                await self._deny(websocket, status)
                return
        connection = Connection(info, websocket)
        self.registry.add(connection)
        try:
            subprotocol = None
            if connect_route is not None and connect_route.function_id:
                result = await self._invoke(connect_route.function_id, events.connect_event(info))
                status = _status_of(result)
                if not 200 <= status < 300:
                    body = result.payload.get("body") if isinstance(result.payload, dict) else ""
                    await self._deny(websocket, status, body if isinstance(body, str) else "")
                    return
                subprotocol = _headers_of(result.payload).get("sec-websocket-protocol")
            await self._run_connected(connection, subprotocol)
        finally:
            connection.state = State.CLOSED
            self.registry.remove(connection)

    async def _run_connected(self, connection: Connection, subprotocol: str | None) -> None:
        code, reason = 1006, ""
        watchdog: asyncio.Task[None] | None = None
        try:
            await connection.websocket.accept(subprotocol=subprotocol)
            connection.state = State.CONNECTED
            self.traffic.opened(connection.id)
            connection.touch()
            if self.stopping:  # connected while the stage goes away: closed at once
                await connection.close(CLOSE_GOING_AWAY, "Going away")
            watchdog = asyncio.create_task(self._watchdog(connection))
            code, reason = await self._receive_loop(connection)
        except Exception:
            log.exception("connection %s failed", connection.id)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            connection.state = State.CLOSED
            self.traffic.closed(connection.id)
            if connection.close_requested:
                code, reason = connection.close_requested
            if not connection.severed:
                await self._disconnect(connection, code, reason)

    async def _receive_loop(self, connection: Connection) -> tuple[int, str]:
        while True:
            message = await connection.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code") or 1005), str(message.get("reason") or "")
            if connection.close_requested:
                continue
            if message.get("bytes") is not None:
                await connection.close(CLOSE_UNSUPPORTED, "Binary frames are not supported")
                continue
            text = message.get("text") or ""
            if len(text.encode()) > MAX_MESSAGE_BYTES:
                await connection.close(CLOSE_TOO_BIG, "Message too long")
                continue
            connection.touch()
            task = asyncio.create_task(self._handle_message(connection, text))
            self.messages.add(task)
            task.add_done_callback(self.messages.discard)

    async def _handle_message(self, connection: Connection, text: str) -> None:
        routes = self.api.routes
        route_key = select_route_key(self.api.route_selection_expression, text, routes)
        route = routes.get(route_key) if route_key else None
        self.traffic.received(route_key or "(no route)", text)
        if route is None:
            await self._gateway_error(
                connection,
                {
                    "message": "Forbidden",
                    "connectionId": connection.id,
                    "requestId": events.gateway_id(),
                },
            )
            return
        if route.mock and not route.has_route_response:
            return  # API Gateway answers a MOCK route itself; without a route response, nothing
        event = events.message_event(connection.info, route.route_key, text)
        if not route.function_id:
            log.warning("route %s has no Lambda integration; message dropped", route.route_key)
            return
        result = await self._invoke(route.function_id, event)
        if result.error is not None:
            await self._gateway_error(
                connection,
                {
                    "message": "Internal server error",
                    "connectionId": connection.id,
                    "requestId": event["requestContext"]["requestId"],
                },
            )
            return
        if route.has_route_response:
            body = _route_response_body(result.payload)
            if body is not None and await connection.send_text(body):
                self.traffic.responded(route.route_key, body)

    async def _gateway_error(self, connection: Connection, frame: dict[str, Any]) -> None:
        text = json.dumps(frame)
        if await connection.send_text(text):
            self.traffic.gateway_error(text)

    async def _watchdog(self, connection: Connection) -> None:
        settings = self.settings
        while connection.connected and not connection.close_requested:
            now = time.monotonic()
            idle_deadline = connection.last_active + settings.idle_timeout
            life_deadline = connection.started + settings.max_connection_duration
            deadline = min(idle_deadline, life_deadline)
            if now >= deadline:
                await connection.close(CLOSE_GOING_AWAY, "Going away")
                return
            await asyncio.sleep(deadline - now)

    async def _disconnect(self, connection: Connection, code: int, reason: str) -> None:
        route = self.api.routes.get("$disconnect")
        if route is None or not route.function_id:
            return
        event = events.disconnect_event(connection.info, code, reason)
        with contextlib.suppress(Exception):
            await self._invoke(route.function_id, event)

    # ---------------------------------------------------------------- stopping
    async def close_all(self, grace: float = CLOSE_GRACE) -> None:
        """One pass of closing the stage: every connected client gets a close frame (1001
        Going away) and, `grace` seconds later if it has not answered, its socket dropped.
        Either way its $disconnect runs. Call `stopping = True` first, then this until
        the connections are gone."""
        now = time.monotonic()
        for connection in self.registry.all():
            if not connection.connected:
                continue
            if not connection.close_requested:
                self._closing[connection.id] = now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(connection.close(CLOSE_GOING_AWAY, "Going away"), grace)
            elif now - self._closing.setdefault(connection.id, now) > grace:
                connection.abort()
