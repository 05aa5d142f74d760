"""The connection registry: severing a connection drops it without a $disconnect."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from infra.emulator import Emulator
from tests.infra.support import Recorder, management, new_tag, open_socket


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
