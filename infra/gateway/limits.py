"""Request limits enforced before any route: what API Gateway refuses at the door.

Owns the WebSocket handshake's size limits. API Gateway caps a WebSocket URL at 4,096
characters and refuses a longer one with 414 before any authorizer runs (`url_too_long`,
checked by the WebSocket stage). Below the app, a request line or a header line longer
than websockets' 8 KB line limit, or more than its 128 headers, cannot even be parsed:
`WebSocketProtocol` makes sure those handshakes are answered (414 or 431) and closed
instead of left hanging.
"""

from __future__ import annotations

from starlette.websockets import WebSocket
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

MAX_WEBSOCKET_URL_CHARS = 4096


def websocket_url(websocket: WebSocket) -> str:
    """The URL the client opened, as it sent it: scheme, Host header, path and query."""
    scope = websocket.scope
    target = scope.get("raw_path") or scope.get("path", "").encode()
    query = scope.get("query_string", b"")
    if query:
        target += b"?" + query
    host = websocket.headers.get("host", "")
    return f"{scope.get('scheme', 'ws')}://{host}{target.decode('latin-1')}"


def url_too_long(websocket: WebSocket) -> bool:
    """True when the handshake's URL is over API Gateway's 4,096 characters."""
    return len(websocket_url(websocket)) > MAX_WEBSOCKET_URL_CHARS


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, answering the handshakes websockets cannot parse.

    On a request line or header line over its 8 KB limit, or too many headers, websockets
    queues a refusal (414 or 431) and stops; uvicorn only writes what the connection
    queued once a request was parsed, so the refusal was never sent and the client
    waited forever. Here it is sent, and the connection closed.

    Also: a handshake the app refused with an HTTP response (an authorizer's 401/403) is
    complete; uvicorn logged "ASGI callable returned without completing handshake." at
    ERROR for each one.
    """

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.handshake_initiated or self.conn.handshake_exc is None:
            return
        if not self.transport.is_closing():
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.transport.close()
        self.handshake_complete = True
        self.close_sent = True

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            self.handshake_complete = True
