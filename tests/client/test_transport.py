"""One WebSocket: the token in the URL, refused handshakes, frames in and out, drops."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from switchboard_client import AuthenticationError, ConnectError, SwitchboardClient
from switchboard_client.transport import Transport, url_with_token
from tests.client.fakeserver import FakeServer

pytestmark = pytest.mark.anyio


def test_the_token_goes_in_the_query_replacing_any_other() -> None:
    assert url_with_token("wss://h/prod", "a.b.c") == "wss://h/prod?token=a.b.c"
    assert url_with_token("ws://h:1/s?x=1&token=old", "new") == "ws://h:1/s?x=1&token=new"
    assert url_with_token("ws://h/s", "a+b/c=") == "ws://h/s?token=a%2Bb%2Fc%3D"


async def test_frames_round_trip_and_the_server_clock_is_read(emulator: Any) -> None:
    transport = await Transport.open(emulator.websocket_url, emulator.token("transport-t"))
    try:
        await transport.send({"action": "hello", "requestId": "r1"})
        frame = await anext(transport.frames())
        assert frame["event"] == "connection:success" and frame["requestId"] == "r1"
        assert frame["data"]["userId"] == "transport-t"
        # the handshake's Date header: the stream's start for resume (server clock)
        assert transport.server_time_ms is None or transport.server_time_ms > 1.7e12
    finally:
        await transport.close()
    assert transport.close_code == 1000


async def test_a_refused_token_is_an_authentication_error(emulator: Any) -> None:
    with pytest.raises(AuthenticationError) as info:
        await Transport.open(emulator.websocket_url, "not-a-jwt")
    assert info.value.status == 403
    client = SwitchboardClient(emulator.websocket_url, "not-a-jwt")
    with pytest.raises(AuthenticationError):
        await client.connect()
    await client.close()


async def test_an_unreachable_server_is_a_connect_error(fake_server: FakeServer) -> None:
    url = fake_server.url
    await fake_server.close()
    with pytest.raises(ConnectError) as info:
        await Transport.open(url, "t")
    assert info.value.status is None


async def test_other_refusals_carry_their_status(fake_server: FakeServer) -> None:
    fake_server.refuse_status = 500
    with pytest.raises(ConnectError) as info:
        await Transport.open(fake_server.url, "t")
    assert info.value.status == 500 and not isinstance(info.value, AuthenticationError)


async def test_frames_that_are_not_json_objects_are_skipped(fake_server: FakeServer) -> None:
    async def junk(frame: dict, server: FakeServer, connection: Any) -> bool:
        for raw in (b"\x00binary", "not json", "[1, 2]"):
            await connection.send(raw)
        await connection.send(json.dumps({"event": "typing", "data": {"ok": True}}))
        return True

    fake_server.handler = junk
    transport = await Transport.open(fake_server.url, "t")
    await transport.send({"action": "anything"})
    frame = await anext(transport.frames())
    assert frame == {"event": "typing", "data": {"ok": True}}
    await transport.close()


async def test_abort_drops_the_connection_without_a_close_frame(fake_server: FakeServer) -> None:
    transport = await Transport.open(fake_server.url, "t")
    frames = transport.frames()
    reading = asyncio.ensure_future(anext(frames, None))
    transport.abort()
    assert await asyncio.wait_for(reading, 10) is None  # the iteration just ends
    assert transport.close_code == 1006
