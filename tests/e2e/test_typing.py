"""Typing indicators: to the other users of the chat, expiring 3 s after the last renewal."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from tests.waits import after
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


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_typing_state_expires_three_seconds_after_the_last_renewal(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    alices, bobs = connect(alice), connect(bob)

    def typing() -> list[dict[str, str]]:
        return list(bobs.request("typing:list", {"chatId": chat_id})["data"]["typing"])

    before = time.time() * 1000
    first = _ms(alices.request("typing:start", {"chatId": chat_id})["data"]["expiresAt"])
    assert before + 3000 <= first + 5 <= time.time() * 1000 + 3000 + 5  # 3 s from the start
    assert [(t["userId"], _ms(t["expiresAt"])) for t in typing()] == [(alice, first)]
    renewed = _ms(alices.request("typing:start", {"chatId": chat_id})["data"]["expiresAt"])
    assert renewed >= first
    assert [(t["userId"], _ms(t["expiresAt"])) for t in typing()] == [(alice, renewed)]
    # The client crashed after its renewal: nobody sees it typing from its expiry on,
    # and not before (polled: on a busy machine a request may take a while).
    deadline = time.monotonic() + after(3)
    while (listed := typing()) != []:
        assert [t["userId"] for t in listed] == [alice]
        assert time.monotonic() < deadline, "typing state outlived its expiry"
        time.sleep(0.1)
    assert time.time() * 1000 >= renewed - 5


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
