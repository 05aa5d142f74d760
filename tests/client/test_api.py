"""Every typed helper against the emulator: the reply's shape, the event the other members
get, and each error raised as its class with its code. The paging of ``online_members``
(pages the emulator's small chats never make) against the scripted server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard_client import BadRequest, Forbidden, NotFound, SwitchboardClient, UnknownAction
from tests.client.conftest import FAST, OpenDevice
from tests.client.fakeserver import FakeServer, ack

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
    assert ack["heartbeatSeconds"] == 540 and ack["presence"] in ("ok", "degraded")
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


async def test_chat_presence_of_a_small_chat_lists_every_online_member(
    device: OpenDevice, create_chat: Callable[..., str], user: Any
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)  # carol is a member, but not connected
    a, b = await device(alice), await device(bob)
    await b.client.set_presence("busy")
    presence = await a.client.chat_presence(chat_id)
    assert presence["chatId"] == chat_id and presence["announced"] is True
    assert (presence["onlineCount"], presence["cursor"]) == (2, None)
    assert "degraded" not in presence
    assert sorted(presence["users"], key=lambda u: u["userId"]) == [
        {"userId": alice, "status": "online"},
        {"userId": bob, "status": "busy"},
    ]
    everyone = await b.client.online_members(chat_id)
    assert everyone["onlineCount"] == 2 and everyone["cursor"] is None
    assert sorted(everyone["users"], key=lambda u: u["userId"]) == sorted(
        presence["users"], key=lambda u: u["userId"]
    )
    someone_elses = create_chat(user("dave"))
    with pytest.raises(Forbidden) as forbidden:
        await a.client.chat_presence(someone_elses)
    assert forbidden.value.action == "chat:presence"
    with pytest.raises(BadRequest):
        await a.client.chat_presence(chat_id, "not-a-cursor")


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


# ------------------------------------------------------------------ chat:presence's pages
def pages_by_cursor(pages: dict[str | None, dict[str, Any]]) -> Any:
    """A handler answering ``chat:presence`` with the page of the cursor it was given."""

    async def answer(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] != "chat:presence":
            return False
        page = pages[frame["data"].get("cursor")]
        await connection.send(ack(frame, {"chatId": frame["data"]["chatId"], **page}))
        return True

    return answer


def page(users: list[tuple[str, str]], cursor: str | None, count: int | None) -> dict[str, Any]:
    return {
        "announced": False,
        "onlineCount": count,
        "users": [{"userId": u, "status": s} for u, s in users],
        "cursor": cursor,
    }


async def test_chat_presence_sends_the_cursor_only_when_given(fake_server: FakeServer) -> None:
    first = page([("ann", "online")], "17", 2)
    fake_server.handler = pages_by_cursor({None: first, "17": page([], None, 2)})
    async with SwitchboardClient(fake_server.url, "t", backoff=FAST) as client:
        assert await client.chat_presence("big") == {"chatId": "big", **first}
        assert (await client.chat_presence("big", "17"))["cursor"] is None
    sent = [f["data"] for f in fake_server.actions("chat:presence")]
    assert sent == [{"chatId": "big"}, {"chatId": "big", "cursor": "17"}]


async def test_online_members_follows_the_cursor_and_joins_the_pages(
    fake_server: FakeServer,
) -> None:
    fake_server.handler = pages_by_cursor(
        {
            None: page([("ann", "online"), ("bob", "online")], "5", 3),
            "5": page([], "9", 3),  # SSCAN may answer an empty page before the end
            "9": page([("bob", "away"), ("cy", "busy")], None, 3),  # and repeat a member
        }
    )
    async with SwitchboardClient(fake_server.url, "t", backoff=FAST) as client:
        everyone = await client.online_members("big")
    assert everyone == {
        "chatId": "big",
        "announced": False,
        "onlineCount": 3,
        "users": [
            {"userId": "ann", "status": "online"},
            {"userId": "bob", "status": "away"},
            {"userId": "cy", "status": "busy"},
        ],
        "cursor": None,
    }
    sent = [f["data"].get("cursor") for f in fake_server.actions("chat:presence")]
    assert sent == [None, "5", "9"]


async def test_online_members_ends_at_a_degraded_page_and_says_so(
    fake_server: FakeServer,
) -> None:
    degraded = {**page([], None, None), "degraded": True}
    fake_server.handler = pages_by_cursor(
        {None: page([("ann", "online")], "5", 250), "5": degraded}
    )
    async with SwitchboardClient(fake_server.url, "t", backoff=FAST) as client:
        everyone = await client.online_members("big")
    assert everyone["degraded"] is True and everyone["onlineCount"] is None
    assert everyone["users"] == [{"userId": "ann", "status": "online"}]
    assert len(fake_server.actions("chat:presence")) == 2


async def test_a_chat_presence_cut_by_a_drop_is_resent(fake_server: FakeServer) -> None:
    answer = pages_by_cursor({None: page([("ann", "online")], None, 1)})

    async def drop_the_first(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] == "chat:presence" and len(server.actions("chat:presence")) == 1:
            await connection.close()  # no answer: the connection is gone
            return True
        return await answer(frame, server, connection)

    fake_server.handler = drop_the_first
    async with SwitchboardClient(fake_server.url, "t", backoff=FAST) as client:
        presence = await client.chat_presence("big", timeout=30)
        assert client.reconnects == 1
    assert presence["users"] == [{"userId": "ann", "status": "online"}]
    assert len(fake_server.actions("chat:presence")) == 2


async def test_application_events_from_the_server_api_reach_subscribers_by_name(
    device: OpenDevice, create_chat: Callable[..., str], user: Any, emulator: Any
) -> None:
    import asyncio

    import botocore.session
    from switchboard_server_api import ServerApi

    alice = user("alice")
    chat_id = create_chat(alice)
    a = await device(alice)
    await a.client.hello()
    got: list[Any] = []
    a.client.on("order:shipped", lambda event: got.append(event.data))
    session = botocore.session.get_session()
    owner = emulator.credentials
    session.set_credentials(owner.access_key_id, owner.secret_access_key, owner.session_token)
    api = ServerApi.over_lambda(
        "ServerApiFunction", session=session, region="us-east-1", endpoint_url=emulator.lambda_url
    )
    await asyncio.to_thread(api.broadcast_to_chat, chat_id, "order:shipped", {"orderId": 7})
    assert await a.inbox.wait_count("order:shipped", 1) == [{"orderId": 7}]
    assert got == [{"orderId": 7}]
