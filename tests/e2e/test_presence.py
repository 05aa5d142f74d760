"""Presence: online while any session lives, offline when the last one leaves, statuses
to contacts only, durable last seen, and Redis outages that lose nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.waits import after
from tests.wsclient import ChatClient


def statuses(client: ChatClient, seconds: float = 0.6) -> list[dict[str, Any]]:
    return [f["data"] for f in client.drain(seconds) if f.get("event") == "user:status"]


def test_a_user_is_online_while_any_device_is_and_offline_after_the_last(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    create_chat(bob, alice)
    bobs = connect(bob)
    bobs.drain(0.3)

    phone = connect(alice)
    online = bobs.wait_event("user:status")["data"]
    assert online["userId"] == alice
    assert online["status"] == "online"

    laptop = connect(alice)
    laptop.request("hello")
    assert statuses(bobs) == []  # a second device changes nothing

    phone.close()
    assert statuses(bobs) == []  # still online on the laptop

    laptop.close()
    offline = bobs.wait_event("user:status")["data"]
    assert offline["userId"] == alice
    assert offline["status"] == "offline"
    assert offline["lastSeen"]
    durable = dynamodb.get_item(
        TableName=tables["UsersTable"], Key={"userId": {"S": alice}}, ConsistentRead=True
    )["Item"]
    assert int(durable["lastSeen"]["N"]) > (time.time() - 60) * 1000


def test_statuses_reach_only_users_who_share_a_chat(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    create_chat(alice, bob)
    bobs, eves = connect(bob), connect(eve)
    alices = connect(alice)
    assert bobs.wait_event("user:status")["data"]["status"] == "online"

    reply = alices.request("presence:set", {"status": "away", "text": "lunch"})
    assert reply["event"] == "ack"
    away = bobs.wait_event("user:status")["data"]
    assert (away["userId"], away["status"], away["text"]) == (alice, "away", "lunch")
    assert statuses(eves, 0.3) == []

    seen_by_bob = api(bob, "GET", f"/users/{alice}/presence").json()
    assert (seen_by_bob["status"], seen_by_bob["text"]) == ("away", "lunch")
    assert api(eve, "GET", f"/users/{alice}/presence").status_code == 404
    assert api(alice, "GET", f"/users/{alice}/presence").status_code == 200

    bad = alices.request("presence:set", {"status": "sleeping"})
    assert bad["data"]["code"] == "bad_request"


def test_hello_announces_the_keep_alive_and_a_heartbeat_still_answers(
    connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    client = connect(user("alice"))
    hello = client.request("hello")["data"]
    assert hello["keepAlive"] == {"action": "ping", "intervalSeconds": 540}
    assert hello["heartbeatSeconds"] == 540  # older clients heartbeat at the same pace
    client.send_raw('{"action": "ping"}')
    assert client.drain(0.5) == []  # API Gateway answers the ping itself: nothing comes back
    ack = client.request("presence:heartbeat")
    assert ack["event"] == "ack"
    assert ack["data"]["presence"] == "ok"
    assert ack["data"]["heartbeatSeconds"] == hello["heartbeatSeconds"]
    assert ack["data"]["ttlSeconds"] == 600
    assert ack["data"]["heartbeatSeconds"] < 600  # under API Gateway's idle timeout


def test_online_members_of_a_chat_can_be_listed(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)
    connect(alice).request("hello")
    connect(bob).request("hello")
    online = api(carol, "GET", f"/chats/{chat_id}/online").json()["users"]
    assert sorted(u["userId"] for u in online) == sorted([alice, bob])
    members = api(carol, "GET", f"/chats/{chat_id}/members").json()["members"]
    assert {m["userId"]: m["online"] for m in members} == {alice: True, bob: True, carol: False}
    assert api(user("eve"), "GET", f"/chats/{chat_id}/online").status_code == 404


def test_with_redis_down_messages_flow_and_presence_rebuilds_from_heartbeats(
    emulator: Any,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    alices.request("hello")
    emulator.stop_redis()
    try:
        for i in range(3):
            ack = alices.request("message:send", {"chatId": chat_id, "body": f"during {i}"})
            assert ack["event"] == "ack"
            assert bobs.wait_event("message:new")["data"]["body"] == f"during {i}"
        assert alices.request("presence:heartbeat")["data"]["presence"] == "degraded"
        typing = alices.request("typing:start", {"chatId": chat_id})
        assert typing["event"] == "ack"
        assert bobs.wait_event("typing")["data"]["userId"] == alice
        late = connect(user("carol"))  # connecting works without Redis too
        assert late.request("hello")["event"] == "connection:success"
    finally:
        emulator.start_redis()
    # The restarted Redis knows no sessions; the next heartbeat brings alice back.
    deadline = time.monotonic() + after()
    while alices.request("presence:heartbeat")["data"]["presence"] != "ok":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert api(bob, "GET", f"/users/{alice}/presence").json()["status"] == "online"
    history = api(bob, "GET", f"/chats/{chat_id}/messages").json()["messages"]
    assert [m["body"] for m in history] == ["during 2", "during 1", "during 0"]


def test_with_redis_down_from_the_start_everything_but_presence_works(
    emulator: Any, user: Callable[[str], str]
) -> None:
    """An emulator whose Redis URL points at nothing: connect, chat, send, sync all work;
    presence answers degraded."""
    from infra.emulator import Emulator
    from tests.conftest import TEMPLATE

    alice, bob = user("alice"), user("bob")
    with Emulator(
        TEMPLATE,
        stage="noredis",
        schedules=False,
        redis_url="redis://127.0.0.1:9/0",  # the discard port: nothing listens
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
    ) as dark:
        created = httpx.post(
            f"{dark.rest_url}/chats",
            json={"members": [bob]},
            headers={"authorization": f"Bearer {dark.token(alice)}"},
        )
        assert created.status_code == 201
        chat_id = created.json()["id"]
        alices = ChatClient(dark.websocket_url, dark.token(alice))
        bobs = ChatClient(dark.websocket_url, dark.token(bob))
        try:
            ack = alices.request("message:send", {"chatId": chat_id, "body": "no redis"})
            assert ack["event"] == "ack"
            assert bobs.wait_event("message:new")["data"]["body"] == "no redis"
            assert alices.request("presence:heartbeat")["data"]["presence"] == "degraded"
            assert alices.request("typing:start", {"chatId": chat_id})["event"] == "ack"
            assert bobs.wait_event("typing")["data"]["userId"] == alice
            synced = bobs.request("sync", {"chats": {chat_id: None}})["data"]["chats"][chat_id]
            assert [m["body"] for m in synced["messages"]] == ["no redis"]
        finally:
            alices.close()
            bobs.close()
