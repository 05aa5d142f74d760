"""Sessions whose $disconnect never came: they expire in Redis and the scheduled
sweeper removes their records, closes their sockets and announces the user offline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import TEMPLATE
from tests.waits import after
from tests.wsclient import ChatClient

TTL = 2


@pytest.fixture(scope="module")
def short_lived(emulator: Any) -> Iterator[Any]:
    """An emulator with 2-second presence sessions and the sweeper every second
    (its schedule is read from template.yaml; only the period is shortened)."""
    from infra.emulator import Emulator

    emu = Emulator(
        TEMPLATE,
        stage="sweep",
        parameter_overrides={"PresenceTtlSeconds": str(TTL)},
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        schedule_interval=1.0,
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


def wait_for_status(watcher: ChatClient, user_id: str, status: str, seconds: float) -> dict:
    """Wait for a user:status while keeping the watcher's own session alive."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        watcher.send("presence:heartbeat")
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

        offline = wait_for_status(bobs, alice, "offline", after(TTL))
        assert offline["lastSeen"]
        record = dynamodb.get_item(
            TableName=tables["ConnectionsTable"],
            Key={"connectionId": {"S": connection_id}},
            ConsistentRead=True,
        )
        assert "Item" not in record
        rooms = dynamodb.query(
            TableName=tables["RoomsTable"],
            IndexName="byConnection",
            KeyConditionExpression="connectionId = :c",
            ExpressionAttributeValues={":c": {"S": connection_id}},
        )["Items"]
        assert rooms == []


def test_a_silent_but_open_socket_is_closed_by_the_sweep(
    short_lived: Any, user: Callable[[str], str]
) -> None:
    silent = client_of(short_lived, user("carol"))
    connection_id = silent.request("hello")["data"]["connectionId"]
    deadline = time.monotonic() + after(TTL)
    while connection_id in short_lived.connection_ids():
        assert time.monotonic() < deadline, "the sweeper did not close the silent connection"
        time.sleep(0.25)
    with pytest.raises(ConnectionClosed):
        silent.ws.recv(timeout=2)


def test_heartbeats_keep_a_session_alive_across_sweeps(
    short_lived: Any, user: Callable[[str], str]
) -> None:
    with client_of(short_lived, user("dave")) as dave:
        connection_id = dave.request("hello")["data"]["connectionId"]
        for _ in range(int((TTL + 3) / 0.5)):
            dave.send("presence:heartbeat")
            dave.drain(0.5)
        assert connection_id in short_lived.connection_ids()
        assert dave.request("presence:heartbeat")["data"]["presence"] == "ok"
