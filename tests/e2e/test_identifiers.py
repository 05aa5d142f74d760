"""Identifiers mean exactly what docs/protocol.md says, in every position, end to end.

An id that merely looks right ("eve" plus a newline, a NUL, a Cyrillic letter) is a
different key everywhere and could display as someone else: the handshake, each
action that takes an id and each REST route refuse it with the documented error, and
nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from shared.protocol import ACTION_FIELDS, Action
from tests.tables import chat_members, connections_of, stored_messages
from tests.wsclient import ChatClient

NEAR_IDS = {"LF": "\n", "CRLF": "\r\n", "NUL": "\x00", "cyrillic": "\u0435"}


def near(user_id: str, kind: str) -> str:
    """``user_id`` with a trailing newline, CRLF or NUL, or a Cyrillic 'е' for its first letter."""
    if kind == "cyrillic":
        return NEAR_IDS[kind] + user_id[1:]
    return user_id + NEAR_IDS[kind]


@pytest.mark.parametrize("kind", list(NEAR_IDS))
def test_a_token_naming_a_near_id_opens_nothing(
    emulator: Any,
    dynamodb: Any,
    tables: dict[str, str],
    api: Callable[..., httpx.Response],
    user: Callable[[str], str],
    kind: str,
) -> None:
    eve = near(user("eve"), kind)
    forged = emulator.token(eve)  # correctly signed: only the sub is wrong
    with pytest.raises(InvalidStatus) as refused:
        ChatClient(emulator.websocket_url, forged)
    assert refused.value.response.status_code == 403
    assert connections_of(dynamodb, tables, eve) == []
    for method, path in (("GET", "/chats"), ("POST", "/chats")):
        answer = api(None, method, path, json={}, headers={"authorization": f"Bearer {forged}"})
        # The HTTP API's authorizer refuses it (API Gateway's 403): no function runs.
        assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"}), answer.text


ID_POSITIONS = [
    (action, name)
    for action, fields in ACTION_FIELDS.items()
    for name, spec in fields.items()
    if spec.resolved_kind == "id"
]


def test_every_action_refuses_a_near_id_in_every_id_field(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice)
    client = connect(alice)
    sent = client.request(
        "message:send", {"chatId": chat_id, "body": "hi", "clientMessageId": "m1"}
    )
    message_id = sent["data"]["id"]
    valid = {"chatId": chat_id, "messageId": message_id, "clientMessageId": "m2"}
    before = stored_messages(dynamodb, tables, chat_id)
    for action, name in ID_POSITIONS:
        for kind in NEAR_IDS:
            data: dict[str, Any] = {
                field: valid.get(field, "hello" if spec.resolved_kind == "text" else "+1")
                for field, spec in ACTION_FIELDS[action].items()
            }
            data[name] = near(data[name], kind)
            answer = client.request(action.value, data)
            assert answer["event"] == "error", (action, name, kind, answer)
            assert answer["data"]["code"] == "bad_request", (action, name, kind)
        for kind in NEAR_IDS:
            answer = client.request(Action.SYNC.value, {"chats": {near(chat_id, kind): None}})
            assert answer["data"]["code"] == "bad_request"
    assert stored_messages(dynamodb, tables, chat_id) == before
    # A near-id requestId cannot be echoed: the error comes back without one.
    client.send_raw('{"action": "hello", "requestId": "r1\\n"}')
    answer = client.wait_event("error")
    assert answer["data"]["code"] == "bad_request" and "requestId" not in answer
    assert client.request("hello")["data"]["userId"] == alice


@pytest.mark.parametrize("kind", list(NEAR_IDS))
def test_every_rest_route_refuses_a_near_id(
    api: Callable[..., httpx.Response],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    kind: str,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)

    created = api(alice, "POST", "/chats", json={"members": [near(bob, kind)]})
    assert created.status_code == 400 and created.json()["error"]["code"] == "bad_request"
    assert [c["id"] for c in api(alice, "GET", "/chats").json()["chats"]] == [chat_id]

    added = api(alice, "POST", f"/chats/{chat_id}/members", json={"userId": near(bob, kind)})
    assert added.status_code == 400 and added.json()["error"]["code"] == "bad_request"
    assert chat_members(dynamodb, tables, chat_id) == {alice, bob}

    bad_chat = quote(near(chat_id, kind), safe="")
    bad_bob = quote(near(bob, kind), safe="")
    for method, path in [
        ("GET", f"/chats/{bad_chat}/messages"),
        ("GET", f"/chats/{bad_chat}/members"),
        ("GET", f"/chats/{bad_chat}/online"),
        ("POST", f"/chats/{bad_chat}/members"),
        ("DELETE", f"/chats/{chat_id}/members/{bad_bob}"),
        ("GET", f"/users/{bad_bob}/presence"),
    ]:
        body = {"userId": bob} if method == "POST" else None
        answer = api(alice, method, path, json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/json", (method, path, answer.text)
        assert answer.json()["error"]["code"] == "not_found"
    assert chat_members(dynamodb, tables, chat_id) == {alice, bob}

    for name in ("cursor", "after"):
        answer = api(alice, "GET", f"/chats/{chat_id}/messages", params={name: near("m1e", kind)})
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_request"
    answer = api(alice, "GET", f"/chats/{chat_id}/messages", params={"limit": "\u0663"})
    assert answer.status_code == 400, answer.text
