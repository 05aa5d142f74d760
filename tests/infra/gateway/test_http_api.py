"""The HTTP API: requests under /api become payload 2.0 events for the route's function."""

from __future__ import annotations

import httpx

from infra.emulator import Emulator


def test_rest_app_gets_http_api_v2_events(emulator: Emulator) -> None:
    response = httpx.post(
        f"{emulator.rest_url}/chats/42?x=1&x=2&y=z",
        content=b'{"a": 1}',
        headers={"Content-Type": "application/json", "Cookie": "c=1; d=2", "X-Thing": "t"},
    )
    assert response.status_code == 201
    assert response.headers["x-probe"] == "1"
    assert response.headers["set-cookie"] == "a=1"
    event = response.json()
    assert event["version"] == "2.0" and event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/chats/42" and event["rawQueryString"] == "x=1&x=2&y=z"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "z"}
    assert event["pathParameters"] == {"proxy": "chats/42"}
    assert event["cookies"] == ["c=1", "d=2"]
    assert event["headers"]["x-thing"] == "t"
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert http["method"] == "POST" and http["path"] == "/chats/42"
    assert event["requestContext"]["stage"] == "$default"
