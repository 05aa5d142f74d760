"""The HTTP API: requests under /api become payload 2.0 events for the route's function,
after the route's Lambda authorizer (if any) has allowed them, as API Gateway runs it."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from infra.emulator import Emulator
from tests.infra.support import Recorder, new_tag


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
    assert "authorizer" not in event["requestContext"]  # Auth: {Authorizer: NONE}


# ------------------------------------------------------------------ the Lambda authorizer
# The fixture HttpApi's DefaultAuthorizer (simple responses, identity: the Authorization
# header, cached 4 s) guards /guarded/{item}; a second one (IAM policy, identity: ?key=,
# not cached) guards /policy/{item}. See fixtures/http_authorizer/app.py.


def authorizer_calls(recorder: Recorder, identity: str) -> list[dict[str, Any]]:
    calls = [json.loads(e) for e in recorder.client.lrange("events:http-authorizer", 0, -1)]
    return [c for c in calls if c["identitySource"] == [identity]]


def test_an_allowed_request_reaches_the_function_with_the_authorizer_context(
    emulator: Emulator, recorder: Recorder
) -> None:
    token = f"good-{new_tag()}"
    response = httpx.post(
        f"{emulator.rest_url}/guarded/42?q=1",
        content=b'{"secret": "body"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"userId": token, "role": "tester", "n": 1}
    }
    assert event["routeKey"] == "ANY /guarded/{item}"
    [call] = authorizer_calls(recorder, f"Bearer {token}")
    assert call["version"] == "2.0" and call["type"] == "REQUEST"
    assert call["routeArn"] == (
        f"arn:aws:execute-api:us-east-1:{emulator.template.account_id}:"
        f"{event['requestContext']['apiId']}/$default/POST/guarded/42"
    )
    assert call["routeKey"] == "ANY /guarded/{item}" and call["rawPath"] == "/guarded/42"
    assert call["rawQueryString"] == "q=1" and call["queryStringParameters"] == {"q": "1"}
    assert call["pathParameters"] == {"item": "42"}
    assert call["headers"]["authorization"] == f"Bearer {token}"
    assert "body" not in call and "authorizer" not in call["requestContext"]
    assert call["requestContext"]["http"]["method"] == "POST"


@pytest.mark.parametrize(
    ("authorization", "status", "message", "invoked"),
    [
        (None, 401, "Unauthorized", False),  # identity source missing: no invocation
        ("", 401, "Unauthorized", False),  # ... or empty
        ("Bearer bad-{tag}", 403, "Forbidden", True),  # isAuthorized: false
        ("Bearer crash-{tag}", 500, "Internal Server Error", True),  # the authorizer raised
        ("Bearer garbled", 500, "Internal Server Error", True),  # not a simple response
    ],
)
def test_refusals_are_api_gateways_and_never_reach_the_function(
    emulator: Emulator,
    recorder: Recorder,
    authorization: str | None,
    status: int,
    message: str,
    invoked: bool,
) -> None:
    headers = {"X-Tag": new_tag()}
    if authorization is not None:
        headers["Authorization"] = authorization.format(tag=headers["X-Tag"])
    response = httpx.get(f"{emulator.rest_url}/guarded/1", headers=headers)
    assert (response.status_code, response.json()) == (status, {"message": message})
    assert response.headers["content-type"] == "application/json"
    calls = [
        c
        for c in map(json.loads, recorder.client.lrange("events:http-authorizer", 0, -1))
        if c["headers"].get("x-tag") == headers["X-Tag"]
    ]
    assert len(calls) == (1 if invoked else 0)


def test_answers_are_cached_per_identity_for_reauthorize_every(
    emulator: Emulator, recorder: Recorder
) -> None:
    warm = {"Authorization": f"Bearer good-{new_tag()}"}  # no cold start within the TTL
    assert httpx.get(f"{emulator.rest_url}/guarded/1", headers=warm).status_code == 201
    good, bad = f"Bearer good-{new_tag()}", f"Bearer bad-{new_tag()}"
    started = time.monotonic()
    for _ in range(3):
        assert httpx.get(f"{emulator.rest_url}/guarded/1", headers={"Authorization": good})
        refused = httpx.get(f"{emulator.rest_url}/guarded/2", headers={"Authorization": bad})
        assert refused.status_code == 403
    # One invocation each, whatever the route: refusals are cached as well as approvals.
    assert time.monotonic() - started < 4, "too slow to test the cache"
    assert len(authorizer_calls(recorder, good)) == 1
    assert len(authorizer_calls(recorder, bad)) == 1
    other = f"Bearer good-{new_tag()}"
    assert httpx.get(f"{emulator.rest_url}/guarded/1", headers={"Authorization": other})
    assert len(authorizer_calls(recorder, other)) == 1
    time.sleep(max(0.0, started + 4.2 - time.monotonic()))  # ReauthorizeEvery: 4
    assert httpx.get(f"{emulator.rest_url}/guarded/1", headers={"Authorization": good})
    assert len(authorizer_calls(recorder, good)) == 2


def test_an_iam_policy_authorizer_is_evaluated_against_the_route_arn(
    emulator: Emulator, recorder: Recorder
) -> None:
    key = f"good-{new_tag()}"
    for _ in range(2):  # ReauthorizeEvery: 0, so no cache
        allowed = httpx.get(f"{emulator.rest_url}/policy/7", params={"key": key})
        assert allowed.status_code == 201, allowed.text
        assert allowed.json()["requestContext"]["authorizer"] == {
            "lambda": {"userId": key, "via": "policy"}
        }
    assert len(authorizer_calls(recorder, key)) == 2
    denied = httpx.get(f"{emulator.rest_url}/policy/7", params={"key": f"bad-{new_tag()}"})
    assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
    missing = httpx.get(f"{emulator.rest_url}/policy/7")
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
