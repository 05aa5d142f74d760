"""Read receipts and unread counts through the emulator, with real clients: the read
position only moves forward, the chat hears about it, and GET /chats shows each
chat's last message and unread count."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.waits import after
from tests.wsclient import ChatClient


def send(client: ChatClient, chat_id: str, body: str = "hello") -> dict[str, Any]:
    reply = client.request("message:send", {"chatId": chat_id, "body": body})
    assert reply["event"] == "ack", reply
    return dict(reply["data"])


def membership(dynamodb: Any, tables: dict[str, str], chat_id: str, user_id: str) -> Any:
    return dynamodb.get_item(
        TableName=tables["MembersTable"],
        Key={"chatId": {"S": chat_id}, "userId": {"S": user_id}},
        ConsistentRead=True,
    )["Item"]


def events(client: ChatClient, name: str, seconds: float = 0.4) -> list[dict[str, Any]]:
    return [f for f in client.drain(seconds) if f.get("event") == name]


def chats_of(api: Callable[..., httpx.Response], user_id: str) -> dict[str, Any]:
    response = api(user_id, "GET", "/chats")
    assert response.status_code == 200, response.text
    return {chat["id"]: chat for chat in response.json()["chats"]}


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Callable[[Callable[[dict[str, Any]], bool]], Any]:
    """The first invocation log line (JSON) of any function that matches a predicate."""
    caplog.set_level(logging.INFO, logger="switchboard.lambda")

    def find(predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + after()
        while time.monotonic() < deadline:
            for record in caplog.records:
                text = record.getMessage()
                start = text.find("{")
                if start < 0 or '"awsCalls"' not in text:
                    continue
                try:
                    line = json.loads(text[start:])
                except ValueError:
                    continue
                if predicate(line):
                    return dict(line)
            time.sleep(0.05)
        raise AssertionError("no matching invocation log")

    return find


def test_reading_moves_the_position_forward_and_tells_the_chat(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    logged: Callable[[Callable[[dict[str, Any]], bool]], Any],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, phone, laptop = connect(alice), connect(bob), connect(bob)
    first, second = send(alices, chat_id, "one"), send(alices, chat_id, "two")
    phone.drain(0.3), laptop.drain(0.3), alices.drain(0.1)

    request_id = phone.send("message:read", {"chatId": chat_id, "messageId": second["id"]})
    ack = phone.wait(lambda f: f.get("requestId") == request_id)
    assert ack["event"] == "ack"
    read = ack["data"]
    assert set(read) == {"chatId", "userId", "messageId", "readAt"}
    assert read["chatId"] == chat_id and read["userId"] == bob
    assert read["messageId"] == second["id"] and read["readAt"]
    for client in (alices, laptop):  # the reader's other device too
        assert client.wait_event("message:read")["data"] == read
    assert events(phone, "message:read") == []
    item = membership(dynamodb, tables, chat_id, bob)
    assert item["lastReadId"] == {"S": second["id"]}
    line = logged(lambda entry: entry.get("clientRequestId") == request_id)
    assert line["awsCalls"] == {
        "redis.RoundTrip": 1,  # the rate limit (shared/rate_limit.py)
        "dynamodb.Query": 2,
        "dynamodb.UpdateItem": 1,
        "apigatewaymanagementapi.PostToConnection": 2,
    }

    # Backwards (and the same again) is acked with the position as it stands, silently.
    for message in (first, second):
        request_id = laptop.send("message:read", {"chatId": chat_id, "messageId": message["id"]})
        back = laptop.wait(lambda f, r=request_id: f.get("requestId") == r)
        assert back["event"] == "ack"
        assert back["data"] == read
    assert events(alices, "message:read") == []
    assert events(phone, "message:read") == []
    assert membership(dynamodb, tables, chat_id, bob)["lastReadId"] == {"S": second["id"]}


def test_read_all_marks_the_newest_message_read(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)

    empty = bobs.request("chat:read-all", {"chatId": chat_id})
    assert empty["event"] == "ack"
    assert empty["data"] == {"chatId": chat_id, "userId": bob, "messageId": None, "readAt": None}
    assert events(alices, "message:read") == []

    sent = [send(alices, chat_id, f"m{i}") for i in range(3)]
    bobs.drain(0.3)
    ack = bobs.request("chat:read-all", {"chatId": chat_id})
    assert ack["event"] == "ack"
    assert ack["data"]["messageId"] == sent[-1]["id"]
    assert alices.wait_event("message:read")["data"] == ack["data"]
    assert membership(dynamodb, tables, chat_id, bob)["lastReadId"] == {"S": sent[-1]["id"]}

    again = bobs.request("chat:read-all", {"chatId": chat_id})
    assert again["data"] == ack["data"]
    assert events(alices, "message:read") == []


def test_reads_need_membership_and_an_existing_message(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    chat_id = create_chat(alice, bob)
    alices, bobs, eves = connect(alice), connect(bob), connect(eve)
    sent = send(alices, chat_id)
    bobs.drain(0.3)

    cases = [
        (eves, "message:read", {"chatId": chat_id, "messageId": sent["id"]}, "forbidden"),
        (eves, "chat:read-all", {"chatId": chat_id}, "forbidden"),
        (
            bobs,
            "message:read",
            {"chatId": chat_id, "messageId": "01ZZZZZZZZZZZZZZZZZZZZZZZZ"},
            "not_found",
        ),
        (bobs, "message:read", {"chatId": chat_id}, "bad_request"),
        (bobs, "message:read", {"chatId": chat_id, "messageId": "no way"}, "bad_request"),
        (bobs, "chat:read-all", {"chatId": chat_id, "messageId": sent["id"]}, "bad_request"),
    ]
    for client, action, data, code in cases:
        reply = client.request(action, data)
        assert reply["event"] == "error", (action, data, reply)
        assert reply["data"]["code"] == code, (action, data, reply)
    assert "lastReadId" not in membership(dynamodb, tables, chat_id, bob)
    assert events(alices, "message:read") == []


def test_chats_list_the_last_message_and_unread_counts(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    logged: Callable[[Callable[[dict[str, Any]], bool]], Any],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    busy, quiet = create_chat(alice, bob, carol), create_chat(alice, bob)
    alices, bobs, carols = connect(alice), connect(bob), connect(carol)

    listed = chats_of(api, bob)
    assert listed[quiet]["lastMessage"] is None and listed[quiet]["unreadCount"] == 0
    assert listed[quiet]["name"] == "test chat"  # the chat's own fields are still there

    first = send(alices, busy, "a1")
    send(carols, busy, "c1")
    mine = send(bobs, busy, "b1")  # one's own messages are never unread
    doomed = send(carols, busy, "c2")
    carols.request("message:delete", {"chatId": busy, "messageId": doomed["id"]})
    last = send(alices, busy, "a2")

    listed = chats_of(api, bob)
    assert listed[busy]["unreadCount"] == 3  # a1, c1, a2 (c2 was deleted)
    assert listed[busy]["lastMessage"] == last
    assert listed[quiet]["unreadCount"] == 0
    assert chats_of(api, alice)[busy]["unreadCount"] == 2  # c1, b1 (c2 was deleted)

    bobs.request("message:read", {"chatId": busy, "messageId": first["id"]})
    assert chats_of(api, bob)[busy]["unreadCount"] == 2
    bobs.request("message:read", {"chatId": busy, "messageId": mine["id"]})
    assert chats_of(api, bob)[busy]["unreadCount"] == 1
    bobs.request("chat:read-all", {"chatId": busy})
    listed = chats_of(api, bob)
    assert listed[busy]["unreadCount"] == 0
    assert listed[busy]["lastMessage"]["id"] == last["id"]  # read, still the last message

    # A deleted last message is shown as its tombstone.
    alices.request("message:delete", {"chatId": busy, "messageId": last["id"]})
    tombstone = chats_of(api, bob)[busy]["lastMessage"]
    assert tombstone["id"] == last["id"] and tombstone["deleted"] is True
    assert tombstone["body"] is None

    line = logged(lambda entry: entry.get("route") == "GET /chats" and entry.get("status") == 200)
    calls = line["awsCalls"]
    assert calls["dynamodb.BatchGetItem"] == 2  # the chats, and the memberships
    assert calls["dynamodb.Query"] == 1 + 2  # the user's chats, then one per chat


def test_unread_counts_stop_at_one_hundred(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices = connect(alice)
    sent = [send(alices, chat_id, f"m{i}") for i in range(102)]
    summary = chats_of(api, bob)[chat_id]
    assert summary["unreadCount"] == 100
    assert summary["lastMessage"]["id"] == sent[-1]["id"]
    bobs = connect(bob)
    bobs.request("message:read", {"chatId": chat_id, "messageId": sent[1]["id"]})
    assert chats_of(api, bob)[chat_id]["unreadCount"] == 100
    bobs.request("message:read", {"chatId": chat_id, "messageId": sent[2]["id"]})
    assert chats_of(api, bob)[chat_id]["unreadCount"] == 99
    alices.drain(0.3)


def test_the_members_listing_gives_each_read_position_for_seen_by_after_a_reload(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    sent = alices.request("message:send", {"chatId": chat_id, "body": "seen?"})["data"]
    assert (
        bobs.request("message:read", {"chatId": chat_id, "messageId": sent["id"]})["event"] == "ack"
    )
    members = {
        m["userId"]: m for m in api(alice, "GET", f"/chats/{chat_id}/members").json()["members"]
    }
    assert members[bob]["lastReadId"] == sent["id"]
    assert members[bob]["readAt"].endswith("Z")
    assert members[alice]["lastReadId"] is None and members[alice]["readAt"] is None
