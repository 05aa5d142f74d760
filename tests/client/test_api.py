"""Every typed helper against the emulator: the reply's shape, the event the other members
get, and each error raised as its class with its code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard_client import BadRequest, Forbidden, NotFound, UnknownAction
from tests.client.conftest import OpenDevice

pytestmark = pytest.mark.anyio


async def test_hello_and_raw_sync(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    a = await device(alice)
    hello = await a.client.hello()
    assert hello["userId"] == alice and chat_id in hello["chats"]
    assert a.client.user_id == alice and a.client.chats == [chat_id]
    assert hello["connectionId"] == a.client.connection_id
    sent = await a.client.send_message(chat_id, "one")
    result = await a.client.sync({chat_id: None, "no-such-chat": None})
    assert result["unknown"] == ["no-such-chat"]
    assert [m["id"] for m in result["chats"][chat_id]["messages"]] == [sent["id"]]
    assert result["chats"][chat_id]["hasMore"] is False
    assert a.inbox.messages() == []  # a raw sync delivers nothing


async def test_send_edit_react_unreact_delete(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a, b = await device(alice), await device(bob)

    sent = await a.client.send_message(chat_id, "hello", client_message_id="cm-1")
    assert sent["body"] == "hello" and sent["senderId"] == alice and sent["version"] == 1
    assert sent["clientMessageId"] == "cm-1" and sent["chatId"] == chat_id
    await b.inbox.wait_ids([sent["id"]])
    assert b.inbox.messages() == [sent]
    again = await a.client.send_message(chat_id, "hello", client_message_id="cm-1")
    assert again["id"] == sent["id"]  # idempotent
    generated = await a.client.send_message(chat_id, "no id given")
    assert generated["clientMessageId"]  # made by the client, so resends are safe

    edited = await a.client.edit_message(chat_id, sent["id"], "hello, edited")
    assert edited["body"] == "hello, edited" and edited["version"] == 2 and edited["editedAt"]
    reacted = await b.client.react(chat_id, sent["id"], "👍")
    assert reacted["added"] is True and reacted["reactions"]["👍"]["users"] == [bob]
    unreacted = await b.client.unreact(chat_id, sent["id"], "👍")
    assert unreacted["added"] is False and unreacted["reactions"] == {}
    deleted = await a.client.delete_message(chat_id, sent["id"])
    assert deleted["deletedBy"] == alice and deleted["messageId"] == sent["id"]

    await b.inbox.wait_count("message:deleted", 1)
    assert [e["version"] for e in b.inbox.named("message:edited")] == [2]
    reactions = await a.inbox.wait_count("message:reaction", 2)
    assert [r["added"] for r in reactions] == [True, False]
    assert b.inbox.named("message:deleted")[0]["version"] == deleted["version"]
    assert b.inbox.message_ids() == [sent["id"], generated["id"]]  # the resend: no event
    assert a.inbox.messages() == []  # own sends are not echoed to the sending client


async def test_read_receipts(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a, b = await device(alice), await device(bob)
    first = await a.client.send_message(chat_id, "first")
    second = await a.client.send_message(chat_id, "second")
    read = await b.client.mark_read(chat_id, first["id"])
    assert read == {**read, "chatId": chat_id, "userId": bob, "messageId": first["id"]}
    assert read["readAt"]
    everything = await b.client.mark_chat_read(chat_id)
    assert everything["messageId"] == second["id"]
    receipts = await a.inbox.wait_count("message:read", 2)
    assert [r["messageId"] for r in receipts] == [first["id"], second["id"]]


async def test_presence_and_typing(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a, b = await device(alice), await device(bob)
    ack = await a.client.heartbeat()
    assert ack["heartbeatSeconds"] == 65 and ack["presence"] in ("ok", "degraded")
    status = await a.client.set_presence("away", "lunch")
    assert status["userId"] == alice and status["status"] == "away" and status["text"] == "lunch"
    await b.inbox.wait(
        lambda: any(s["status"] == "away" for s in b.inbox.named("user:status")), "alice away"
    )
    started = await a.client.start_typing(chat_id)
    assert started["isTyping"] is True and started["expiresAt"]
    listed = await b.client.list_typing(chat_id)
    assert listed["chatId"] == chat_id and [t["userId"] for t in listed["typing"]] == [alice]
    stopped = await a.client.stop_typing(chat_id)
    assert stopped["isTyping"] is False
    typing = await b.inbox.wait_count("typing", 2)
    assert [t["isTyping"] for t in typing] == [True, False]
    assert (await b.client.list_typing(chat_id))["typing"] == []


async def test_errors_are_raised_with_their_code(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    someone_elses = create_chat(user("carol"))
    a = await device(alice)
    with pytest.raises(Forbidden) as forbidden:
        await a.client.send_message(someone_elses, "let me in")
    assert forbidden.value.code == "forbidden" and forbidden.value.action == "message:send"
    with pytest.raises(NotFound) as not_found:
        await a.client.edit_message(chat_id, "01" + "0" * 24, "x")
    assert not_found.value.code == "not_found"
    with pytest.raises(BadRequest) as bad:
        await a.client.send_message(chat_id, "   ")
    assert bad.value.code == "bad_request" and "empty" in bad.value.message
    with pytest.raises(BadRequest):
        await a.client.set_presence("asleep")
    with pytest.raises(UnknownAction) as unknown:
        await a.client.request("message:teleport", {})
    assert unknown.value.code == "unknown_action"
    assert a.client.connected  # errors never cost the connection
    assert (await a.client.send_message(chat_id, "still fine"))["body"] == "still fine"


async def test_a_subscription_iterates_one_event_name(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a, b = await device(alice), await device(bob)
    async with b.client.subscribe("message:new") as messages:
        await b.client.start_typing(chat_id)  # other events do not show up here
        sent = [await a.client.send_message(chat_id, f"n{i}") for i in range(3)]
        got = [(await messages.get(timeout=30)).data["id"] for _ in sent]
    assert got == [m["id"] for m in sent]


async def test_the_senders_other_devices_get_its_messages(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    phone, laptop = await device(alice), await device(alice)
    sent = await phone.client.send_message(chat_id, "from the phone")
    await laptop.inbox.wait_ids([sent["id"]])
    assert phone.inbox.messages() == []
