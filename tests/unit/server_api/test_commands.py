"""shared.server_api.commands: each command does what its manager operation does and
answers JSON; a refused call changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from shared import errors
from shared.server_api import commands
from shared.server_api.schema import Command, parse_call
from shared.store import chats, messages
from tests.unit.management_stub import Gateway
from tests.unit.server_api.conftest import live


def run(gateway: Gateway, command: str, **args: Any) -> Any:
    return commands.run(parse_call({"command": command, "args": args}), gateway.endpoint)


def test_every_command_has_a_runner() -> None:
    assert set(commands.RUNNERS) == set(Command)


def test_broadcast_to_chat_pushes_the_application_event_to_the_chat_but_the_excluded_user(
    gateway: Gateway, chat_id: str
) -> None:
    result = run(
        gateway,
        "broadcastToChat",
        chatId=chat_id,
        event="order:shipped",
        data={"orderId": 7},
        excludeUserId="bob",
    )
    assert result == {"delivered": 2, "gone": 0, "failed": 0}
    assert gateway.receivers() == ["alice-1", "alice-2"]
    assert gateway.frames("alice-1") == [{"event": "order:shipped", "data": {"orderId": 7}}]


def test_broadcast_to_a_chat_that_does_not_exist_is_not_found(gateway: Gateway) -> None:
    with pytest.raises(errors.NotFound):
        run(gateway, "broadcastToChat", chatId="nope", event="x", data=None)
    assert gateway.receivers() == []


def test_send_to_user_and_broadcast_reach_the_users_devices_and_everyone(
    gateway: Gateway, chat_id: str
) -> None:
    assert run(gateway, "sendToUser", userId="alice", event="note", data="hi")["delivered"] == 2
    assert gateway.receivers() == ["alice-1", "alice-2"]
    assert run(gateway, "broadcast", event="maintenance", data={"in": 5})["delivered"] == 4
    assert gateway.receivers("maintenance") == ["alice-1", "alice-2", "bob-1", "carol-1"]


def test_broadcast_user_status_announces_the_current_status(gateway: Gateway, chat_id: str) -> None:
    assert run(gateway, "broadcastUserStatus", userId="alice")["delivered"] == 3
    assert gateway.receivers("user:status") == ["alice-1", "alice-2", "bob-1"]


def test_add_and_remove_user_answer_whether_they_changed_anything(
    gateway: Gateway, chat_id: str
) -> None:
    assert run(gateway, "addUserToChat", chatId=chat_id, userId="carol", role="admin") == {
        "added": True
    }
    member = chats.membership(chat_id, "carol")
    assert member is not None and member.role == "admin"
    assert gateway.frames("carol-1")[0]["data"]["addedBy"] is None  # the system added her
    assert run(gateway, "addUserToChat", chatId=chat_id, userId="carol") == {"added": False}
    assert run(gateway, "removeUserFromChat", chatId=chat_id, userId="carol") == {"removed": True}
    assert run(gateway, "removeUserFromChat", chatId=chat_id, userId="carol") == {"removed": False}


def test_adding_to_a_chat_that_does_not_exist_is_not_found_and_writes_nothing(
    gateway: Gateway,
) -> None:
    with pytest.raises(errors.NotFound):
        run(gateway, "addUserToChat", chatId="nope", userId="carol")
    assert chats.membership("nope", "carol") is None


def test_presence_reads(gateway: Gateway, chat_id: str) -> None:
    assert run(gateway, "isUserOnline", userId="alice") == {"online": True}
    assert run(gateway, "isUserOnline", userId="dave") == {"online": False}
    users = run(gateway, "getChatUsers", chatId=chat_id)["users"]
    assert sorted(u["userId"] for u in users) == ["alice", "bob"]
    assert run(gateway, "getStats")["connections"] == 4
    with pytest.raises(errors.NotFound):
        run(gateway, "getChatUsers", chatId="nope")


def test_disconnect_user_closes_every_device(gateway: Gateway, chat_id: str) -> None:
    assert run(gateway, "disconnectUser", userId="alice") == {"closed": 2}
    assert gateway.closed() == ["alice-1", "alice-2"]


def test_create_chat_makes_the_creator_admin_and_tells_the_live_members(
    gateway: Gateway, chat_id: str
) -> None:
    live("dave-1", "dave")
    chat = run(gateway, "createChat", createdBy="carol", members=["dave", "dave"], name="ops")
    assert chat["members"] == ["carol", "dave"]
    assert (chat["name"], chat["createdBy"]) == ("ops", "carol")
    admin = chats.membership(chat["id"], "carol")
    assert admin is not None and admin.role == "admin"
    assert gateway.receivers("chat:created") == ["carol-1", "dave-1"]


def test_send_message_stores_a_bots_message_and_delivers_it_once_per_client_id(
    gateway: Gateway, chat_id: str
) -> None:
    sent = run(
        gateway, "sendMessage", chatId=chat_id, senderId="bot", body="build green",
        clientMessageId="ci-1",
    )  # fmt: skip
    assert (sent["senderId"], sent["body"], sent["chatId"]) == ("bot", "build green", chat_id)
    assert gateway.receivers("message:new") == ["alice-1", "alice-2", "bob-1"]
    again = run(
        gateway, "sendMessage", chatId=chat_id, senderId="bot", body="build green",
        clientMessageId="ci-1",
    )  # fmt: skip
    assert again["id"] == sent["id"]
    assert len(gateway.frames("bob-1")) == 1  # the retry delivered nothing
    stored = messages.find(chat_id, sent["id"])
    assert stored is not None and stored.sender_id == "bot"


def test_send_message_to_a_chat_that_does_not_exist_stores_nothing(gateway: Gateway) -> None:
    with pytest.raises(errors.NotFound):
        run(gateway, "sendMessage", chatId="nope", senderId="bot", body="hi")
    assert messages.newest("nope") is None
