"""The HTTP API: requests under /api become payload 2.0 events for the route's function,
after the route's Lambda authorizer (if any) has allowed them, as API Gateway runs it, or,
on an AWS_IAM route, after the SigV4 signature and the caller's IAM policies have."""

from __future__ import annotations

import contextlib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import httpx
import pytest

from infra.emulator import Emulator
from infra.gateway.iam import Credentials
from tests.infra.support import Recorder, new_tag, signed


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


# ------------------------------------------------------------------ AWS_IAM routes
# POST /server/{command} is an AWS_IAM route (fixture ServerApiFunction); the fixture's
# ServerApiCallerPolicy allows execute-api:Invoke on it (and lambda:InvokeFunction).


@pytest.fixture(scope="module")
def caller(emulator: Emulator) -> Credentials:
    return emulator.iam.add_principal("orders-service", policies=["ServerApiCallerPolicy"])


@pytest.fixture(scope="module")
def stranger(emulator: Emulator) -> Credentials:
    return emulator.iam.add_principal("stranger")


def server_url(emulator: Emulator, path: str = "/server/send", query: str = "") -> str:
    return f"{emulator.rest_url}{path}" + (f"?{query}" if query else "")


def post_signed(
    emulator: Emulator,
    credentials: Credentials,
    body: bytes = b'{"text": "hi"}',
    *,
    send_body: bytes | None = None,
    send_path: str | None = None,
    at: datetime | None = None,
    service: str = "execute-api",
) -> httpx.Response:
    """POST to the IAM route signed with botocore; `send_*` change the request after signing."""
    url = server_url(emulator, query="b=x%20y&a=1")
    moment = mock.patch("botocore.auth.get_current_datetime", return_value=at) if at else None
    with moment or contextlib.nullcontext():
        headers = signed(credentials, "POST", url, body, {"X-Tag": "t"}, service=service)
    if send_path is not None:
        url = server_url(emulator, send_path, "b=x%20y&a=1")
    return httpx.post(url, content=body if send_body is None else send_body, headers=headers)


def refused(response: httpx.Response, error_type: str) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    assert response.headers["x-amzn-ErrorType"] == error_type
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def test_a_signed_and_allowed_request_runs_with_the_callers_identity(
    emulator: Emulator, caller: Credentials
) -> None:
    response = post_signed(emulator, caller)
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["routeKey"] == "POST /server/{command}"
    assert event["pathParameters"] == {"command": "send"} and event["body"] == '{"text": "hi"}'
    assert event["queryStringParameters"] == {"a": "1", "b": "x y"}
    principal = emulator.iam.principal(caller.access_key_id)
    assert principal is not None
    assert event["requestContext"]["authorizer"] == {
        "iam": {
            "accessKey": caller.access_key_id,
            "accountId": "123456789012",
            "callerId": principal.user_id,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": "arn:aws:iam::123456789012:user/orders-service",
            "userId": principal.user_id,
        }
    }
    # The stack owner (session credentials) is allowed everything.
    owner = post_signed(emulator, emulator.credentials)
    assert owner.status_code == 201, owner.text
    iam = owner.json()["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "ASIALOCALEMULATOR000"
    assert iam["userArn"].startswith("arn:aws:sts::123456789012:assumed-role/")


def test_unsigned_and_bearer_requests_never_open_an_iam_route(emulator: Emulator) -> None:
    unsigned = httpx.post(server_url(emulator), content=b"{}")
    body = refused(unsigned, "MissingAuthenticationTokenException")
    assert body == {"message": "Missing Authentication Token"}
    token = emulator.token("alice")  # a user's valid JWT: no IAM identity
    bearer = httpx.post(
        server_url(emulator), content=b"{}", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused(bearer, "IncompleteSignatureException") == {
        "message": f"'{token}' not a valid key=value pair (missing equal-sign) in "
        f"Authorization header: 'Bearer {token}'."
    }


def test_a_signature_that_does_not_match_is_refused(
    emulator: Emulator, caller: Credentials
) -> None:
    wrong_secret = Credentials(caller.access_key_id, "x" * 40)
    for response in (
        post_signed(emulator, wrong_secret),
        post_signed(emulator, caller, send_body=b'{"text": "changed"}'),  # replayed
        post_signed(emulator, caller, send_path="/server/delete"),
    ):
        message = refused(response, "InvalidSignatureException")["message"]
        assert message.startswith(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.\n\nThe Canonical String for this request should have "
            "been\n'POST\n/api/server/"
        )
    # Signed for another service (Lambda's) than execute-api.
    other = post_signed(emulator, caller, service="lambda")
    assert refused(other, "InvalidSignatureException") == {
        "message": "Credential should be scoped to correct service: 'execute-api'. "
    }


def test_a_signature_older_than_five_minutes_has_expired(
    emulator: Emulator, caller: Credentials
) -> None:
    signed_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=6)
    response = post_signed(emulator, caller, at=signed_at)
    message = refused(response, "InvalidSignatureException")["message"]
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    assert re.fullmatch(
        rf"Signature expired: {stamp} is now earlier than (\d{{8}}T\d{{6}}Z) "
        r"\((\d{8}T\d{6}Z) - 5 min\.\)",
        message,
    ), message


def test_an_unknown_key_is_an_invalid_security_token(emulator: Emulator) -> None:
    unknown = Credentials("AKIAUNKNOWNUNKNOWN00", "x" * 40)
    assert refused(post_signed(emulator, unknown), "AccessDeniedException") == {
        "message": "The security token included in the request is invalid."
    }


def test_a_principal_without_the_policy_is_denied(
    emulator: Emulator, stranger: Credentials
) -> None:
    assert emulator.template is not None
    api_id = next(r.api_id for r in emulator.template.http_routes if r.path == "/server/{command}")
    resource = f"arn:aws:execute-api:us-east-1:********9012:{api_id}/$default/POST/server/send"
    assert refused(post_signed(emulator, stranger), "AccessDeniedException") == {
        "Message": "User: arn:aws:iam::123456789012:user/stranger is not authorized to perform: "
        f"execute-api:Invoke on resource: {resource} because no identity-based policy allows "
        "the execute-api:Invoke action"
    }
    denied = emulator.iam.add_principal(
        "denied",
        policies=["ServerApiCallerPolicy"],
        statements=[{"Effect": "Deny", "Action": "execute-api:*", "Resource": "*"}],
    )
    assert refused(post_signed(emulator, denied), "AccessDeniedException") == {
        "Message": "User: arn:aws:iam::123456789012:user/denied is not authorized to perform: "
        f"execute-api:Invoke on resource: {resource} with an explicit deny in an "
        "identity-based policy"
    }
