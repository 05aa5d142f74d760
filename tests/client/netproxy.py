"""A TCP proxy for tests: forwards to a target and can cut the network under a client.

``sever()`` drops every proxied connection at once (both sides, no close frame: what a
network drop looks like to the client and to the server); ``refuse()`` makes new
connections fail until ``accept()``; ``hold_replies()`` / ``hold_requests()`` stop
forwarding one direction (bytes wait in the proxy and are lost if severed meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class _Pipe:
    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter) -> None:
        self.client = client
        self.server = server
        self.severed = False

    def abort(self) -> None:
        self.severed = True
        for writer in (self.client, self.server):
            writer.transport.abort()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0  # connections proxied so far
        self.held_chunks = 0  # chunks waiting at a closed gate
        self._server: asyncio.Server | None = None
        self._pipes: set[_Pipe] = set()
        self._accepting = True
        self._replies = asyncio.Event()
        self._requests = asyncio.Event()
        self._replies.set()
        self._requests.set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, websocket_url: str) -> str:
        """``websocket_url`` pointed at the proxy."""
        parts = urlsplit(websocket_url)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    @property
    def open_connections(self) -> int:
        return len(self._pipes)

    def sever(self) -> None:
        for pipe in list(self._pipes):
            pipe.abort()
        self._pipes.clear()

    def refuse(self) -> None:
        self._accepting = False

    def accept(self) -> None:
        self._accepting = True

    def hold_replies(self) -> None:
        self._replies.clear()

    def release_replies(self) -> None:
        self._replies.set()

    def hold_requests(self) -> None:
        self._requests.clear()

    def release_requests(self) -> None:
        self._requests.set()

    async def close(self) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._accepting:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pipe = _Pipe(writer, up_writer)
        self._pipes.add(pipe)
        self.accepted += 1
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, self._requests, pipe),
                self._pump(up_reader, writer, self._replies, pipe),
            )
        finally:
            self._pipes.discard(pipe)
            if not pipe.severed:
                for side in (writer, up_writer):
                    side.close()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        gate: asyncio.Event,
        pipe: _Pipe,
    ) -> None:
        try:
            while not pipe.severed:
                data = await reader.read(65536)
                if not data:
                    break
                if not gate.is_set():
                    self.held_chunks += 1
                    await gate.wait()
                if pipe.severed:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if not pipe.severed:
                with contextlib.suppress(OSError, RuntimeError):
                    writer.write_eof()
