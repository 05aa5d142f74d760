"""Client actions through the emulator: messages fan out to the chat, acks and errors
answer the sender only, retries never duplicate, stale connections are cleaned up."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.tables import stored_messages
from tests.wsclient import ChatClient


def test_a_message_reaches_every_device_of_every_member_but_the_sending_one(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    phone, laptop, bobs = connect(alice), connect(alice), connect(bob)

    ack = bobs.request("message:send", {"chatId": chat_id, "body": "hi", "clientMessageId": "c1"})
    assert ack["event"] == "ack"
    message = ack["data"]
    assert message["chatId"] == chat_id
    assert message["senderId"] == bob
    assert message["body"] == "hi"
    assert message["clientMessageId"] == "c1"
    assert set(message) == {
        "id",
        "chatId",
        "senderId",
        "body",
        "createdAt",
        "clientMessageId",
        "version",
        "editedAt",
        "deleted",
        "reactions",
        "attachments",
        "call",
    }

    for device in (phone, laptop):
        assert device.wait_event("message:new")["data"] == message
    assert [f for f in bobs.drain(0.3) if f.get("event") == "message:new"] == []


def test_members_connected_before_the_chat_existed_join_it_at_once(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    alices, bobs = connect(alice), connect(bob)
    chat_id = create_chat(alice, bob, name="later")
    created = bobs.wait_event("chat:created")["data"]
    assert created["id"] == chat_id
    assert set(created["members"]) == {alice, bob}
    alices.request("message:send", {"chatId": chat_id, "body": "welcome"})
    assert bobs.wait_event("message:new")["data"]["body"] == "welcome"


def test_a_non_member_is_refused_and_nothing_is_stored_or_delivered(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    chat_id = create_chat(alice, bob)
    bobs, eves = connect(bob), connect(eve)
    reply = eves.request("message:send", {"chatId": chat_id, "body": "let me in"})
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "forbidden"
    assert stored_messages(dynamodb, tables, chat_id) == []
    assert bobs.drain(0.3) == []
    # A chat that does not exist looks the same: ids can't be probed.
    missing = eves.request("message:send", {"chatId": "no-such-chat", "body": "hello?"})
    assert missing["data"]["code"] == "forbidden"


def test_a_retried_client_message_id_is_stored_and_delivered_once(
    aws_calls: Callable[[Any], dict[str, int]],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    data = {"chatId": chat_id, "body": "only once", "clientMessageId": "retry-1"}
    first = alices.request("message:send", data)["data"]
    retry_id = alices.send("message:send", data)
    second = alices.wait(lambda f: f.get("requestId") == retry_id)["data"]
    assert first == second
    assert len(stored_messages(dynamodb, tables, chat_id)) == 1
    received = [f for f in bobs.drain(0.5) if f.get("event") == "message:new"]
    assert [f["data"]["id"] for f in received] == [first["id"]]
    # The original comes back in the failed Put's answer: no read, no post.
    assert aws_calls(retry_id) == {"dynamodb.Query": 1, "dynamodb.PutItem": 1, "redis.RoundTrip": 1}


def test_the_same_client_message_id_from_two_senders_is_two_messages(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    a = alices.request("message:send", {"chatId": chat_id, "body": "a", "clientMessageId": "x"})
    b = bobs.request("message:send", {"chatId": chat_id, "body": "b", "clientMessageId": "x"})
    assert a["data"]["id"] != b["data"]["id"]
    assert len(stored_messages(dynamodb, tables, chat_id)) == 2


def test_a_connection_that_vanished_without_disconnect_is_cleaned_up_by_the_next_fan_out(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    # API Gateway lost this connection's $disconnect: its records are still there.
    ghost = "GhostConn0A=" + bob[-6:]
    expires = {"N": str(int(time.time()) + 3600)}
    dynamodb.put_item(
        TableName=tables["ConnectionsTable"],
        Item={
            "connectionId": {"S": ghost},
            "userId": {"S": bob},
            "connectedAt": {"N": "1"},
            "expiresAt": expires,
        },
    )
    for room in (f"chat:{chat_id}", f"user:{bob}"):
        dynamodb.put_item(
            TableName=tables["RoomsTable"],
            Item={
                "room": {"S": room},
                "connectionId": {"S": ghost},
                "userId": {"S": bob},
                "expiresAt": expires,
            },
        )
    alices.request("message:send", {"chatId": chat_id, "body": "anyone?"})
    assert bobs.wait_event("message:new")["data"]["body"] == "anyone?"

    connection = dynamodb.get_item(
        TableName=tables["ConnectionsTable"],
        Key={"connectionId": {"S": ghost}},
        ConsistentRead=True,
    )
    assert "Item" not in connection
    for room in (f"chat:{chat_id}", f"user:{bob}"):
        entry = dynamodb.get_item(
            TableName=tables["RoomsTable"],
            Key={"room": {"S": room}, "connectionId": {"S": ghost}},
            ConsistentRead=True,
        )
        assert "Item" not in entry


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_request"),
        ("[1, 2, 3]", "bad_request"),
        ('{"action": "message:send", "requestId": "q1", "data": {"chatId": "c"}}', "bad_request"),
        ('{"action": "message:send", "requestId": "q1", "data": "x"}', "bad_request"),
        (
            '{"action": "message:send", "requestId": "q1", "data": {"chatId": 1, "body": "x"}}',
            "bad_request",
        ),
        ('{"action": "no:such", "requestId": "q1"}', "unknown_action"),
        ('{"requestId": "q1"}', "bad_request"),
    ],
)
def test_bad_frames_get_an_error_with_a_code_and_the_connection_keeps_working(
    connect: Callable[..., ChatClient], user: Callable[[str], str], raw: str, code: str
) -> None:
    client = connect(user("alice"))
    client.send_raw(raw)
    error = client.wait_event("error")
    assert error["data"]["code"] == code
    assert error["data"]["message"]
    if '"requestId": "q1"' in raw:
        assert error["requestId"] == "q1"
    assert client.request("hello")["event"] == "connection:success"


def test_an_over_long_body_is_refused(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    client = connect(alice)
    reply = client.request("message:send", {"chatId": chat_id, "body": "x" * 4001})
    assert reply["data"]["code"] == "bad_request"
    assert stored_messages(dynamodb, tables, chat_id) == []


def test_a_payload_cannot_claim_another_sender(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices = connect(alice)
    frame = {
        "action": "message:send",
        "requestId": "spoof",
        "data": {"chatId": chat_id, "body": "from bob?", "senderId": bob},
    }
    alices.send_raw(json.dumps(frame))
    reply = alices.wait(lambda f: f.get("requestId") == "spoof")
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "bad_request"
