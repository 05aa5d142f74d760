"""A local API Gateway Management API for unit tests: a real HTTP server on 127.0.0.1 that
records every POST, GET and DELETE to ``/{stage}/@connections/{id}`` and answers per
connection."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

from shared import ids
from shared.delivery import management_api

STAGE = "test"


@dataclass(frozen=True)
class Post:
    """One POST as received: the connection it was for, its JSON frame and the answer given."""

    connection_id: str
    frame: Any
    status: int


class Gateway(ThreadingHTTPServer):
    """POST (a frame) and DELETE (close) of ``/{stage}/@connections/{id}``: 200 (POST) and
    204 (DELETE) unless ``answers`` / ``delete_answers`` name another status for the id."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.answers: dict[str, int] = {}  # connection id -> status of its POSTs
        self.delete_answers: dict[str, int] = {}  # connection id -> status of its DELETEs
        # GET: the open connections (id -> lastActiveAt, epoch ms); any other is gone (410),
        # unless get_answers names another status for it.
        self.open: dict[str, int] = {}
        self.get_answers: dict[str, int] = {}
        self.gets: list[str] = []
        self.posts: list[Post] = []
        self.deletes: list[str] = []  # connection ids, in the order received
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The stage's Management API, as a Caller or an ``endpoint`` argument takes it."""
        return f"http://127.0.0.1:{self.server_address[1]}/{STAGE}"

    def frames(self, connection_id: str) -> list[Any]:
        """The frames posted to one connection, in the order received."""
        with self.lock:
            return [p.frame for p in self.posts if p.connection_id == connection_id]

    def events(self, connection_id: str) -> list[str]:
        """The event names posted to one connection."""
        return [frame["event"] for frame in self.frames(connection_id)]

    def receivers(self, event: str | None = None) -> list[str]:
        """The connections posted to (of ``event`` only, if given), sorted, each once."""
        with self.lock:
            return sorted(
                {p.connection_id for p in self.posts if event is None or p.frame["event"] == event}
            )

    def closed(self) -> list[str]:
        """The connections a DELETE was received for, sorted."""
        with self.lock:
            return sorted(self.deletes)


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def _connection_id(self) -> str | None:
        prefix = f"/{STAGE}/@connections/"
        return unquote(self.path[len(prefix) :]) if self.path.startswith(prefix) else None

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        connection_id = self._connection_id()
        if connection_id is None:
            self._reply(404)
            return
        status = self.server.answers.get(connection_id, 200)
        with self.server.lock:
            self.server.posts.append(Post(connection_id, json.loads(body), status))
        self._reply(status)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        connection_id = self._connection_id()
        if connection_id is None:
            self._reply(404)
            return
        with self.server.lock:
            self.server.gets.append(connection_id)
            status = self.server.get_answers.get(connection_id)
            last_active = self.server.open.get(connection_id)
        if status is None and last_active is not None:
            when = ids.iso_from_ms(last_active)
            body = json.dumps(
                {"connectedAt": when, "lastActiveAt": when, "identity": {"sourceIp": "203.0.113.9"}}
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self._reply(status or 410)

    def do_DELETE(self) -> None:  # noqa: N802 (http.server's naming)
        connection_id = self._connection_id()
        if connection_id is None:
            self._reply(404)
            return
        with self.server.lock:
            self.server.deletes.append(connection_id)
        self._reply(self.server.delete_answers.get(connection_id, 204))

    def _reply(self, status: int) -> None:
        """An answer botocore parses: errors named as the Management API names them."""
        names = {410: "GoneException", 403: "ForbiddenException", 429: "LimitExceededException"}
        body = b""
        self.send_response(status)
        if status >= 400:
            body = json.dumps({"message": f"status {status}"}).encode()
            self.send_header("content-type", "application/json")
            self.send_header("x-amzn-ErrorType", names.get(status, "InternalServerError"))
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """A Gateway answering in a background thread until the block ends (posts retried
    without backoff, so a test of a retried status waits for nothing)."""
    monkeypatch.setattr(management_api, "backoff_seconds", lambda attempt: 0.0)
    server = Gateway()
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
