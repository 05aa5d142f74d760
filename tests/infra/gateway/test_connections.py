"""Failure injection: severing a connection without $disconnect, and a Redis outage."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import redis
from websockets.exceptions import ConnectionClosed

from infra.emulator import Emulator
from tests.infra.support import FIXTURES, Recorder, management, new_tag, open_socket


def test_sever_drops_the_socket_without_disconnect(emulator: Emulator, recorder: Recorder) -> None:
    tag, other_tag = new_tag(), new_tag()
    api = management(emulator)
    with open_socket(emulator, tag=tag) as ws, open_socket(emulator, tag=other_tag) as other:
        conn_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        other_id = recorder.connect_event(other_tag)["requestContext"]["connectionId"]
        assert {conn_id, other_id} <= set(emulator.connection_ids())

        emulator.sever(conn_id)

        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
        assert info.value.rcvd is None  # no close frame: the TCP connection just went away
        assert conn_id not in emulator.connection_ids()
        assert other_id in emulator.connection_ids()
        with pytest.raises(api.exceptions.GoneException):
            api.get_connection(ConnectionId=conn_id)
        with pytest.raises(api.exceptions.GoneException):
            api.post_to_connection(ConnectionId=conn_id, Data=b"late")
        with pytest.raises(KeyError):
            emulator.sever(conn_id)
        # The rest of the gateway is unaffected.
        other.send(json.dumps({"action": "count"}))
        assert "count" in json.loads(other.recv(timeout=10))
    recorder.for_connection("$disconnect", other_id)  # a normal close still reports
    time.sleep(0.3)
    assert not [
        e for e in recorder.events("$disconnect") if e["requestContext"]["connectionId"] == conn_id
    ]


@pytest.fixture(scope="module")
def outage() -> Iterator[Emulator]:
    with Emulator(FIXTURES / "template.yaml", schedules=False) as emu:
        if not emu.owns_redis:
            pytest.skip("REDIS_URL is set: the emulator did not spawn its own Redis")
        yield emu


def test_stop_and_restart_redis_on_the_same_url(outage: Emulator) -> None:
    url = outage.redis_url
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    assert client.ping()
    assert outage.run_schedule("ScheduledFunction")["ok"] is True  # a warm worker, connected

    outage.stop_redis()
    outage.stop_redis()  # idempotent
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    error = outage.run_schedule("ScheduledFunction")  # the function fails; the emulator lives
    assert "ConnectionError" in error["errorType"]

    outage.start_redis()
    outage.start_redis()  # no-op while running
    assert outage.redis_url == url
    assert redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    assert client.ping()  # an old client reconnects to the same address
    assert outage.run_schedule("ScheduledFunction")["ok"] is True  # so does the function


def test_redis_controls_need_an_own_redis() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        Emulator(FIXTURES / "template.yaml").start_redis()
    with pytest.raises(RuntimeError, match="external Redis"):
        Emulator(FIXTURES / "template.yaml", redis_url="redis://127.0.0.1:1/0").stop_redis()
