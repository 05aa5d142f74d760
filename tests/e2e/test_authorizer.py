"""The $connect authorizer, through the emulator: bad tokens never get a connection."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from websockets.exceptions import InvalidStatus

from tests.tables import connections_of
from tests.wsclient import ChatClient


def bad_tokens(secret: str, user_id: str) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "missing": None,
        "malformed": "not.a.jwt",
        "expired": jwt.encode({"sub": user_id, "exp": now - 300}, secret, algorithm="HS256"),
        "forged": jwt.encode(
            {"sub": user_id, "exp": now + 300}, "not-the-server-secret-0000000000000", "HS256"
        ),
        "alg-none": jwt.encode({"sub": user_id, "exp": now + 300}, None, algorithm="none"),
        "no-exp": jwt.encode({"sub": user_id}, secret, algorithm="HS256"),
    }


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("missing", 401),
        ("malformed", 403),
        ("expired", 403),
        ("forged", 403),
        ("alg-none", 403),
        ("no-exp", 403),
    ],
)
def test_bad_tokens_refuse_the_handshake_and_write_nothing(
    emulator: Any,
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    kind: str,
    status: int,
) -> None:
    mallory = user("mallory")
    token = bad_tokens(emulator.jwt_secret, mallory)[kind]
    with pytest.raises(InvalidStatus) as refused:
        ChatClient(emulator.websocket_url, token)
    assert refused.value.response.status_code == status
    assert connections_of(dynamodb, tables, mallory) == []


def test_a_good_token_connects_and_the_user_comes_from_the_authorizer(
    connect: Callable[..., ChatClient], user: Callable[[str], str]
) -> None:
    alice = user("alice")
    client = connect(alice)
    reply = client.request("hello")
    assert reply["event"] == "connection:success"
    assert reply["data"]["userId"] == alice


def http_api_authorizer_event(authorization: str | None) -> dict[str, Any]:
    """What the HTTP API hands its Lambda authorizer (payload format 2.0)."""
    headers = {"authorization": authorization} if authorization is not None else {}
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:api123/$default/GET/chats",
        "identitySource": [authorization] if authorization else [],
        "routeKey": "ANY /{proxy+}",
        "rawPath": "/chats",
        "headers": headers,
        "requestContext": {"requestId": "req-1", "http": {"method": "GET", "path": "/chats"}},
    }


def test_the_http_api_authorizer_answers_with_simple_responses(
    emulator: Any, user: Callable[[str], str]
) -> None:
    alice = user("alice")
    allowed = emulator.invoke(
        "AuthorizerFunction", http_api_authorizer_event(f"Bearer {emulator.token(alice)}")
    )
    assert allowed == {"isAuthorized": True, "context": {"userId": alice}}
    for refused in (None, "Bearer not.a.jwt", f"Basic {emulator.token(alice)}"):
        answer = emulator.invoke("AuthorizerFunction", http_api_authorizer_event(refused))
        assert answer == {"isAuthorized": False}
