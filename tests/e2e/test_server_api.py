"""The server API end to end: a backend calls ServerApiFunction through the emulator's
Lambda Invoke API with the project's own helper (clients/server-api-python), and live
WebSocket clients see what each command does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from switchboard_server_api import ServerApi, ServerApiError

from tests.wsclient import ChatClient


def local_session(access_key: str, secret_key: str, token: str | None = None) -> Any:
    session = botocore.session.get_session()
    session.set_credentials(access_key, secret_key, token)
    session.set_config_variable("region", "us-east-1")
    return session


@pytest.fixture(scope="module")
def server_api(emulator: Any) -> ServerApi:
    """The server API over Lambda, with the stack owner's (the emulator's) credentials."""
    credentials = getattr(emulator, "credentials", None)
    session = (
        local_session(credentials.access_key, credentials.secret_key, credentials.token)
        if credentials is not None
        else local_session("testing", "testing")
    )
    return ServerApi.over_lambda(
        "ServerApiFunction", session=session, endpoint_url=emulator.lambda_url
    )


def online(connect: Callable[..., ChatClient], user_id: str) -> ChatClient:
    client = connect(user_id)
    client.request("hello")
    return client


def test_application_events_reach_the_chat_the_user_and_everyone(
    server_api: ServerApi,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    phone, laptop, bobs = online(connect, alice), online(connect, alice), online(connect, bob)

    result = server_api.broadcast_to_chat(
        chat_id, "order:shipped", {"orderId": 7}, exclude_user_id=alice
    )
    assert result == {"delivered": 1, "gone": 0, "failed": 0}
    assert bobs.wait_event("order:shipped")["data"] == {"orderId": 7}

    assert server_api.send_to_user(alice, "billing:due", {"amount": 12})["delivered"] == 2
    for client in (phone, laptop):
        assert client.wait_event("billing:due")["data"] == {"amount": 12}
    assert server_api.broadcast("maintenance", {"in": 5})["jobs"] >= 1  # Scan segments
    for client in (phone, laptop, bobs):
        assert client.wait_event("maintenance")["data"] == {"in": 5}
    assert all(f.get("event") != "order:shipped" for c in (phone, laptop) for f in c.drain(0.2))


def test_a_bot_creates_a_chat_and_posts_a_message_stored_like_any_other(
    server_api: ServerApi,
    connect: Callable[..., ChatClient],
    api: Callable[..., Any],
    user: Callable[[str], str],
) -> None:
    alice, bot = user("alice"), user("deploy-bot")
    client = online(connect, alice)
    chat = server_api.create_chat(bot, [alice], name="deploys")
    assert client.wait_event("chat:created")["data"]["id"] == chat["id"]

    sent = server_api.send_message(
        chat["id"], sender_id=bot, body="v2.4 is live", client_message_id="d-1"
    )
    seen = client.wait_event("message:new")["data"]
    assert (seen["id"], seen["senderId"], seen["body"]) == (sent["id"], bot, "v2.4 is live")
    again = server_api.send_message(
        chat["id"], sender_id=bot, body="v2.4 is live", client_message_id="d-1"
    )
    assert again["id"] == sent["id"]
    history = api(alice, "GET", f"/chats/{chat['id']}/messages").json()["messages"]
    assert [m["id"] for m in history] == [sent["id"]]
    assert all(f.get("event") != "message:new" for f in client.drain(0.3))  # not twice


def test_membership_presence_and_disconnect(
    server_api: ServerApi,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob)
    bobs, carols = online(connect, bob), online(connect, carol)

    assert server_api.add_user_to_chat(chat_id, carol, role="admin") is True
    assert carols.wait_event("chat:member-added")["data"]["userId"] == carol
    assert server_api.add_user_to_chat(chat_id, carol) is False
    assert server_api.is_user_online(carol) is True
    assert sorted(u["userId"] for u in server_api.get_chat_users(chat_id)) == sorted([bob, carol])
    assert server_api.get_stats()["connections"] >= 2
    assert server_api.broadcast_user_status(bob)["delivered"] >= 1

    assert server_api.remove_user_from_chat(chat_id, carol) is True
    assert carols.wait_event("chat:member-removed")["data"]["userId"] == carol
    assert server_api.disconnect_user(bob) == 1
    bobs.drain(0.5)
    assert bobs.ws.close_code is not None


@pytest.mark.parametrize(
    ("command", "args", "code"),
    [
        ("dropTables", {}, "unknown_command"),
        ("sendToUser", {"userId": "u"}, "bad_request"),
        ("sendToUser", {"userId": "u", "event": "message:new", "data": {}}, "bad_request"),
        ("broadcast", {"event": "big", "data": "x" * 40_000}, "bad_request"),
        ("sendMessage", {"chatId": "no-such-chat", "senderId": "bot", "body": "hi"}, "not_found"),
        ("addUserToChat", {"chatId": "no-such-chat", "userId": "u"}, "not_found"),
    ],
)
def test_bad_calls_get_a_coded_error(
    server_api: ServerApi, command: str, args: dict[str, Any], code: str
) -> None:
    with pytest.raises(ServerApiError) as raised:
        server_api.call(command, args)
    assert raised.value.code == code
    assert raised.value.message
