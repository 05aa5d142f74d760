"""The Management API's POST for fan-outs: botocore's SigV4 signer and credentials,
asyncio keep-alive connections, a bounded number of posts in flight, retries with
jittered backoff, timeouts.

A fan-out posts once per recipient, so this path keeps only what a post needs:
sign (botocore's ``SigV4Auth``, about 0.1 ms), write one request, read the status.
The posts of a fan-out run on one event loop in a background thread, so a
thousand posts waiting 20 ms each take a few waves of ``CONCURRENCY``, not a
thousand round trips, and no thread pool fights over the GIL. The connections
stay open across invocations (a warm Lambda container reuses them).

The HTTP/1.1 exchange is written here rather than with h11 or http.client: the
request has one fixed shape and only the status is read, and h11 measured 80 µs
per exchange, almost as much as the signature. Rare calls (GET, DELETE
@connections) use shared/delivery/management_client.py, a botocore client that brings
no asyncio or ssl to the functions that only make those. ``python -m benchmarks.fanout``
measures this path against a serial loop of boto3's ``post_to_connection``.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from shared.observability import calls
from shared.retries import MANAGEMENT_API

RETRYABLE = frozenset({0, 429, 500, 502, 503, 504})  # 0: no answer (timeout, reset)
ATTEMPTS = MANAGEMENT_API.attempts
TIMEOUT_SECONDS = MANAGEMENT_API.read_timeout_seconds  # connect and answer, per attempt
SERVICE = "execute-api"
# Posts in flight per fan-out. One vCPU signs and sends about 5,000 posts a second
# (0.2 ms each); with API Gateway answering in ~20 ms, Little's law puts
# 5,000/s x 0.02 s = 100 in flight to keep that CPU busy. More only adds idle
# sockets (each a TLS session of some tens of KB); fewer leaves the CPU waiting.
CONCURRENCY = 100
T = TypeVar("T")


class _Dropped(Exception):
    """The server closed a kept-alive connection before answering."""


def backoff_seconds(attempt: int) -> float:
    """The Management API policy's full jitter: up to 50 ms, then 100 ms, capped at 1 s."""
    return MANAGEMENT_API.backoff(attempt)


Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class ManagementApi:
    """Posts to the connections of one stage endpoint (``https://{domain}/{stage}``)."""

    def __init__(self, endpoint: str, region: str) -> None:
        parts = urlsplit(endpoint)
        self._scheme = parts.scheme
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._netloc = parts.netloc
        self._base_path = parts.path.rstrip("/")
        self._region = region
        self._credentials = botocore.session.get_session().get_credentials()
        self._ssl = (
            ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
            if parts.scheme == "https"
            else None
        )
        self._idle: list[Stream] = []  # touched only on the loop thread

    # ------------------------------------------------------------ public, any thread

    def post(self, connection_id: str, body: bytes) -> int:
        """POST @connections/{id}: the final status (200, 410, ...; 0 if never answered),
        after up to ATTEMPTS tries on throttling, 5xx and timeouts."""
        return self.post_many([connection_id], body)[0]

    def post_many(self, connection_ids: Sequence[str], body: bytes) -> list[int]:
        """One payload to many connections, CONCURRENCY at a time: the final status of
        each, in the order given."""
        if not connection_ids:
            return []
        for _ in connection_ids:
            calls.record("apigatewaymanagementapi.PostToConnection")
        return _run(self._post_all(connection_ids, body))

    # ------------------------------------------------------------ on the loop thread

    async def _post_all(self, connection_ids: Sequence[str], body: bytes) -> list[int]:
        statuses = [0] * len(connection_ids)
        pending = iter(range(len(connection_ids)))

        async def worker() -> None:
            for index in pending:
                statuses[index] = await self._post(connection_ids[index], body)

        workers = min(CONCURRENCY, len(connection_ids))
        if workers == 1:
            await worker()
        else:
            await asyncio.gather(*(worker() for _ in range(workers)))
        return statuses

    async def _post(self, connection_id: str, body: bytes) -> int:
        path = f"{self._base_path}/@connections/{quote(connection_id, safe='-_.~')}"
        status = 0
        for attempt in range(ATTEMPTS):
            status = await self._attempt(path, body)
            if status not in RETRYABLE:
                return status
            if attempt + 1 < ATTEMPTS:
                await asyncio.sleep(backoff_seconds(attempt))
        return status

    def _request_head(self, path: str, body: bytes) -> bytes:
        request = AWSRequest(method="POST", url=f"{self._scheme}://{self._netloc}{path}", data=body)
        if self._credentials is None:
            raise RuntimeError("no AWS credentials to sign Management API posts with")
        SigV4Auth(self._credentials.get_frozen_credentials(), SERVICE, self._region).add_auth(
            request
        )
        lines = [f"POST {path} HTTP/1.1", f"Host: {self._netloc}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _attempt(self, path: str, body: bytes) -> int:
        request = self._request_head(path, body) + body
        # A kept-alive connection may have been closed by the server while the
        # container was frozen between invocations: one immediate resend on a
        # fresh connection, not counted as an attempt.
        while True:
            stream, reused = self._take()
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    if stream is None:
                        stream = await self._open()
                    status, keep = await _exchange(stream, request)
            except _Dropped:
                _close(stream)
                if reused:
                    continue
                return 0
            except (
                OSError,
                TimeoutError,
                ValueError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
            ):
                _close(stream)
                return 0
            if keep and len(self._idle) < CONCURRENCY:
                self._idle.append(stream)
            else:
                _close(stream)
            return status

    def _take(self) -> tuple[Stream | None, bool]:
        while self._idle:
            reader, writer = self._idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return (reader, writer), True
            writer.close()
        return None, False

    async def _open(self) -> Stream:
        return await asyncio.open_connection(
            self._host,
            self._port,
            ssl=self._ssl,
            server_hostname=self._host if self._ssl is not None else None,
        )


async def _exchange(stream: Stream, request: bytes) -> tuple[int, bool]:
    """Write one request, read its answer: (status, whether the connection stays open)."""
    reader, writer = stream
    writer.write(request)
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            raise _Dropped from error
        raise
    except (ConnectionResetError, BrokenPipeError) as error:
        raise _Dropped from error
    status_line, _, header_block = head.partition(b"\r\n")
    version, status = status_line[:8], int(status_line[9:12])
    headers = {}
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are sent to a client that asked none
    else:
        length = int(headers.get(b"content-length", b"0"))
        if length:
            await reader.readexactly(length)
    close = headers.get(b"connection") == b"close" or version == b"HTTP/1.0"
    return status, not close


def _close(stream: Stream | None) -> None:
    if stream is not None:
        stream[1].close()


# ---------------------------------------------------------------- the loop thread

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0
_clients: dict[str, ManagementApi] = {}


def _event_loop() -> asyncio.AbstractEventLoop:
    """The process's fan-out loop, running in a daemon thread; made again after a fork."""
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="fanout-loop", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
            _clients.clear()  # their connections belonged to the old loop
        return _loop


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the fan-out loop and wait for it, from any thread (a
    handler's, or one with its own running loop such as Mangum's)."""
    return asyncio.run_coroutine_threadsafe(coroutine, _event_loop()).result()


def for_endpoint(endpoint: str, region: str) -> ManagementApi:
    """One client per stage endpoint, reused across invocations."""
    _event_loop()
    with _lock:
        client = _clients.get(endpoint)
        if client is None:
            client = _clients[endpoint] = ManagementApi(endpoint, region)
        return client
