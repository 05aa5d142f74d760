"""The SigV4 verifier, without sockets: requests signed by botocore's own signer, checked
against the emulator's principals with "now" injected."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from infra.gateway.iam import LOCAL_ADMIN, Credentials, LocalIam
from infra.gateway.sigv4 import (
    INCOMPLETE,
    MISMATCH,
    MISSING,
    SIGNATURE,
    TOKEN,
    Received,
    Refusal,
    Signed,
    SigV4Verifier,
)
from tests.infra.support import signed

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOST = "127.0.0.1:8080"
PATH = "/api/server/send"


def request(
    credentials: Credentials,
    *,
    method: str = "POST",
    path: str = PATH,
    query: str = "a=1&b=x%20y",
    body: bytes = b'{"n": 1}',
    at: datetime = NOW,
    service: str = "execute-api",
    region: str = "us-east-1",
) -> Received:
    """A request signed at `at`, as the emulator would receive it."""
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        headers = signed(credentials, method, url, body, {"X-Thing": "t"}, service, region)
    return Received(method, "http", path, query, [("host", HOST), *headers.items()], body)


@pytest.fixture
def iam() -> LocalIam:
    return LocalIam("123456789012")


def verify(iam: LocalIam, received: Received, service: str = "execute-api") -> Signed | Refusal:
    return SigV4Verifier(iam, "us-east-1", clock=lambda: NOW).verify(received, service)


def test_a_signed_request_names_its_principal(iam: LocalIam) -> None:
    keys = iam.add_principal("orders")
    result = verify(iam, request(keys))
    assert isinstance(result, Signed)
    assert result.principal.name == "orders" and result.access_key_id == keys.access_key_id
    # The stack owner signs with a session token, which must come along.
    admin = verify(iam, request(LOCAL_ADMIN))
    assert isinstance(admin, Signed) and admin.principal is iam.admin


def test_a_replayed_signature_fails_on_any_other_part(iam: LocalIam) -> None:
    good = request(iam_keys := iam.add_principal("orders"))
    other = good.headers
    assert isinstance(verify(iam, good), Signed)
    for changed in (
        dataclasses.replace(good, body=b'{"n": 2}'),
        dataclasses.replace(good, raw_path="/api/server/delete"),
        dataclasses.replace(good, method="PUT"),
        dataclasses.replace(good, raw_query="a=2&b=x%20y"),
        dataclasses.replace(good, headers=[(k, "u" if k == "X-Thing" else v) for k, v in other]),
    ):
        result = verify(iam, changed)
        assert isinstance(result, Refusal) and result.kind == SIGNATURE
        assert result.message.startswith(MISMATCH + "\n\nThe Canonical String")
    wrong_secret = dataclasses.replace(iam_keys, secret_access_key="not-the-secret")
    result = verify(iam, request(wrong_secret))
    assert isinstance(result, Refusal) and result.kind == SIGNATURE


def test_the_date_must_be_within_five_minutes(iam: LocalIam) -> None:
    keys = iam.add_principal("orders")
    for skew in (timedelta(minutes=-4, seconds=-59), timedelta(minutes=4, seconds=59)):
        assert isinstance(verify(iam, request(keys, at=NOW + skew)), Signed)
    stale = verify(iam, request(keys, at=NOW - timedelta(minutes=6)))
    assert stale == Refusal(
        SIGNATURE,
        "Signature expired: 20260301T115400Z is now earlier than 20260301T115500Z "
        "(20260301T120000Z - 5 min.)",
    )
    early = verify(iam, request(keys, at=NOW + timedelta(minutes=6)))
    assert early == Refusal(
        SIGNATURE,
        "Signature not yet current: 20260301T120600Z is still later than 20260301T120500Z "
        "(20260301T120000Z + 5 min.)",
    )


def test_scope_key_and_token(iam: LocalIam) -> None:
    keys = iam.add_principal("orders")
    assert verify(iam, request(keys, region="eu-west-1")) == Refusal(
        SIGNATURE, "Credential should be scoped to a valid region, not 'eu-west-1'. "
    )
    assert verify(iam, request(keys), service="lambda") == Refusal(
        SIGNATURE, "Credential should be scoped to correct service: 'lambda'. "
    )
    unknown = Credentials("AKIAUNKNOWNUNKNOWN00", "secret")
    invalid = Refusal(TOKEN, "The security token included in the request is invalid.")
    assert verify(iam, request(unknown)) == invalid
    # The stack owner's key without its session token, or with another one.
    assert verify(iam, request(dataclasses.replace(LOCAL_ADMIN, session_token=None))) == invalid
    assert verify(iam, request(dataclasses.replace(LOCAL_ADMIN, session_token="x"))) == invalid
    # A session token where the principal has none.
    assert verify(iam, request(dataclasses.replace(keys, session_token="x"))) == invalid


def test_malformed_or_missing_authorization(iam: LocalIam) -> None:
    base = Received("POST", "http", PATH, "", [("host", HOST)], b"")
    assert verify(iam, base) == Refusal(MISSING, "Missing Authentication Token")
    bearer = dataclasses.replace(
        base, headers=[("host", HOST), ("authorization", "Bearer abc.def")]
    )
    assert verify(iam, bearer) == Refusal(
        INCOMPLETE,
        "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: "
        "'Bearer abc.def'.",
    )
    partial = "AWS4-HMAC-SHA256 Credential=AKIA/20260301/us-east-1/execute-api/aws4_request"
    result = verify(iam, dataclasses.replace(base, headers=[("authorization", partial)]))
    assert result == Refusal(
        INCOMPLETE,
        "Authorization header requires 'Signature' parameter. Authorization header requires "
        "'SignedHeaders' parameter. Authorization header requires existence of either a "
        f"'X-Amz-Date' or a 'Date' header. Authorization={partial}",
    )
