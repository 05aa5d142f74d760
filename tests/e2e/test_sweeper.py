"""Presence without heartbeats through functions: an idle client keeps its connection
with pings API Gateway answers itself and stays online; a connection dropped without
its $disconnect is found by the sweeper (API Gateway says it is gone) and its user
goes offline; a silent client is closed at API Gateway's idle timeout.

The module's emulator scales the minutes down: presence TTL 2 s (pings every 1 s),
API Gateway's idle timeout 4 s, the sweeper every half second."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import TEMPLATE
from tests.tables import rooms_of
from tests.waits import after
from tests.wsclient import ChatClient

TTL = 2
IDLE_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def short_lived(emulator: Any) -> Iterator[Any]:
    """An emulator with a 2-second presence TTL, a 4-second idle timeout and the sweeper
    every half second (its schedule is read from template.yaml; only the period is
    shortened)."""
    from infra.emulator import Emulator

    emu = Emulator(
        TEMPLATE,
        stage="sweep",
        parameter_overrides={"PresenceTtlSeconds": str(TTL)},
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        schedule_interval=0.5,
        idle_timeout=IDLE_TIMEOUT,
    )
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def client_of(emu: Any, user_id: str) -> ChatClient:
    return ChatClient(emu.websocket_url, emu.token(user_id))


def create_chat(emu: Any, creator: str, *members: str) -> str:
    import httpx

    response = httpx.post(
        f"{emu.rest_url}/chats",
        json={"members": list(members)},
        headers={"authorization": f"Bearer {emu.token(creator)}"},
    )
    assert response.status_code == 201
    return str(response.json()["id"])


def keep_alive(client: ChatClient, hello: dict[str, Any]) -> None:
    """What a client does on its keep-alive timer: the announced frame, no answer awaited."""
    client.send_raw(json.dumps({"action": hello["keepAlive"]["action"]}))


def statuses(frames: list[dict[str, Any]], user_id: str) -> list[str]:
    return [
        f["data"]["status"]
        for f in frames
        if f.get("event") == "user:status" and f["data"].get("userId") == user_id
    ]


def wait_for_status(watcher: ChatClient, user_id: str, status: str, seconds: float) -> dict:
    """Wait for a user:status while keeping the watcher's own connection alive."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        watcher.send_raw('{"action": "ping"}')
        for frame in watcher.drain(0.5):
            data = frame.get("data") or {}
            if frame.get("event") == "user:status" and (data.get("userId"), data.get("status")) == (
                user_id,
                status,
            ):
                return data
    raise AssertionError(f"no {status} status for {user_id} within {seconds}s")


def test_a_severed_session_goes_offline_after_the_sweep(
    short_lived: Any,
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    create_chat(short_lived, alice, bob)
    with client_of(short_lived, bob) as bobs:
        alices = client_of(short_lived, alice)
        connection_id = alices.request("hello")["data"]["connectionId"]
        wait_for_status(bobs, alice, "online", 3)
        short_lived.sever(connection_id)  # no $disconnect will ever come

        # Found at the session's check-by time (a TTL without news) plus a sweep: the
        # scaled-down "offline within 11 minutes".
        offline = wait_for_status(bobs, alice, "offline", after(TTL + 0.5))
        assert offline["lastSeen"]
        record = dynamodb.get_item(
            TableName=tables["ConnectionsTable"],
            Key={"connectionId": {"S": connection_id}},
            ConsistentRead=True,
        )
        assert "Item" not in record
        assert rooms_of(dynamodb, tables, connection_id) == set()


def test_an_idle_client_that_keeps_alive_stays_online_across_many_periods(
    short_lived: Any, user: Callable[[str], str]
) -> None:
    dave, erin = user("dave"), user("erin")
    create_chat(short_lived, dave, erin)
    with client_of(short_lived, erin) as erins, client_of(short_lived, dave) as daves:
        hello = daves.request("hello")["data"]
        assert hello["keepAlive"] == {"action": "ping", "intervalSeconds": 1}
        connection_id = hello["connectionId"]
        wait_for_status(erins, dave, "online", 3)
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 3 * IDLE_TIMEOUT  # several TTLs and idle timeouts
        while time.monotonic() < deadline:
            keep_alive(daves, hello)
            assert daves.drain(hello["keepAlive"]["intervalSeconds"] / 2) == []  # no answer
            keep_alive(erins, hello)
            seen += erins.drain(hello["keepAlive"]["intervalSeconds"] / 2)
        assert statuses(seen, dave) == []  # never flapped
        assert connection_id in short_lived.connection_ids()
        assert daves.request("presence:heartbeat")["data"]["presence"] == "ok"


def test_a_silent_client_is_closed_at_the_idle_timeout_and_goes_offline(
    short_lived: Any, user: Callable[[str], str]
) -> None:
    carol, frank = user("carol"), user("frank")
    create_chat(short_lived, carol, frank)
    with client_of(short_lived, frank) as franks:
        silent = client_of(short_lived, carol)
        connection_id = silent.request("hello")["data"]["connectionId"]
        wait_for_status(franks, carol, "online", 3)
        wait_for_status(franks, carol, "offline", after(IDLE_TIMEOUT))
        assert connection_id not in short_lived.connection_ids()
        with pytest.raises(ConnectionClosed):
            silent.ws.recv(timeout=2)
