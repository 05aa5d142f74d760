"""Live WebSocket connections: their state, outbound sends, server-side closes, and the registry."""

from __future__ import annotations

import asyncio
import contextlib
import time
from enum import Enum

from starlette.websockets import WebSocket

from infra.events import WebSocketConnectionInfo, now_ms


class State(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"


class Connection:
    """One client socket as API Gateway tracks it."""

    def __init__(self, info: WebSocketConnectionInfo, websocket: WebSocket) -> None:
        self.info = info
        self.websocket = websocket
        self.state = State.CONNECTING
        self.last_active_at = info.connected_at
        self.started = time.monotonic()
        self.last_active = self.started
        self.close_requested: tuple[int, str] | None = None
        self._send_lock = asyncio.Lock()

    @property
    def id(self) -> str:
        return self.info.connection_id

    @property
    def connected(self) -> bool:
        return self.state is State.CONNECTED

    def touch(self) -> None:
        self.last_active = time.monotonic()
        self.last_active_at = now_ms()

    async def send_text(self, text: str) -> bool:
        """Send a text frame; False when the socket is gone."""
        if not self.connected or self.close_requested:
            return False
        async with self._send_lock:
            try:
                await self.websocket.send_text(text)
            except Exception:  # the peer went away mid-send
                return False
        return True

    async def close(self, code: int, reason: str = "") -> None:
        """Close from the server side (Management DELETE, timeouts, protocol violations)."""
        if self.close_requested or self.state is State.CLOSED:
            return
        self.close_requested = (code, reason)
        async with self._send_lock:
            with contextlib.suppress(Exception):
                await self.websocket.close(code=code, reason=reason)


class Registry:
    """Connections by id; anything not CONNECTED is `Gone` to the Management API."""

    def __init__(self) -> None:
        self._connections: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self._connections[connection.id] = connection

    def remove(self, connection: Connection) -> None:
        self._connections.pop(connection.id, None)

    def live(self, connection_id: str) -> Connection | None:
        connection = self._connections.get(connection_id)
        return connection if connection is not None and connection.connected else None

    def all(self) -> list[Connection]:
        return list(self._connections.values())
