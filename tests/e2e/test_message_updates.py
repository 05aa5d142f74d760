"""Editing, deleting and reacting to messages through the emulator, with real clients:
events reach the chat, acks and errors the sender, history shows the result, and
concurrent changes never lose one another."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.waits import after
from tests.wsclient import ChatClient


def stored(dynamodb: Any, tables: dict[str, str], chat_id: str, message_id: str) -> dict[str, Any]:
    """The raw item of a message, read straight from DynamoDB."""
    items = dynamodb.query(
        TableName=tables["MessagesTable"],
        IndexName="byTime",
        KeyConditionExpression="chatId = :c AND id = :i",
        ExpressionAttributeValues={":c": {"S": chat_id}, ":i": {"S": message_id}},
        ConsistentRead=True,
    )["Items"]
    assert len(items) == 1
    return items[0]


def history(api: Callable[..., httpx.Response], user_id: str, chat_id: str) -> list[Any]:
    response = api(user_id, "GET", f"/chats/{chat_id}/messages")
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def send(client: ChatClient, chat_id: str, body: str = "hello") -> dict[str, Any]:
    reply = client.request("message:send", {"chatId": chat_id, "body": body})
    assert reply["event"] == "ack", reply
    return dict(reply["data"])


def events(client: ChatClient, name: str, seconds: float = 0.4) -> list[dict[str, Any]]:
    return [f for f in client.drain(seconds) if f.get("event") == name]


# ---------------------------------------------------------------- edit


def test_the_author_edits_and_every_other_connection_gets_the_new_message(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    aws_calls: Callable[[Any], dict[str, int]],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    phone, laptop, bobs = connect(alice), connect(alice), connect(bob)
    sent = send(phone, chat_id, "helo")
    assert sent["version"] == 1 and sent["editedAt"] is None
    assert sent["deleted"] is False and sent["reactions"] == {}
    laptop.drain(0.3), bobs.drain(0.3)

    request_id = phone.send(
        "message:edit", {"chatId": chat_id, "messageId": sent["id"], "body": "hello"}
    )
    ack = phone.wait(lambda f: f.get("requestId") == request_id)
    assert ack["event"] == "ack"
    edited = ack["data"]
    assert edited["id"] == sent["id"]
    assert edited["body"] == "hello"
    assert edited["version"] == 2
    assert edited["editedAt"] is not None
    assert edited["createdAt"] == sent["createdAt"]
    for device in (laptop, bobs):  # the author's other device too
        assert device.wait_event("message:edited")["data"] == edited
    assert events(phone, "message:edited") == []

    [listed] = history(api, bob, chat_id)
    assert listed == edited
    calls = aws_calls(request_id)
    assert calls == {
        "redis.RoundTrip": 1,  # the rate limit (shared/rate_limit.py)
        "dynamodb.Query": 2,
        "dynamodb.UpdateItem": 1,
        "apigatewaymanagementapi.PostToConnection": 2,
    }


def test_only_the_author_can_edit_and_a_refused_edit_changes_nothing(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    chat_id = create_chat(alice, bob)  # alice is the admin: even she can't edit bob's words
    alices, bobs, eves = connect(alice), connect(bob), connect(eve)
    sent = send(bobs, chat_id, "mine")
    before = stored(dynamodb, tables, chat_id, sent["id"])
    alices.drain(0.3)

    for client in (alices, eves):
        reply = client.request(
            "message:edit", {"chatId": chat_id, "messageId": sent["id"], "body": "yours"}
        )
        assert reply["event"] == "error"
        assert reply["data"]["code"] == "forbidden"
    assert stored(dynamodb, tables, chat_id, sent["id"]) == before
    assert events(bobs, "message:edited") == []


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"messageId": "01NOSUCHMESSAGE0000000000", "body": "x"}, "not_found"),
        ({"messageId": None, "body": "x"}, "bad_request"),
        ({"messageId": "bad id", "body": "x"}, "bad_request"),
        ({"body": ""}, "bad_request"),
        ({"body": "   "}, "bad_request"),
        ({"body": "x" * 4001}, "bad_request"),
        ({"body": "bell\x07"}, "bad_request"),
        ({"body": "x", "senderId": "someone"}, "bad_request"),
    ],
)
def test_bad_edits_are_refused_with_a_code(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    data: dict[str, Any],
    code: str,
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    client = connect(alice)
    sent = send(client, chat_id, "original")
    before = stored(dynamodb, tables, chat_id, sent["id"])
    reply = client.request("message:edit", {"chatId": chat_id, "messageId": sent["id"], **data})
    assert reply["event"] == "error"
    assert reply["data"]["code"] == code
    assert stored(dynamodb, tables, chat_id, sent["id"]) == before


def test_a_message_of_another_chat_is_not_found(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    first, second = create_chat(alice, bob), create_chat(alice, bob)
    client = connect(alice)
    sent = send(client, first)
    for action, extra in [
        ("message:edit", {"body": "x"}),
        ("message:delete", {}),
        ("message:react", {"emoji": "👍"}),
        ("message:read", {}),
    ]:
        reply = client.request(action, {"chatId": second, "messageId": sent["id"], **extra})
        assert reply["data"]["code"] == "not_found", (action, reply)


def test_concurrent_edits_each_get_their_own_version(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    devices = [connect(alice) for _ in range(4)]
    sent = send(devices[0], chat_id)
    per_device = 3
    edits = per_device * len(devices)

    def edit_from(index: int) -> list[dict[str, Any]]:
        client = devices[index]
        sent_ids = [
            client.send(
                "message:edit",
                {"chatId": chat_id, "messageId": sent["id"], "body": f"edit {index}.{n}"},
            )
            for n in range(per_device)
        ]
        replies = [client.wait(lambda f, r=r: f.get("requestId") == r) for r in sent_ids]
        return [dict(reply["data"]) for reply in replies]

    with ThreadPoolExecutor(len(devices)) as pool:
        acks = [a for batch in pool.map(edit_from, range(len(devices))) for a in batch]
    # Each edit got its own version; none was lost.
    assert sorted(a["version"] for a in acks) == list(range(2, edits + 2))
    item = stored(dynamodb, tables, chat_id, sent["id"])
    assert item["version"] == {"N": str(edits + 1)}
    last = max(acks, key=lambda a: a["version"])
    assert item["body"] == {"S": last["body"]}


# ---------------------------------------------------------------- delete


def test_the_author_deletes_and_history_keeps_a_tombstone(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    aws_calls: Callable[[Any], dict[str, int]],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    sent = send(bobs, chat_id, "oops")
    bobs.request("message:react", {"chatId": chat_id, "messageId": sent["id"], "emoji": "👍"})
    alices.drain(0.3)

    request_id = bobs.send("message:delete", {"chatId": chat_id, "messageId": sent["id"]})
    ack = bobs.wait(lambda f: f.get("requestId") == request_id)
    assert ack["event"] == "ack"
    deleted = ack["data"]
    assert set(deleted) == {"chatId", "messageId", "deletedBy", "deletedAt", "version"}
    assert deleted["chatId"] == chat_id and deleted["messageId"] == sent["id"]
    assert deleted["deletedBy"] == bob
    assert deleted["version"] == 3  # sent, reacted, deleted
    assert alices.wait_event("message:deleted")["data"] == deleted
    assert events(bobs, "message:deleted") == []

    [tombstone] = history(api, alice, chat_id)
    assert tombstone["id"] == sent["id"]
    assert tombstone["body"] is None
    assert tombstone["deleted"] is True
    assert tombstone["reactions"] == {}
    assert tombstone["version"] == 3
    assert aws_calls(request_id) == {
        "redis.RoundTrip": 1,  # the rate limit (shared/rate_limit.py)
        "dynamodb.Query": 2,
        "dynamodb.UpdateItem": 1,
        "apigatewaymanagementapi.PostToConnection": 1,
    }

    # Deleted is gone for every further change.
    data = {"chatId": chat_id, "messageId": sent["id"]}
    assert bobs.request("message:delete", data)["data"]["code"] == "not_found"
    assert bobs.request("message:edit", {**data, "body": "x"})["data"]["code"] == "not_found"
    assert bobs.request("message:react", {**data, "emoji": "🎉"})["data"]["code"] == "not_found"
    assert bobs.request("message:unreact", {**data, "emoji": "👍"})["data"]["code"] == "not_found"
    assert events(alices, "message:deleted") == []


def test_a_chat_admin_deletes_anyones_message_but_a_member_only_their_own(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    aws_calls: Callable[[Any], dict[str, int]],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)  # alice created it: the admin
    alices, bobs, carols = connect(alice), connect(bob), connect(carol)
    sent = send(bobs, chat_id, "spam")
    before = stored(dynamodb, tables, chat_id, sent["id"])

    data = {"chatId": chat_id, "messageId": sent["id"]}
    refused = carols.request("message:delete", data)
    assert refused["event"] == "error"
    assert refused["data"]["code"] == "forbidden"
    assert stored(dynamodb, tables, chat_id, sent["id"]) == before

    request_id = alices.send("message:delete", data)
    ack = alices.wait(lambda f: f.get("requestId") == request_id)
    assert ack["data"]["deletedBy"] == alice
    for client in (bobs, carols):
        assert client.wait_event("message:deleted")["data"] == ack["data"]
    [tombstone] = history(api, carol, chat_id)
    assert tombstone["deleted"] is True and tombstone["body"] is None
    item = stored(dynamodb, tables, chat_id, sent["id"])
    assert "body" not in item
    assert item["deletedBy"] == {"S": alice}
    calls = aws_calls(request_id)
    assert calls["dynamodb.GetItem"] == 1  # the admin's membership
    assert calls["dynamodb.Query"] == 2 and calls["dynamodb.UpdateItem"] == 1


# ---------------------------------------------------------------- reactions


def test_reactions_count_users_per_emoji_and_reach_the_chat(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
    aws_calls: Callable[[Any], dict[str, int]],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    sent = send(alices, chat_id)
    bobs.drain(0.3)
    data = {"chatId": chat_id, "messageId": sent["id"]}

    request_id = bobs.send("message:react", {**data, "emoji": "👍"})
    ack = bobs.wait(lambda f: f.get("requestId") == request_id)
    assert ack["event"] == "ack"
    assert ack["data"] == {
        "chatId": chat_id,
        "messageId": sent["id"],
        "emoji": "👍",
        "userId": bob,
        "added": True,
        "reactions": {"👍": {"count": 1, "users": [bob]}},
        "version": 2,
    }
    assert alices.wait_event("message:reaction")["data"] == ack["data"]
    assert aws_calls(request_id) == {
        "redis.RoundTrip": 1,  # the rate limit (shared/rate_limit.py)
        "dynamodb.Query": 2,
        "dynamodb.UpdateItem": 1,
        "apigatewaymanagementapi.PostToConnection": 1,
    }

    alices.request("message:react", {**data, "emoji": "👍"})
    third = alices.request("message:react", {**data, "emoji": ":party:"})
    assert third["data"]["reactions"] == {
        "👍": {"count": 2, "users": sorted([alice, bob])},
        ":party:": {"count": 1, "users": [alice]},
    }
    assert third["data"]["version"] == 4

    # Reacting again is idempotent: acked, not written, not announced.
    bobs.drain(0.3)
    request_id = bobs.send("message:react", {**data, "emoji": "👍"})
    again = bobs.wait(lambda f: f.get("requestId") == request_id)
    assert again["event"] == "ack"
    assert again["data"]["version"] == 4
    assert again["data"]["reactions"]["👍"]["count"] == 2
    assert aws_calls(request_id) == {"redis.RoundTrip": 1, "dynamodb.Query": 2}  # rate limit
    assert events(alices, "message:reaction") == []

    removed = bobs.request("message:unreact", {**data, "emoji": "👍"})["data"]
    assert removed["added"] is False
    assert removed["reactions"]["👍"] == {"count": 1, "users": [alice]}
    assert alices.wait_event("message:reaction")["data"] == removed
    last = alices.request("message:unreact", {**data, "emoji": ":party:"})["data"]
    assert last["reactions"] == {"👍": {"count": 1, "users": [alice]}}
    assert last["version"] == 6
    # Unreacting what is not there is idempotent too.
    bobs.drain(0.3)
    none = alices.request("message:unreact", {**data, "emoji": ":party:"})
    assert none["event"] == "ack" and none["data"]["version"] == 6
    assert events(bobs, "message:reaction") == []

    [listed] = history(api, bob, chat_id)
    assert listed["reactions"] == {"👍": {"count": 1, "users": [alice]}}
    assert listed["version"] == 6


def test_an_emoji_whose_last_user_left_frees_its_slot(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    client = connect(alice)
    sent = send(client, chat_id)
    data = {"chatId": chat_id, "messageId": sent["id"]}
    client.request("message:react", {**data, "emoji": "A"})
    client.request("message:react", {**data, "emoji": "B"})
    client.request("message:unreact", {**data, "emoji": "A"})
    item = stored(dynamodb, tables, chat_id, sent["id"])
    assert item["reactionEmojis"] == {"SS": ["B"]}
    assert "reaction:A" not in item and item["reaction:B"] == {"SS": [alice]}


def test_a_message_takes_at_most_fifty_distinct_emojis(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    client = connect(alice)
    sent = send(client, chat_id)
    data = {"chatId": chat_id, "messageId": sent["id"]}
    for i in range(50):
        assert client.request("message:react", {**data, "emoji": f"e{i}"})["event"] == "ack"
    before = stored(dynamodb, tables, chat_id, sent["id"])
    refused = client.request("message:react", {**data, "emoji": "one-too-many"})
    assert refused["event"] == "error"
    assert refused["data"]["code"] == "conflict"
    assert stored(dynamodb, tables, chat_id, sent["id"]) == before
    # An emoji already there still takes more users, and a freed slot can be reused.
    assert client.request("message:unreact", {**data, "emoji": "e0"})["event"] == "ack"
    assert client.request("message:react", {**data, "emoji": "one-too-many"})["event"] == "ack"


@pytest.mark.parametrize(
    ("emoji", "code"),
    [
        ("", "bad_request"),
        ("thumbs up", "bad_request"),
        ("x" * 33, "bad_request"),
        ("tab\t", "bad_request"),
        (5, "bad_request"),
        (None, "bad_request"),
    ],
)
def test_bad_emojis_are_refused_and_nothing_is_written(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    emoji: Any,
    code: str,
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    client = connect(alice)
    sent = send(client, chat_id)
    before = stored(dynamodb, tables, chat_id, sent["id"])
    for action in ("message:react", "message:unreact"):
        reply = client.request(action, {"chatId": chat_id, "messageId": sent["id"], "emoji": emoji})
        assert reply["event"] == "error"
        assert reply["data"]["code"] == code
    assert stored(dynamodb, tables, chat_id, sent["id"]) == before


def test_reactions_need_membership_and_an_existing_message(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, eve = user("alice"), user("eve")
    chat_id = create_chat(alice, user("bob"))
    alices, eves = connect(alice), connect(eve)
    sent = send(alices, chat_id)
    before = stored(dynamodb, tables, chat_id, sent["id"])
    data = {"chatId": chat_id, "messageId": sent["id"], "emoji": "👍"}
    assert eves.request("message:react", data)["data"]["code"] == "forbidden"
    assert (
        eves.request("message:delete", {"chatId": chat_id, "messageId": sent["id"]})["data"]["code"]
        == "forbidden"
    )
    missing = alices.request("message:react", {**data, "messageId": "01NOSUCHMESSAGE00000000000"})
    assert missing["data"]["code"] == "not_found"
    assert stored(dynamodb, tables, chat_id, sent["id"]) == before


def test_concurrent_reactions_from_many_clients_are_all_counted(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    users = [user(f"u{i}") for i in range(8)]
    chat_id = create_chat(users[0], *users[1:])
    clients = [connect(u) for u in users]
    sent = send(clients[0], chat_id)
    emojis = ["👍", "🎉", "❤️", ":+1:"]
    data = {"chatId": chat_id, "messageId": sent["id"]}

    def react_all(index: int) -> list[dict[str, Any]]:
        client = clients[index]
        ids = [client.send("message:react", {**data, "emoji": e}) for e in emojis]
        return [client.wait(lambda f, r=r: f.get("requestId") == r, timeout=30) for r in ids]

    with ThreadPoolExecutor(len(clients)) as pool:
        replies = [r for rs in pool.map(react_all, range(len(clients))) for r in rs]
    assert all(r["event"] == "ack" for r in replies), replies
    # Each reaction bumped the version once (the stored version below is exact). An ack
    # carries the state its write left, or found: a write whose answer was lost is
    # retried by botocore and finds itself done, so two acks may share a later version.
    final = 1 + len(users) * len(emojis)
    assert all(2 <= r["data"]["version"] <= final for r in replies)
    # Every member hears every other member's reaction, at least once.
    for index, client in enumerate(clients):
        others = {(u, e) for u in users if u != users[index] for e in emojis}
        heard: set[tuple[str, str]] = set()
        while not others <= heard:
            event = client.wait_event("message:reaction", timeout=after(5))["data"]
            heard.add((event["userId"], event["emoji"]))

    expected = {e: {"count": len(users), "users": sorted(users)} for e in emojis}
    [listed] = history(api, users[0], chat_id)
    assert listed["reactions"] == expected
    assert listed["version"] == 1 + len(users) * len(emojis)

    # And concurrent removals: half the users take every reaction back.
    leaving = range(0, len(users), 2)

    def unreact_all(index: int) -> list[dict[str, Any]]:
        client = clients[index]
        ids = [client.send("message:unreact", {**data, "emoji": e}) for e in emojis]
        return [client.wait(lambda f, r=r: f.get("requestId") == r, timeout=30) for r in ids]

    with ThreadPoolExecutor(len(clients)) as pool:
        replies = [r for rs in pool.map(unreact_all, leaving) for r in rs]
    assert all(r["event"] == "ack" for r in replies), replies
    staying = sorted(users[i] for i in range(1, len(users), 2))
    [listed] = history(api, users[0], chat_id)
    assert listed["reactions"] == {e: {"count": len(staying), "users": staying} for e in emojis}
    item = stored(dynamodb, tables, chat_id, sent["id"])
    assert sorted(item["reactionEmojis"]["SS"]) == sorted(emojis)
    with ThreadPoolExecutor(len(clients)) as pool:  # read what is still coming, so the
        list(pool.map(lambda c: c.drain(0.5), clients))  # sockets close promptly
