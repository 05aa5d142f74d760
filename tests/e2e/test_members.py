"""Membership changes through the REST API: live connections join and leave at once."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.wsclient import ChatClient


def test_an_admin_adds_a_member_whose_live_connections_join_at_once(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob)
    bobs, carols = connect(bob), connect(carol)
    added = api(alice, "POST", f"/chats/{chat_id}/members", json={"userId": carol})
    assert added.status_code == 201
    for client in (bobs, carols):
        event = client.wait_event("chat:member-added")["data"]
        assert (event["chatId"], event["userId"], event["addedBy"]) == (chat_id, carol, alice)
    ack = carols.request("message:send", {"chatId": chat_id, "body": "hi all"})
    assert ack["event"] == "ack"
    assert bobs.wait_event("message:new")["data"]["senderId"] == carol
    again = api(alice, "POST", f"/chats/{chat_id}/members", json={"userId": carol})
    assert (again.status_code, again.json()["added"]) == (200, False)


def test_only_admins_add_and_strangers_see_nothing(
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    chat_id = create_chat(alice, bob)
    path = f"/chats/{chat_id}/members"
    assert api(bob, "POST", path, json={"userId": eve}).status_code == 403
    assert api(eve, "POST", path, json={"userId": eve}).status_code == 404
    assert api(eve, "GET", path).status_code == 404
    assert api(alice, "POST", path, json={"userId": "b a d"}).status_code == 400
    assert api(alice, "POST", path, json={"userId": eve, "role": "owner"}).status_code == 400
    members = api(bob, "GET", path).json()["members"]
    assert {m["userId"]: m["role"] for m in members} == {alice: "admin", bob: "member"}


def test_a_removed_member_leaves_the_room_at_once(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)
    alices, carols = connect(alice), connect(carol)
    assert api(bob, "DELETE", f"/chats/{chat_id}/members/{carol}").status_code == 403
    assert api(alice, "DELETE", f"/chats/{chat_id}/members/{carol}").status_code == 204
    for client in (alices, carols):
        event = client.wait_event("chat:member-removed")["data"]
        assert (event["userId"], event["removedBy"]) == (carol, alice)
    refused = carols.request("message:send", {"chatId": chat_id, "body": "still here?"})
    assert refused["data"]["code"] == "forbidden"
    alices.request("message:send", {"chatId": chat_id, "body": "bye carol"})
    assert [f for f in carols.drain(0.4) if f.get("event") == "message:new"] == []
    assert api(carol, "GET", f"/chats/{chat_id}/messages").status_code == 404
    assert api(alice, "DELETE", f"/chats/{chat_id}/members/{carol}").status_code == 404


def test_a_member_can_leave_on_their_own(
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    assert api(bob, "DELETE", f"/chats/{chat_id}/members/{bob}").status_code == 204
    assert api(bob, "GET", "/chats").json()["chats"] == []
