"""The server API end to end: a backend calls ServerApiFunction through the emulator's
Lambda Invoke API with the project's own helper (clients/server-api-python), and live
WebSocket clients see what each command does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
import httpx
import pytest
from switchboard_server_api import ServerApi, ServerApiError

from tests.wsclient import ChatClient


def session_of(credentials: Any) -> Any:
    """A botocore session that signs with these (the emulator's) credentials."""
    session = botocore.session.get_session()
    session.set_credentials(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
    session.set_config_variable("region", "us-east-1")
    return session


def over_lambda(emulator: Any, credentials: Any) -> ServerApi:
    return ServerApi.over_lambda(
        "ServerApiFunction", session=session_of(credentials), endpoint_url=emulator.lambda_url
    )


def over_https(emulator: Any, credentials: Any) -> ServerApi:
    return ServerApi.over_https(emulator.rest_url, session=session_of(credentials))


@pytest.fixture(scope="module", params=["lambda", "https"])
def server_api(request: pytest.FixtureRequest, emulator: Any) -> ServerApi:
    """The server API over either path, as the stack owner (allowed everything)."""
    if request.param == "lambda":
        return over_lambda(emulator, emulator.credentials)
    return over_https(emulator, emulator.credentials)


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


# ---------------------------------------------------------------- IAM


def test_a_caller_holding_the_policy_may_call_on_both_paths_and_one_without_may_not(
    emulator: Any,
) -> None:
    granted = emulator.iam.add_principal("orders-service", policies=["ServerApiCallerPolicy"])
    for api in (over_lambda(emulator, granted), over_https(emulator, granted)):
        assert api.is_user_online("nobody-at-all") is False
    stranger = emulator.iam.add_principal("reporting-job")
    with pytest.raises(ServerApiError) as by_lambda:
        over_lambda(emulator, stranger).is_user_online("u")
    assert by_lambda.value.code == "AccessDeniedException"
    assert "lambda:InvokeFunction" in by_lambda.value.message
    with pytest.raises(ServerApiError) as by_https:
        over_https(emulator, stranger).is_user_online("u")
    assert (by_https.value.code, by_https.value.status) == ("forbidden", 403)
    assert "execute-api:Invoke" in by_https.value.message


def signed_headers(emulator: Any, url: str, body: bytes, credentials: Any) -> dict[str, str]:
    from tests.infra.support import signed

    return signed(credentials, "POST", url, body, {"content-type": "application/json"})


def test_unsigned_bearer_forged_and_replayed_requests_never_reach_the_function(
    emulator: Any, http: httpx.Client, user: Callable[[str], str]
) -> None:
    from infra.gateway.iam import Credentials

    url = f"{emulator.rest_url}/server/sendToUser"
    body = json.dumps({"userId": user("victim"), "event": "x", "data": 1}).encode()
    refusals = []
    refusals.append(http.post(url, content=body))  # unsigned
    bearer = {"authorization": f"Bearer {emulator.token(user('mallory'))}"}
    refusals.append(http.post(url, content=body, headers=bearer))  # a user's token
    owner = emulator.credentials
    forged = Credentials(owner.access_key_id, "not-the-secret", owner.session_token)
    refusals.append(
        http.post(url, content=body, headers=signed_headers(emulator, url, body, forged))
    )
    headers = signed_headers(emulator, url, body, owner)
    other = json.dumps({"userId": "someone-else", "event": "x", "data": 2}).encode()
    refusals.append(http.post(url, content=other, headers=headers))  # replayed, new body
    for response in refusals:
        assert response.status_code == 403, response.text
        assert "message" in {k.lower() for k in response.json()}
        assert "ok" not in response.json()  # API Gateway's answer, not the function's
    assert refusals[0].json() == {"message": "Missing Authentication Token"}
    # The genuine request, signed for its own body, goes through.
    assert http.post(url, content=body, headers=headers).json()["ok"] is True
