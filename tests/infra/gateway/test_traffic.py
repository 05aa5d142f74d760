"""What the emulator counts of API Gateway's billed traffic: messages in (by route) and
out (route responses, posts), the Management API's GETs, and connection time."""

from __future__ import annotations

import json
import time

from infra.emulator import Emulator
from infra.gateway.traffic import TrafficSnapshot, message_units
from tests.infra.support import Recorder, management, new_tag, open_socket


def test_messages_are_billed_per_started_32_kb() -> None:
    assert message_units("") == 1
    assert message_units("x" * 32 * 1024) == 1
    assert message_units("x" * (32 * 1024 + 1)) == 2
    assert message_units("é" * 16 * 1024 + "x") == 2  # bytes, not characters


def test_snapshots_subtract_to_the_traffic_between_them() -> None:
    a = TrafficSnapshot(inbound={"ping": 2}, posts=1, connection_seconds=10.0)
    b = TrafficSnapshot(inbound={"ping": 5, "hello": 1}, posts=3, gets=2, connection_seconds=70.0)
    between = b - a
    assert between.inbound == {"ping": 3, "hello": 1}
    assert (between.posts, between.gets, between.connection_minutes) == (2, 2, 1.0)
    assert (between.messages_in, between.messages_out, between.messages) == (4, 2, 6)


def test_the_gateway_counts_frames_responses_posts_gets_and_connection_time(
    emulator: Emulator, recorder: Recorder
) -> None:
    before = emulator.traffic()
    tag = new_tag()
    with open_socket(emulator, tag=tag) as ws:
        connection_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        ws.send("plain text")  # $default: the echo function posts it back, and answers it
        ws.recv(timeout=10)
        ws.recv(timeout=10)
        ws.send(json.dumps({"action": "echo", "pad": "x" * 40_000}))  # no route response
        ws.recv(timeout=10)  # the post: over 32 KB, two messages
        management(emulator).get_connection(ConnectionId=connection_id)
        time.sleep(0.3)
        during = emulator.traffic() - before
    between = emulator.traffic() - before
    assert during.inbound == {"$default": 1, "echo": 2}
    assert during.route_responses == {"$default": 1}
    assert (during.posts, during.gets, during.deletes, during.gateway_errors) == (3, 1, 0, 0)
    assert during.connections == 1 and during.connection_seconds >= 0.3
    assert between.connection_seconds >= during.connection_seconds
