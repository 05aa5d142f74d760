"""Authorization matrix: for every chat action, a non-member and a removed member try it;
none succeeds and none learns anything (no event of a chat reaches a connection outside
its room, and the refusal does not tell a missing chat from a forbidden one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared.protocol import ACTION_FIELDS, Action
from tests.wsclient import ChatClient

CHAT_ACTIONS = [a for a in Action if "chatId" in ACTION_FIELDS[a]]


def data_for(action: Action, chat_id: str, message_id: str) -> dict[str, Any]:
    values = {
        "chatId": chat_id,
        "messageId": message_id,
        "body": "let me in",
        "emoji": "👍",
        "clientMessageId": "sneaky",
        "media": "audio",
    }
    return {name: values[name] for name in ACTION_FIELDS[action] if name in values}


@pytest.fixture
def chat(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
) -> dict[str, Any]:
    alice, bob, carol, eve = user("alice"), user("bob"), user("carol"), user("eve")
    chat_id = create_chat(alice, bob, carol)
    alices = connect(alice)
    message = alices.request("message:send", {"chatId": chat_id, "body": "members only"})["data"]
    assert api(alice, "DELETE", f"/chats/{chat_id}/members/{carol}").status_code == 204
    bobs = connect(bob)
    bobs.request("hello")
    return {
        "id": chat_id,
        "message": message["id"],
        "outsiders": {"non-member": connect(eve), "removed member": connect(carol)},
        "watcher": bobs,
    }


@pytest.mark.parametrize("action", CHAT_ACTIONS, ids=lambda a: a.value)
@pytest.mark.parametrize("who", ["non-member", "removed member"])
def test_outsiders_can_do_nothing_in_a_chat_and_learn_nothing(
    chat: dict[str, Any], action: Action, who: str
) -> None:
    outsider: ChatClient = chat["outsiders"][who]
    reply = outsider.request(action.value, data_for(action, chat["id"], chat["message"]))
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "forbidden"
    missing = outsider.request(action.value, data_for(action, "no-such-chat", chat["message"]))
    assert missing["data"] == reply["data"]  # a missing chat looks exactly the same
    leaked = [f for f in chat["watcher"].drain(0.3) if f.get("event") != "user:status"]
    assert leaked == []


def test_outsiders_cannot_sync_or_read_a_chat_over_rest(
    chat: dict[str, Any], api: Callable[..., httpx.Response], emulator: Any
) -> None:
    for who, client in chat["outsiders"].items():
        user_id = client.request("hello")["data"]["userId"]
        synced = client.request("sync", {"chats": {chat["id"]: None}})["data"]
        assert synced == {"chats": {}, "unknown": [chat["id"]]}, who
        for path in ("messages", "members", "online"):
            assert api(user_id, "GET", f"/chats/{chat['id']}/{path}").status_code == 404, who
