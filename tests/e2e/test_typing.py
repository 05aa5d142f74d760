"""Typing indicators: to the other users of the chat, expiring 3 s after the last renewal."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.wsclient import ChatClient


def test_typing_reaches_other_users_but_not_the_typists_own_devices(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    phone, laptop, bobs = connect(alice), connect(alice), connect(bob)
    ack = phone.request("typing:start", {"chatId": chat_id})
    assert ack["event"] == "ack"
    typing = bobs.wait_event("typing")["data"]
    assert typing["chatId"] == chat_id
    assert typing["userId"] == alice
    assert typing["isTyping"] is True
    assert typing["expiresAt"]
    assert [f for f in laptop.drain(0.3) if f.get("event") == "typing"] == []

    phone.request("typing:stop", {"chatId": chat_id})
    stopped = bobs.wait_event("typing")["data"]
    assert (stopped["isTyping"], stopped["expiresAt"]) == (False, None)


def test_typing_state_expires_three_seconds_after_the_last_renewal(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)
    alices.request("typing:start", {"chatId": chat_id})
    listed = bobs.request("typing:list", {"chatId": chat_id})["data"]
    assert [t["userId"] for t in listed["typing"]] == [alice]
    time.sleep(1.5)
    alices.request("typing:start", {"chatId": chat_id})  # renewal
    time.sleep(2.0)
    assert [
        t["userId"] for t in bobs.request("typing:list", {"chatId": chat_id})["data"]["typing"]
    ] == [alice]
    time.sleep(1.3)  # 3.3 s after the renewal: the client crashed, nobody sees it typing
    assert bobs.request("typing:list", {"chatId": chat_id})["data"]["typing"] == []


def test_a_non_member_can_neither_type_nor_look(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    chat_id = create_chat(alice, bob)
    bobs, eves = connect(bob), connect(eve)
    assert eves.request("typing:start", {"chatId": chat_id})["data"]["code"] == "forbidden"
    assert eves.request("typing:list", {"chatId": chat_id})["data"]["code"] == "forbidden"
    assert [f for f in bobs.drain(0.3) if f.get("event") == "typing"] == []
