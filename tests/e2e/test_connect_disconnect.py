"""$connect registers a connection with its rooms; $disconnect removes them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.tables import rooms_of
from tests.wsclient import ChatClient


def wait_until(condition: Callable[[], bool], timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_connect_registers_the_connection_with_a_ttl_and_joins_user_and_chat_rooms(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    client = connect(alice)
    hello = client.request("hello")["data"]
    assert hello["chats"] == [chat_id]
    connection_id = hello["connectionId"]
    # The server's clock, for a client's first sync cursor (same host: minutes apart at most).
    server_time = datetime.fromisoformat(hello["serverTime"].replace("Z", "+00:00"))
    assert abs(server_time.timestamp() - time.time()) < 300

    record = dynamodb.get_item(
        TableName=tables["ConnectionsTable"],
        Key={"connectionId": {"S": connection_id}},
        ConsistentRead=True,
    )["Item"]
    assert record["userId"]["S"] == alice
    assert record["sourceIp"]["S"] == "127.0.0.1"
    expires_in = int(record["expiresAt"]["N"]) - time.time()
    assert 2 * 3600 < expires_in <= 2 * 3600 + 15 * 60 + 5
    assert rooms_of(dynamodb, tables, connection_id) == {f"user:{alice}", f"chat:{chat_id}"}


def test_disconnect_removes_the_connection_and_its_room_entries(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    create_chat(alice, user("bob"))
    client = connect(alice)
    connection_id = client.request("hello")["data"]["connectionId"]
    client.close()

    def gone() -> bool:
        item = dynamodb.get_item(
            TableName=tables["ConnectionsTable"], Key={"connectionId": {"S": connection_id}}
        )
        return "Item" not in item and not rooms_of(dynamodb, tables, connection_id)

    assert wait_until(gone)


def test_the_management_api_describes_a_live_connection(
    emulator: Any, connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    import boto3

    client = connect(user("alice"))
    connection_id = client.request("hello")["data"]["connectionId"]
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.management_url,
        verify=emulator.ca_bundle,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    described = management.get_connection(ConnectionId=connection_id)
    assert described["Identity"]["SourceIp"] == "127.0.0.1"
    assert described["ConnectedAt"].timestamp() <= time.time()
