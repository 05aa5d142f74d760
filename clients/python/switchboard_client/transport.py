"""One WebSocket connection: open it with a token, send frames, read frames, close or drop it.

A thin layer over ``websockets``' asyncio client. Frames are JSON objects both ways;
anything else from the server is logged and skipped. Opening failures become
``ConnectError`` (``AuthenticationError`` for HTTP 401/403).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from switchboard_client.errors import AuthenticationError, ConnectError, ConnectionLost
from switchboard_client.wire import Frame

log = logging.getLogger("switchboard_client.transport")


def url_with_token(url: str, token: str) -> str:
    """``url`` with its ``token`` query parameter set (replacing one already there)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    query.append(("token", token))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class TransportOptions:
    """How to open connections. ``ping_interval`` sends WebSocket protocol pings (not the
    ``ping`` action of the keep-alive timer); ``None`` (the default) sends none;
    ``extra`` goes to ``websockets.asyncio.client.connect`` as is."""

    open_timeout: float = 10.0
    ping_interval: float | None = None
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0
    extra: Mapping[str, Any] = field(default_factory=dict)


class Transport:
    """An open WebSocket to the API."""

    def __init__(self, connection: ClientConnection) -> None:
        self._ws = connection

    @classmethod
    async def open(cls, url: str, token: str, options: TransportOptions | None = None) -> Transport:
        options = options or TransportOptions()
        try:
            connection = await connect(
                url_with_token(url, token),
                open_timeout=options.open_timeout,
                ping_interval=options.ping_interval,
                ping_timeout=options.ping_timeout,
                close_timeout=options.close_timeout,
                **dict(options.extra),
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise AuthenticationError(f"handshake refused: HTTP {status}", status) from exc
            raise ConnectError(f"handshake refused: HTTP {status}", status) from exc
        except InvalidURI as exc:
            raise ValueError(f"not a WebSocket URL: {url}") from exc
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise ConnectError(f"cannot connect: {exc!r}") from exc
        return cls(connection)

    @property
    def server_time_ms(self) -> int | None:
        """The server's clock at the handshake (its ``Date`` header, to the second), if sent."""
        response = self._ws.response
        value = response.headers.get("Date") if response is not None else None
        if not value:
            return None
        try:
            return int(parsedate_to_datetime(value).timestamp() * 1000)
        except (TypeError, ValueError):
            return None

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    @property
    def close_reason(self) -> str | None:
        return self._ws.close_reason

    async def send(self, frame: Frame) -> None:
        """Send one frame; ``ConnectionLost`` if the connection is gone."""
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        try:
            await self._ws.send(text)
        except ConnectionClosed as exc:
            raise ConnectionLost("the connection closed before the frame was sent") from exc

    async def frames(self) -> AsyncIterator[Frame]:
        """The server's frames as they arrive, until the connection ends (for any reason)."""
        try:
            async for raw in self._ws:
                if isinstance(raw, bytes):
                    log.warning("binary frame from the server ignored (%d bytes)", len(raw))
                    continue
                try:
                    frame = json.loads(raw)
                except ValueError:
                    log.warning("non-JSON frame from the server ignored: %.200r", raw)
                    continue
                if isinstance(frame, dict):
                    yield frame
                else:
                    log.warning("frame that is not an object ignored: %.200r", raw)
        except ConnectionClosed:
            return

    async def close(self) -> None:
        """Close with a close frame (1000) and wait for the server's answer (bounded)."""
        with contextlib.suppress(Exception):
            await self._ws.close()

    def abort(self) -> None:
        """Drop the TCP connection at once, without a close frame."""
        transport = self._ws.transport
        if transport is not None:
            transport.abort()
