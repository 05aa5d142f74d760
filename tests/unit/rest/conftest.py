"""REST fixtures: the ApiFunction fed HTTP API 2.0 events, a local Management API, a clock."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest

from shared import clock, config
from shared.delivery import management_api
from shared.observability import log
from shared.store import connections

API_APP = Path(__file__).resolve().parents[3] / "functions" / "api" / "app.py"
CONTEXT = SimpleNamespace(aws_request_id="lambda-req-1", function_name="switchboard-ApiFunction")
STAGE = "test"
T0 = 1_800_000_000_000


# ---------------------------------------------------------------- the ApiFunction


@functools.cache
def api_module() -> ModuleType:
    """functions/api/app.py, loaded from its file as Lambda would (once)."""
    spec = importlib.util.spec_from_file_location("switchboard_api_function", API_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def http_api_event(
    method: str,
    path: str,
    user: str | None,
    body: Any = None,
    *,
    raw_body: str | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event as API Gateway hands it to the function, with
    the Lambda authorizer's verdict (``user``) if it ran (None: no authorizer)."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api123",
            "domainName": "api123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "ANY /{proxy+}",
            "stage": "$default",
            "time": "26/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795687200000,
        },
        "pathParameters": {"proxy": path.lstrip("/")},
        "body": raw_body
        if raw_body is not None
        else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
    }
    if user is not None:
        event["requestContext"]["authorizer"] = {"lambda": {"userId": user}}
    return event


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> tuple[str, str]:
        """(code, message) of an error answer."""
        return self.body["error"]["code"], self.body["error"]["message"]


Api = Callable[..., Answer]


def answer_of(response: dict[str, Any]) -> Answer:
    text = response.get("body") or ""
    return Answer(
        response["statusCode"], json.loads(text) if text else None, response.get("headers") or {}
    )


@pytest.fixture
def handler(domain: config.Settings) -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """The ApiFunction's entry point, raw: event in, API Gateway response out."""
    module = api_module()
    try:  # Mangum runs requests on the thread's current loop, as a Lambda's main thread has
        asyncio.get_event_loop()
    except RuntimeError:  # an earlier test in this process ran asyncio.run()
        asyncio.set_event_loop(asyncio.new_event_loop())
    yield lambda event: module.handler(event, CONTEXT)
    log._current.clear()


@pytest.fixture
def api(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> Api:
    """``api("GET", "/chats", user="alice")``: one request through the ApiFunction."""

    def call(
        method: str, path: str, user: str | None = "alice", body: Any = None, **kw: Any
    ) -> Answer:
        return answer_of(handler(http_api_event(method, path, user, body, **kw)))

    return call


# ---------------------------------------------------------------- the Management API


class Gateway(ThreadingMixIn, HTTPServer):
    """POST /{stage}/@connections/{id}: every post answered 200 and kept."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Post)
        self.posts: list[tuple[str, Any]] = []  # (connection id, frame)
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{STAGE}"

    def frames(self, connection_id: str) -> list[Any]:
        with self.lock:
            return [frame for cid, frame in self.posts if cid == connection_id]

    def events(self, connection_id: str) -> list[str]:
        return [frame["event"] for frame in self.frames(connection_id)]


class _Post(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["content-length"]))
        connection_id = unquote(self.path.rsplit("/", 1)[-1])
        with self.server.lock:
            self.server.posts.append((connection_id, json.loads(body)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(
    domain: config.Settings,
    configure: Callable[..., config.Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Gateway]:
    """A local Management API the domain's fan-outs post to (settings' management_endpoint)."""
    monkeypatch.setattr(management_api, "backoff_seconds", lambda attempt: 0.0)
    server = Gateway()
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    configure(management_endpoint=server.endpoint)
    yield server
    server.shutdown()
    server.server_close()


def connect(connection_id: str, user_id: str) -> None:
    """$connect's records for a live connection of ``user_id`` (its rooms included)."""
    connections.register(connection_id, user_id, clock.now_ms(), "203.0.113.9")


# ---------------------------------------------------------------- time


class Clock:
    """``shared.clock`` as the domain sees it: each reading is one millisecond later, so
    ids made one after another sort in the order they were made."""

    def __init__(self) -> None:
        self.ms = T0

    def now_ms(self) -> int:
        self.ms += 1
        return self.ms

    def now_s(self) -> int:
        return self.ms // 1000


@pytest.fixture
def ticking(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(clock, "now_ms", fake.now_ms)
    monkeypatch.setattr(clock, "now_s", fake.now_s)
    return fake
