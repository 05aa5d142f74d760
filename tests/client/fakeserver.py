"""A scripted WebSocket server for unit tests of the client: answers hello, sync and
heartbeats like Switchboard, leaves keep-alive pings unanswered (as API Gateway does),
and answers anything else with what the test's handler says."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

Reply = Callable[[dict[str, Any], "FakeServer", ServerConnection], Awaitable[bool] | bool]


def ack(frame: dict[str, Any], data: Any, event: str = "ack") -> str:
    return json.dumps({"event": event, "requestId": frame.get("requestId"), "data": data})


def error(frame: dict[str, Any], code: str, message: str = "no", **extra: Any) -> str:
    return json.dumps(
        {
            "event": "error",
            "requestId": frame.get("requestId"),
            "data": {"code": code, "message": message, **extra},
        }
    )


class FakeServer:
    def __init__(self, handler: Reply | None = None) -> None:
        self.handler = handler
        self.received: list[dict[str, Any]] = []
        self.connections: list[ServerConnection] = []
        self.tokens: list[str] = []
        self.refuse_status: int | None = None  # refuse handshakes with this HTTP status
        self.answer_heartbeats = True
        # hello's keepAlive, read at each hello (None: a server older than keep-alive pings)
        self.keep_alive: dict[str, Any] | None = None
        self.heartbeat_seconds = 65
        self.renew: dict[str, Any] | None = None  # hello's renew, read at each hello
        self._arrived = asyncio.Event()
        self._server: Server | None = None
        self.url = ""

    async def start(self) -> FakeServer:
        self._server = await serve(
            self._serve, "127.0.0.1", 0, process_request=self._process_request
        )
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/fake"
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def actions(self, name: str) -> list[dict[str, Any]]:
        return [f for f in self.received if f.get("action") == name]

    async def wait_actions(self, name: str, count: int, timeout: float) -> list[dict[str, Any]]:
        """The frames of action ``name`` received, once there are ``count`` of them."""
        async with asyncio.timeout(timeout):
            while len(self.actions(name)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.actions(name)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        token = request.path.partition("token=")[2]
        self.tokens.append(token)
        if self.refuse_status is not None:
            return connection.respond(HTTPStatus(self.refuse_status), "refused\n")
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        self.connections.append(connection)
        async for raw in connection:
            frame = json.loads(raw)
            self.received.append(frame)
            self._arrived.set()
            if self.handler is not None:
                handled = self.handler(frame, self, connection)
                if not isinstance(handled, bool):
                    handled = await handled
                if handled:
                    continue
            await self.default(frame, connection)

    async def default(self, frame: dict[str, Any], connection: ServerConnection) -> None:
        action = frame.get("action")
        if action == "hello":
            await connection.send(
                ack(
                    frame,
                    {
                        "connectionId": f"c{len(self.connections)}",
                        "userId": "fake",
                        "chats": [],
                        "heartbeatSeconds": self.heartbeat_seconds,
                        **({"keepAlive": self.keep_alive} if self.keep_alive else {}),
                        **({"renew": self.renew} if self.renew else {}),
                    },
                    "connection:success",
                )
            )
        elif action == "sync":
            chats = frame["data"]["chats"]
            await connection.send(
                ack(
                    frame,
                    {
                        "chats": {c: {"messages": [], "hasMore": False} for c in chats},
                        "unknown": [],
                    },
                )
            )
        elif action == "ping":
            pass  # API Gateway answers it without a function, and sends nothing back
        elif action == "presence:heartbeat":
            if self.answer_heartbeats:
                await connection.send(
                    ack(frame, {"ttlSeconds": 130, "heartbeatSeconds": 65, "presence": "ok"})
                )
        else:
            await connection.send(ack(frame, {"echo": frame.get("data")}))
