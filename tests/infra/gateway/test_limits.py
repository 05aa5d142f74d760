"""What API Gateway refuses before any route: WebSocket URLs over 4,096 characters (414),
and handshakes too large to parse (414 / 431). Every refusal is answered and the socket
closed; none may leave the client waiting."""

from __future__ import annotations

import socket

import pytest

from infra.emulator import Emulator
from infra.gateway.limits import MAX_WEBSOCKET_URL_CHARS
from tests.infra.support import Recorder, new_tag, open_socket, refused_status

HANDSHAKE = (
    "GET {target} HTTP/1.1\r\n"
    "Host: {host}\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
)


def raw_handshake(emulator: Emulator, target: str, extra: bytes = b"") -> tuple[bytes, bytes]:
    """Send a handshake on a bare socket; return (status line, everything after it) once
    the server has closed the connection. A server that hangs fails the socket timeout."""
    host = f"{emulator.host}:{emulator.port}"
    request = HANDSHAKE.format(target=target, host=host).encode() + extra + b"\r\n"
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):  # socket.timeout if the server never answers
            received += chunk
    status, _, rest = received.partition(b"\r\n")
    return status, rest


def url_of_length(emulator: Emulator, length: int, tag: str) -> str:
    base = f"{emulator.websocket_url}?token=good&tag={tag}&pad="
    return base + "p" * (length - len(base))


def test_a_url_over_4096_characters_is_refused_before_the_authorizer(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    url = url_of_length(emulator, MAX_WEBSOCKET_URL_CHARS + 1, tag)
    assert refused_status(emulator, url.split("?", 1)[1]) == 414
    at_limit = url_of_length(emulator, MAX_WEBSOCKET_URL_CHARS, tag)
    with open_socket(emulator, tag=tag, pad=at_limit.rsplit("pad=", 1)[1]):
        pass  # exactly 4,096 characters connect
    connects = [
        e
        for e in recorder.events("$connect")
        if (e.get("queryStringParameters") or {}).get("tag") == tag
    ]
    assert len(connects) == 1  # only the one at the limit reached $connect


@pytest.mark.parametrize("length", [9_000, 70_000])
def test_a_request_line_over_8_kb_is_answered_414_not_left_hanging(
    emulator: Emulator, length: int
) -> None:
    status, rest = raw_handshake(emulator, f"/{emulator.stage}?token={'e' * length}")
    assert status == b"HTTP/1.1 414 Request-URI Too Long", rest


@pytest.mark.parametrize(
    "headers",
    [
        b"X-Big: " + b"h" * 9_000 + b"\r\n",  # one header line over 8 KB
        b"".join(b"X-Many-%d: v\r\n" % i for i in range(200)),  # over 128 headers
    ],
    ids=["long-header", "many-headers"],
)
def test_headers_too_large_to_parse_are_answered_431(emulator: Emulator, headers: bytes) -> None:
    status, rest = raw_handshake(emulator, f"/{emulator.stage}?token=good", headers)
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large", rest


def test_the_gateway_still_serves_after_refusals(emulator: Emulator) -> None:
    raw_handshake(emulator, f"/{emulator.stage}?token={'e' * 9_000}")
    with open_socket(emulator) as ws:
        ws.send('{"action": "count"}')
        assert "count" in ws.recv(timeout=10)
