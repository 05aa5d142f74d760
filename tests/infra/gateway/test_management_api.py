"""The Management API (TLS and plain) through boto3's own client, and raw HTTP."""

from __future__ import annotations

import datetime
import json
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from infra.emulator import Emulator
from tests.infra.support import Recorder, management, new_tag


def test_post_get_delete(emulator: Emulator, recorder: Recorder) -> None:
    tag = new_tag()
    api = management(emulator)
    with connect(f"{emulator.websocket_url}?token=good&tag={tag}", open_timeout=15) as ws:
        conn_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        api.post_to_connection(ConnectionId=conn_id, Data=b'{"hello": 1}')
        assert ws.recv(timeout=5) == '{"hello": 1}'
        management(emulator, tls=False).post_to_connection(ConnectionId=conn_id, Data=b"plain")
        assert ws.recv(timeout=5) == "plain"

        info = api.get_connection(ConnectionId=conn_id)
        assert isinstance(info["ConnectedAt"], datetime.datetime)
        assert isinstance(info["LastActiveAt"], datetime.datetime)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"

        with pytest.raises(api.exceptions.PayloadTooLargeException):
            api.post_to_connection(ConnectionId=conn_id, Data=b"x" * (128 * 1024 + 1))

        response = api.delete_connection(ConnectionId=conn_id)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert recorder.for_connection("$disconnect", conn_id)["requestContext"]
    time.sleep(0.1)
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=conn_id, Data=b"late")
    assert (
        len(
            [
                e
                for e in recorder.events("$disconnect")
                if e["requestContext"]["connectionId"] == conn_id
            ]
        )
        == 1
    )


def test_unknown_connection_is_gone(emulator: Emulator) -> None:
    api = management(emulator)
    for call in (
        lambda: api.post_to_connection(ConnectionId="nope", Data=b"x"),
        lambda: api.get_connection(ConnectionId="nope"),
        lambda: api.delete_connection(ConnectionId="nope"),
    ):
        with pytest.raises(api.exceptions.GoneException):
            call()
    raw = httpx.post(f"{emulator.management_url_plain}/@connections/nope", content=b"x")
    assert raw.status_code == 410
    assert raw.headers["x-amzn-ErrorType"] == "GoneException"
    assert raw.json() == {"message": None}


def test_post_during_connect_is_gone(emulator: Emulator, recorder: Recorder) -> None:
    recorder.client.delete("selfpost")
    with connect(f"{emulator.websocket_url}?token=good&selfpost=1", open_timeout=15) as ws:
        ws.send(json.dumps({"action": "count"}))
        ws.recv(timeout=10)  # the early post never reached the socket
    assert recorder.client.lrange("selfpost", 0, -1) == ["gone"]
