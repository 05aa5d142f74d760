"""No message lost: after a drop, `sync` returns exactly what was missed, in order."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.wsclient import ChatClient


def send(client: ChatClient, chat_id: str, body: str) -> dict:
    ack = client.request("message:send", {"chatId": chat_id, "body": body})
    assert ack["event"] == "ack", ack
    return ack["data"]


def test_sync_after_a_disconnect_returns_exactly_the_missed_messages_in_order(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    other_chat = create_chat(bob, user("carol"))
    alices, bobs = connect(alice), connect(bob)
    seen = send(alices, chat_id, "before")
    assert bobs.wait_event("message:new")["data"]["id"] == seen["id"]
    bobs.close()  # a network drop, a redeploy, API Gateway's 2-hour cut...

    missed = [send(alices, chat_id, f"missed {i}") for i in range(3)]

    back = connect(bob)
    reply = back.request("sync", {"chats": {chat_id: seen["id"], other_chat: None}})
    assert reply["event"] == "ack"
    chats = reply["data"]["chats"]
    # What was missed, in order, after the overlap of the last 30 s before the cursor
    # (here: the message the client had), which the client drops by id.
    assert chats[chat_id] == {"messages": [seen, *missed], "hasMore": False}
    assert chats[other_chat] == {"messages": [], "hasMore": False}
    assert reply["data"]["unknown"] == []


def test_sync_pages_and_the_rest_comes_over_rest(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices = connect(alice)
    sent = [send(alices, chat_id, f"m{i}") for i in range(55)]

    bobs = connect(bob)
    page = bobs.request("sync", {"chats": {chat_id: None}})["data"]["chats"][chat_id]
    assert page["hasMore"] is True
    assert page["messages"] == sent[:50]
    rest = api(
        bob, "GET", f"/chats/{chat_id}/messages", params={"after": page["messages"][-1]["id"]}
    ).json()
    assert rest["messages"] == sent[50:]
    assert rest["nextCursor"] is None


def test_sync_returns_a_message_older_than_the_cursor_whose_fan_out_was_slower(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    """A message with an older id can still be fanning out when a newer one arrives; a
    client that dropped in between holds the newer id as its cursor and must not lose
    the older one."""
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices = connect(alice)
    older = send(alices, chat_id, "slow fan-out")
    newer = send(alices, chat_id, "fast fan-out")
    bobs = connect(bob)  # bob only ever saw `newer`, then lost his connection
    reply = bobs.request("sync", {"chats": {chat_id: newer["id"]}})["data"]["chats"][chat_id]
    assert older in reply["messages"]


def test_sync_says_nothing_about_chats_the_user_is_not_in(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, eve = user("alice"), user("eve")
    chat_id = create_chat(alice, user("bob"))
    send(connect(alice), chat_id, "secret")
    reply = connect(eve).request("sync", {"chats": {chat_id: None, "no-such-chat": None}})
    assert reply["data"] == {"chats": {}, "unknown": sorted([chat_id, "no-such-chat"])}


def test_a_malformed_sync_is_refused(
    connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    client = connect(user("alice"))
    for bad in ({"chats": ["x"]}, {"chats": {"x": 5}}, {"chats": {"bad id": None}}, {}):
        assert client.request("sync", bad)["data"]["code"] == "bad_request"
