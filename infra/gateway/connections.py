"""Live WebSocket connections: state, outbound sends, server-side closes, severing, registry.

All methods run on the emulator's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from enum import Enum
from typing import Any

from starlette.websockets import WebSocket

from infra.gateway.events import WebSocketConnectionInfo, now_ms


def _transport_of(websocket: WebSocket) -> Any:
    """The asyncio transport under a Starlette WebSocket served by uvicorn.

    uvicorn hands the app its protocol's bound `receive`; the protocol owns the transport.
    """
    protocol = getattr(getattr(websocket, "_receive", None), "__self__", None)
    transport = getattr(protocol, "transport", None)
    if transport is None:
        raise RuntimeError("cannot reach the TCP transport of this WebSocket")
    return transport


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
        self.severed = False  # dropped without a close frame; no $disconnect follows
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

    def abort(self) -> None:
        """Drop the TCP connection of a peer that does not answer our close frame; its
        $disconnect still follows (with the close code we asked for)."""
        with contextlib.suppress(RuntimeError):
            _transport_of(self.websocket).abort()

    def sever(self) -> None:
        """Drop the TCP connection at once: no close frame, and no $disconnect afterwards."""
        self.severed = True
        self.state = State.CLOSED
        _transport_of(self.websocket).abort()


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

    def live_ids(self) -> list[str]:
        return [c.id for c in self._connections.values() if c.connected]

    def sever(self, connection_id: str) -> None:
        """Forget a live connection and drop its socket, as if its $disconnect were lost."""
        connection = self.live(connection_id)
        if connection is None:
            raise KeyError(f"no live connection {connection_id}")
        self.remove(connection)
        connection.sever()
