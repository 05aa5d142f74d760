"""The lean Management API poster: signed with SigV4 for execute-api, retried on
throttling and 5xx, not retried on 410, resilient to a server that drops
kept-alive connections (as after a Lambda freeze), and posting many at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any

import pytest

from shared.delivery import management_api


class Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    statuses: list[int]
    seen: list[dict[str, Any]]
    drop_keepalive = False
    gone: frozenset[str] = frozenset()  # connection ids answered 410, whatever the order


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.rsplit("/", 1)[-1] in self.server.gone:
            status = 410
        else:
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()
        self.close_connection = self.server.drop_keepalive  # without saying so

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(management_api, "backoff_seconds", lambda attempt: 0.0)
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.statuses, httpd.seen = [], []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()


def api_for(server: Server) -> management_api.ManagementApi:
    return management_api.ManagementApi(
        f"http://127.0.0.1:{server.server_address[1]}/prod", "eu-west-1"
    )


def test_a_post_is_signed_for_execute_api_and_goes_to_the_connection(server: Server) -> None:
    assert api_for(server).post("L0SM9cOFvHcCIhw=", b'{"event":"x"}') == 200
    (request,) = server.seen
    assert request["path"] == "/prod/@connections/L0SM9cOFvHcCIhw%3D"
    assert request["body"] == b'{"event":"x"}'
    authorization = request["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization


def test_throttling_and_5xx_are_retried_up_to_three_attempts(server: Server) -> None:
    server.statuses = [429, 503]
    assert api_for(server).post("c", b"x") == 200
    assert len(server.seen) == 3
    server.seen.clear()
    server.statuses = [500, 500, 500, 500]
    assert api_for(server).post("c", b"x") == 500
    assert len(server.seen) == 3


def test_gone_is_final(server: Server) -> None:
    server.statuses = [410]
    assert api_for(server).post("c", b"x") == 410
    assert len(server.seen) == 1


def test_a_dropped_keepalive_connection_is_resent_at_once(server: Server) -> None:
    server.drop_keepalive = True
    api = api_for(server)
    assert [api.post("c", b"x") for _ in range(4)] == [200] * 4
    assert len(server.seen) == 4  # one request each: no failed attempt was counted


def test_an_unreachable_endpoint_answers_zero_after_its_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    monkeypatch.setattr(management_api, "backoff_seconds", lambda attempt: 0.0)
    api = management_api.ManagementApi("http://127.0.0.1:9/prod", "us-east-1")
    assert api.post("c", b"x") == 0


def test_many_posts_go_out_at_once_and_answer_in_order(server: Server) -> None:
    server.gone = frozenset({"c1"})  # posts arrive in any order: the status goes by id
    ids = [f"c{i}" for i in range(3)]
    assert api_for(server).post_many(ids, b"x") == [200, 410, 200]
    assert sorted(r["path"] for r in server.seen) == [f"/prod/@connections/{i}" for i in ids]


def test_posts_overlap_up_to_the_concurrency_bound(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every answer held until several requests are in, the posts must be in
    flight together: a serial poster would never get past the first."""
    monkeypatch.setattr(management_api, "CONCURRENCY", 4)
    arrived = threading.Barrier(4, timeout=10)
    original = Handler.do_POST

    def held(handler: Handler) -> None:
        arrived.wait()
        original(handler)

    monkeypatch.setattr(Handler, "do_POST", held)
    assert api_for(server).post_many([f"c{i}" for i in range(8)], b"x") == [200] * 8


def test_a_post_that_gets_no_answer_in_time_gives_up(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(management_api, "TIMEOUT_SECONDS", 0.2)
    release = threading.Event()
    original = Handler.do_POST

    def hung(handler: Handler) -> None:
        release.wait(5)
        original(handler)

    monkeypatch.setattr(Handler, "do_POST", hung)
    try:
        assert api_for(server).post("c", b"x") == 0
    finally:
        release.set()
