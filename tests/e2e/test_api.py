"""The REST API: over HTTP through the emulator, and as a Lambda behind an HTTP API event."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.wsclient import ChatClient


def test_creating_a_chat_makes_the_caller_an_admin_member(
    api: Callable[..., httpx.Response], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    created = api(alice, "POST", "/chats", json={"members": [bob], "name": "Project"})
    assert created.status_code == 201
    chat = created.json()
    assert chat["name"] == "Project"
    assert chat["createdBy"] == alice
    assert set(chat["members"]) == {alice, bob}
    for member in (alice, bob):
        listed = api(member, "GET", "/chats").json()["chats"]
        assert [c["id"] for c in listed] == [chat["id"]]


def test_history_is_newest_first_with_cursor_pages_for_members_only(
    api: Callable[..., httpx.Response],
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, eve = user("alice"), user("bob"), user("eve")
    chat_id = create_chat(alice, bob)
    client = connect(alice)
    sent = [
        client.request("message:send", {"chatId": chat_id, "body": f"m{i}"})["data"]
        for i in range(5)
    ]
    path = f"/chats/{chat_id}/messages"
    first = api(bob, "GET", path, params={"limit": 2}).json()
    assert [m["body"] for m in first["messages"]] == ["m4", "m3"]
    second = api(bob, "GET", path, params={"limit": 2, "cursor": first["nextCursor"]}).json()
    assert [m["body"] for m in second["messages"]] == ["m2", "m1"]
    third = api(bob, "GET", path, params={"limit": 2, "cursor": second["nextCursor"]}).json()
    assert third == {"messages": [sent[0]], "nextCursor": None}

    assert api(eve, "GET", path).status_code == 404  # not 403: chat ids can't be probed
    assert api(eve, "GET", "/chats/no-such-chat/messages").status_code == 404
    assert api(None, "GET", path).status_code == 401
    assert api(bob, "GET", path, params={"limit": 0}).status_code == 400


def test_bad_requests_get_json_errors_and_create_nothing(
    api: Callable[..., httpx.Response], user: Callable[[str], str]
) -> None:
    alice = user("alice")
    cases = [
        {"content": b"{nope", "headers": {"content-type": "application/json"}},
        {"json": [1, 2]},
        {"json": {"members": "bob"}},
        {"json": {"members": ["b o b"]}},
        {"json": {"members": [], "name": 5}},
        {"json": {"members": [], "color": "red"}},
    ]
    for case in cases:
        response = api(alice, "POST", "/chats", **case)
        assert response.status_code == 400, (case, response.text)
        assert response.json()["error"]["code"] == "bad_request"
    assert api(alice, "GET", "/chats").json() == {"chats": []}
    # Tokens are API Gateway's business: its authorizer refuses this one before the
    # function runs, with API Gateway's own 403 body (docs/protocol.md, REST API).
    bad_token = api(None, "POST", "/chats", json={}, headers={"authorization": "Bearer x.y.z"})
    assert (bad_token.status_code, bad_token.json()) == (403, {"message": "Forbidden"})
    no_token = api(None, "POST", "/chats", json={})
    assert (no_token.status_code, no_token.json()) == (401, {"message": "Unauthorized"})


def http_api_event(
    method: str, path: str, token: str, body: Any = None, user_id: str | None = None
) -> dict[str, Any]:
    """An HTTP API (payload format 2.0) event, as API Gateway hands it to the function:
    with the authorizer's verdict on `token` (`user_id`), if it ran."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"authorization": f"Bearer {token}", "content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api123",
            "domainName": "api123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "api123",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "ANY /{proxy+}",
            "stage": "$default",
            "time": "26/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795687200000,
        },
        "pathParameters": {"proxy": path.lstrip("/")},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
    if user_id is not None:
        event["requestContext"]["authorizer"] = {"lambda": {"userId": user_id}}
    return event


def test_the_api_function_answers_http_api_events_through_mangum(
    emulator: Any, user: Callable[[str], str]
) -> None:
    alice = user("alice")
    token = emulator.token(alice)
    created = emulator.invoke(
        "ApiFunction",
        http_api_event("POST", "/chats", token, {"members": [], "name": "solo"}, user_id=alice),
    )
    assert created["statusCode"] == 201
    chat = json.loads(created["body"])
    listed = emulator.invoke("ApiFunction", http_api_event("GET", "/chats", token, user_id=alice))
    assert listed["statusCode"] == 200
    assert [c["id"] for c in json.loads(listed["body"])["chats"]] == [chat["id"]]
    unknown = emulator.invoke(
        "ApiFunction", http_api_event("GET", "/nowhere", token, user_id=alice)
    )
    assert unknown["statusCode"] == 404


def test_behind_the_authorizer_the_api_trusts_its_verdict_and_checks_no_token(
    emulator: Any, user: Callable[[str], str]
) -> None:
    """The HTTP API's token authorizer has verified the bearer token and passes ``userId``
    in the request context; the function acts as that user, never reading the token.
    Without that context no authorizer ran: a deployment bug, answered 500, never served
    anonymously nor as the token's user (shared/rest_support.py)."""
    alice = user("alice")
    vouched = http_api_event(
        "POST", "/chats", "not-a-jwt", {"members": [], "name": "trusted"}, user_id=alice
    )
    created = emulator.invoke("ApiFunction", vouched)
    assert created["statusCode"] == 201
    assert json.loads(created["body"])["createdBy"] == alice
    genuine = emulator.token(alice)  # a valid token is not enough: only the verdict counts
    unvouched = emulator.invoke("ApiFunction", http_api_event("GET", "/chats", genuine))
    assert unvouched["statusCode"] == 500
    assert json.loads(unvouched["body"])["error"]["code"] == "internal_error"
