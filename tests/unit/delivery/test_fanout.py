"""shared.delivery.fanout: posts counted delivered, gone (cleaned up) or failed, over real HTTP."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import unquote

import pytest

from shared import clock, config
from shared.config import CONNECTION_TTL_SECONDS
from shared.delivery import fanout, management_api
from shared.delivery.fanout import FanoutResult
from shared.protocol import Event
from shared.store import chats, connections, rooms
from shared.store.models import Connection
from tests.tables import room_names_of

Configure = Callable[..., config.Settings]
STAGE = "prod"


class Gateway(ThreadingMixIn, HTTPServer):
    """The Management API's POST /{stage}/@connections/{id}: 200 unless told otherwise."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        self.answers: dict[str, int] = {}  # connection id -> status
        self.posts: list[tuple[str, bytes]] = []  # (connection id, body), as received
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{STAGE}"

    def bodies(self, connection_id: str) -> list[Any]:
        return [json.loads(body) for cid, body in self.posts if cid == connection_id]


class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["content-length"]))
        prefix = f"/{STAGE}/@connections/"
        connection_id = unquote(self.path[len(prefix) :]) if self.path.startswith(prefix) else ""
        with self.server.lock:
            self.server.posts.append((connection_id, body))
        status = self.server.answers.get(connection_id, 200) if connection_id else 404
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setattr(management_api, "backoff_seconds", lambda attempt: 0.0)
    server = Gateway()
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def register(
    connection_id: str, user_id: str, ago_ms: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$connect's records for a connection made ``ago_ms`` ago."""
    at_ms = clock.now_ms() - ago_ms
    with monkeypatch.context() as patch:
        patch.setattr(clock, "now_ms", lambda: at_ms)
        patch.setattr(clock, "now_s", lambda: at_ms // 1000)
        connections.register(connection_id, user_id, at_ms, "203.0.113.9")


def has_records(connection_id: str) -> bool:
    """Whether the connection's record or any of its room entries is left."""
    try:
        Connection.get(connection_id, consistent_read=True)
        return True
    except Connection.DoesNotExist:
        return bool(room_names_of(connection_id))


STALE_MS = connections.GONE_GRACE_MS + 60_000


# ---------------------------------------------------------------- post_to_connections


def test_answered_posts_count_as_delivered(gateway: Gateway) -> None:
    result = fanout.post_to_connections(["c1", "c2", "c3"], '{"event":"x"}', gateway.endpoint)
    assert result == FanoutResult(delivered=3, gone=[], failed=[])
    assert result.as_dict() == {"delivered": 3, "gone": 0, "failed": 0}
    assert sorted(cid for cid, _ in gateway.posts) == ["c1", "c2", "c3"]


def test_a_text_payload_goes_out_as_utf8_and_bytes_as_given(gateway: Gateway) -> None:
    fanout.post_to_connections(["text"], '{"msg":"héllo"}', gateway.endpoint)
    fanout.post_to_connections(["raw"], b"\x00\x01", gateway.endpoint)
    assert dict(gateway.posts) == {"text": '{"msg":"héllo"}'.encode(), "raw": b"\x00\x01"}


def test_a_connection_named_twice_is_posted_once(gateway: Gateway) -> None:
    result = fanout.post_to_connections(["c1", "c2", "c1", "c1"], "x", gateway.endpoint)
    assert result.delivered == 2
    assert sorted(cid for cid, _ in gateway.posts) == ["c1", "c2"]


def test_no_connections_post_nothing(gateway: Gateway) -> None:
    assert fanout.post_to_connections([], "x", gateway.endpoint) == FanoutResult()
    assert gateway.posts == []


def test_no_connections_make_no_management_api_client(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(endpoint: str, region: str) -> management_api.ManagementApi:
        raise AssertionError("a client (event loop, credentials, TLS context) for nobody")

    monkeypatch.setattr(management_api, "for_endpoint", refuse)
    assert fanout.post_to_connections([], "x", "https://example.invalid/prod") == FanoutResult()


def test_the_endpoint_defaults_to_the_management_endpoint_setting(
    gateway: Gateway, configure: Configure
) -> None:
    configure(management_endpoint=gateway.endpoint)
    assert fanout.post_to_connections(["c1"], "x").delivered == 1
    assert [cid for cid, _ in gateway.posts] == ["c1"]


def test_posts_refused_or_still_failing_after_retries_count_as_failed(gateway: Gateway) -> None:
    gateway.answers = {"forbidden": 403, "broken": 500}
    result = fanout.post_to_connections(["ok", "forbidden", "broken"], "x", gateway.endpoint)
    assert (result.delivered, result.gone, sorted(result.failed)) == (
        1,
        [],
        ["broken", "forbidden"],
    )
    attempts = [cid for cid, _ in gateway.posts]
    assert (attempts.count("forbidden"), attempts.count("broken")) == (1, 3)


def test_posts_to_an_unreachable_endpoint_count_as_failed(domain: config.Settings) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fanout.post_to_connections(["c1", "c2"], "x", f"http://127.0.0.1:{port}/prod")
    assert (result.delivered, result.gone, sorted(result.failed)) == (0, [], ["c1", "c2"])


# ---------------------------------------------------------------- 410: gone connections


def test_a_gone_connection_is_counted_and_its_records_removed(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, _, _ = chats.create_chat("alice", [], "team")
    register("stale", "alice", STALE_MS, monkeypatch)
    register("live", "alice", STALE_MS, monkeypatch)
    assert has_records("stale")
    gateway.answers = {"stale": 410}
    result = fanout.post_to_connections(["stale", "live"], "x", gateway.endpoint)
    assert (result.delivered, result.gone, result.failed) == (1, ["stale"], [])
    assert result.as_dict() == {"delivered": 1, "gone": 1, "failed": 0}
    assert not has_records("stale")
    assert has_records("live")  # the user's other device is untouched
    in_chat = [e.connection_id for e in rooms.resolve(rooms.chat_room(chat.chat_id))]
    assert in_chat == ["live"]


def test_a_gone_connection_still_completing_its_connect_keeps_its_records(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    register("young", "alice", 1_000, monkeypatch)  # connected a second ago
    gateway.answers = {"young": 410}
    result = fanout.post_to_connections(["young"], "x", gateway.endpoint)
    assert result.gone == ["young"]
    assert has_records("young")


def test_a_gone_connection_written_recently_keeps_its_records_even_if_connected_long_ago(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$connect may run long after the handshake: the write time counts too."""
    now_ms = clock.now_ms()
    Connection(
        "queued",
        user_id="alice",
        connected_at=now_ms - STALE_MS,
        expires_at=now_ms // 1000 + CONNECTION_TTL_SECONDS,
    ).save()
    gateway.answers = {"queued": 410}
    fanout.post_to_connections(["queued"], "x", gateway.endpoint)
    assert has_records("queued")


def test_a_gone_connection_without_a_record_is_left_to_its_ttl(gateway: Gateway) -> None:
    # Without its record the connection's user, and so its rooms, are unknown (the
    # rooms have no index by connection): leftover entries expire with their TTL.
    rooms.entry(rooms.user_room("alice"), "orphan", "alice").save()
    gateway.answers = {"orphan": 410}
    assert fanout.post_to_connections(["orphan"], "x", gateway.endpoint).gone == ["orphan"]
    assert room_names_of("orphan") == ["user:alice"]


def test_a_cleanup_that_fails_does_not_fail_the_fanout(
    gateway: Gateway, configure: Configure
) -> None:
    configure(connections_table="no-such-table")  # every cleanup's GetItem fails
    gateway.answers = {"c1": 410}
    result = fanout.post_to_connections(["c1", "c2"], "x", gateway.endpoint)
    assert (result.delivered, result.gone, result.failed) == (1, ["c1"], [])


# ---------------------------------------------------------------- rooms


def test_broadcast_to_chat_posts_the_frame_to_the_chats_connections_but_the_excluded(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat, _, _ = chats.create_chat("alice", ["bob"], "team")
    register("alice-1", "alice", STALE_MS, monkeypatch)
    register("bob-1", "bob", STALE_MS, monkeypatch)
    register("bob-2", "bob", STALE_MS, monkeypatch)
    register("carol-1", "carol", STALE_MS, monkeypatch)  # not a member
    result = fanout.broadcast_to_chat(
        chat.chat_id, Event.MESSAGE_NEW, {"body": "hi"}, "alice-1", gateway.endpoint
    )
    assert result.delivered == 2
    assert sorted(cid for cid, _ in gateway.posts) == ["bob-1", "bob-2"]
    assert gateway.bodies("bob-1") == [{"event": "message:new", "data": {"body": "hi"}}]


def test_send_to_user_posts_to_every_device_of_the_user(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    register("bob-phone", "bob", STALE_MS, monkeypatch)
    register("bob-laptop", "bob", STALE_MS, monkeypatch)
    register("carol-1", "carol", STALE_MS, monkeypatch)
    result = fanout.send_to_user("bob", Event.USER_STATUS, {"s": 1}, gateway.endpoint)
    assert result.delivered == 2
    assert sorted(cid for cid, _ in gateway.posts) == ["bob-laptop", "bob-phone"]
    assert gateway.bodies("bob-phone") == [{"event": "user:status", "data": {"s": 1}}]


def test_send_to_a_user_without_connections_posts_nothing(gateway: Gateway) -> None:
    assert fanout.send_to_user("nobody", Event.USER_STATUS, {}, gateway.endpoint) == FanoutResult()
    assert gateway.posts == []


def test_broadcast_posts_to_every_live_connection(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    for connection_id, user_id in [("a1", "alice"), ("b1", "bob"), ("c1", "carol")]:
        register(connection_id, user_id, STALE_MS, monkeypatch)
    result = fanout.broadcast(Event.USER_STATUS, {"all": True}, gateway.endpoint)
    assert result.delivered == 3
    assert sorted(cid for cid, _ in gateway.posts) == ["a1", "b1", "c1"]
