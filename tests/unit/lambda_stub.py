"""A local Lambda Invoke API for unit tests: a real HTTP server on 127.0.0.1 that queues
every asynchronous invocation of the delivery function and runs the queue in-process
when a test says so (``drain``), so that sharded delivery is tested step by step."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared import config
from shared.delivery import handover, worker
from shared.delivery.fanout import FanoutResult
from shared.delivery.jobs import Job

FUNCTION = "switchboard-delivery"
INVOKE_PATH = f"/2015-03-31/functions/{FUNCTION}/invocations"


class Lambda(ThreadingHTTPServer):
    """``POST /2015-03-31/functions/switchboard-delivery/invocations``: an Event invocation
    is queued and answered 202, unless ``status`` says otherwise (then nothing is queued)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.status = 202
        self.queued: list[Job] = []
        self.invocations = 0  # every Event invocation accepted (queued), ever
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def take(self) -> list[Job]:
        with self.lock:
            jobs, self.queued = self.queued, []
        return jobs

    def drain(self) -> FanoutResult:
        """Run the queued jobs as the delivery function would, and those they queue, until
        none is left; their results merged."""
        result = FanoutResult()
        while jobs := self.take():
            for job in jobs:
                result.merge(worker.run(job))
        return result


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Lambda

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path != INVOKE_PATH or self.headers.get("x-amz-invocation-type") != "Event":
            self._reply(404, {"Type": "User", "message": "not the delivery function"})
            return
        if self.server.status == 202:
            with self.server.lock:
                self.server.queued.append(Job.from_payload(json.loads(body)))
                self.server.invocations += 1
            self._reply(202, None)
        else:
            self._reply(self.server.status, {"Type": "Service", "message": "throttled"})

    def _reply(self, status: int, error: Any) -> None:
        body = b"" if error is None else json.dumps(error).encode()
        self.send_response(status)
        if error is not None:
            names = {429: "TooManyRequestsException", 404: "ResourceNotFoundException"}
            self.send_header("x-amzn-ErrorType", names.get(status, "ServiceException"))
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(
    monkeypatch: pytest.MonkeyPatch, inline_limit: int = 4, batch_size: int = 3
) -> Iterator[Lambda]:
    """Sharded delivery on (the delivery function served here; the given limit and batch
    size) until the block ends."""
    server = Lambda()
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", server.endpoint)
    try:
        with config.override(
            delivery_function=FUNCTION,
            fanout_inline_limit=inline_limit,
            fanout_batch_size=batch_size,
        ):
            yield server
    finally:
        handover.client.forget()
        server.shutdown()
        server.server_close()
