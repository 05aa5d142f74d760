"""Token verification: what the authorizer and the REST API accept and refuse."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shared.auth import AuthError, issue_token, verify_token
from shared.config import Settings

SECRET = "test-secret-of-sufficient-length-32b"
HS = Settings(jwt_secret=SECRET, jwt_algorithms=("HS256",), jwt_jwks_url="")


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {"sub": "alice", "iat": now, "exp": now + 60}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_hs256_token_yields_its_subject() -> None:
    assert verify_token(issue_token("alice", SECRET), HS) == "alice"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-jwt",
        "a.b.c",
        jwt.encode(claims(), "another-secret-of-sufficient-len", algorithm="HS256"),
        jwt.encode(claims(exp=int(time.time()) - 120), SECRET, algorithm="HS256"),
        jwt.encode(claims(exp=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub=None), SECRET, algorithm="HS256"),
        jwt.encode(claims(sub=""), SECRET, algorithm="HS256"),
        "x.y",
        jwt.encode(claims(nbf=int(time.time()) + 600), SECRET, algorithm="HS256"),
        jwt.encode(claims(), SECRET, algorithm="HS512"),
        jwt.encode(claims(), None, algorithm="none"),
        "e" * 9000,
    ],
    ids=[
        "missing",
        "empty",
        "garbage",
        "bad-segments",
        "forged",
        "expired",
        "no-exp",
        "no-sub",
        "empty-sub",
        "two-segments",
        "not-yet-valid",
        "unpinned-alg",
        "alg-none",
        "absurdly-long",
    ],
)
def test_bad_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(AuthError):
        verify_token(token, HS)


def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = issue_token("alice", SECRET).split(".")
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims(sub="admin")).encode()).decode()
    with pytest.raises(AuthError):
        verify_token(f"{header}.{forged_payload}.{signature}", HS)


def test_issuer_and_audience_are_enforced_when_configured() -> None:
    strict = Settings(
        jwt_secret=SECRET, jwt_algorithms=("HS256",), jwt_issuer="https://idp", jwt_audience="app"
    )
    good = issue_token("alice", SECRET, issuer="https://idp", audience="app")
    assert verify_token(good, strict) == "alice"
    for bad in (
        issue_token("alice", SECRET, issuer="https://evil", audience="app"),
        issue_token("alice", SECRET, issuer="https://idp", audience="other"),
        issue_token("alice", SECRET),
    ):
        with pytest.raises(AuthError):
            verify_token(bad, strict)


# ---------------------------------------------------------------- JWKS (RS256 / ES256)


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "other_rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


@pytest.fixture(scope="module")
def jwks_url(keys: dict[str, object]) -> Iterator[str]:
    """A real HTTP server on loopback serving a JWKS, as Cognito does."""
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(keys["rsa"].public_key()))  # type: ignore[attr-defined]
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(keys["ec"].public_key()))  # type: ignore[attr-defined]
    body = json.dumps(
        {
            "keys": [
                {**rsa_jwk, "kid": "rsa1", "use": "sig", "alg": "RS256"},
                {**ec_jwk, "kid": "ec1", "use": "sig", "alg": "ES256"},
            ]
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def jwks_settings(url: str, algorithms: tuple[str, ...] = ("RS256", "ES256")) -> Settings:
    return Settings(jwt_secret="", jwt_jwks_url=url, jwt_algorithms=algorithms)


def test_rs256_and_es256_tokens_verify_against_the_jwks(
    keys: dict[str, object], jwks_url: str
) -> None:
    config = jwks_settings(jwks_url)
    rs = jwt.encode(claims(), keys["rsa"], algorithm="RS256", headers={"kid": "rsa1"})  # type: ignore[arg-type]
    es = jwt.encode(claims(sub="bob"), keys["ec"], algorithm="ES256", headers={"kid": "ec1"})  # type: ignore[arg-type]
    assert verify_token(rs, config) == "alice"
    assert verify_token(es, config) == "bob"


def test_jwks_attacks_are_refused(keys: dict[str, object], jwks_url: str) -> None:
    config = jwks_settings(jwks_url)
    public_pem = (
        keys["rsa"]  # type: ignore[attr-defined]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # HS256 "signed" with the RSA public key: the classic algorithm confusion.
    confused = jwt.api_jws.PyJWS(algorithms=["HS256"])
    confused._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]
    confusion = confused.encode(
        json.dumps(claims()).encode(), public_pem, algorithm="HS256", headers={"kid": "rsa1"}
    )
    wrong_key = jwt.encode(claims(), keys["other_rsa"], algorithm="RS256", headers={"kid": "rsa1"})  # type: ignore[arg-type]
    unknown_kid = jwt.encode(claims(), keys["rsa"], algorithm="RS256", headers={"kid": "gone"})  # type: ignore[arg-type]
    for token in (confusion, wrong_key, unknown_kid):
        with pytest.raises(AuthError):
            verify_token(token, config)
    only_rs = jwks_settings(jwks_url, ("RS256",))
    es = jwt.encode(claims(), keys["ec"], algorithm="ES256", headers={"kid": "ec1"})  # type: ignore[arg-type]
    with pytest.raises(AuthError):
        verify_token(es, only_rs)


# ---------------------------------------------------------------- Secrets Manager


@pytest.fixture
def secrets_manager(aws: None) -> Iterator[Any]:
    """Secrets Manager in moto's in-process mock, as a function would see it."""
    import boto3

    from shared import secrets

    secrets.forget()
    yield boto3.client("secretsmanager", region_name="us-east-1")
    secrets.forget()


def test_the_secret_comes_from_secrets_manager_and_survives_a_rotation(
    secrets_manager: Any,
) -> None:
    first, second = "first-secret-" + "x" * 40, "second-secret-" + "y" * 40
    arn = secrets_manager.create_secret(Name=f"jwt-{time.time_ns()}", SecretString=first)["ARN"]
    config = Settings(jwt_secret_arn=arn, jwt_algorithms=("HS256",))
    old_token = issue_token("alice", first)
    assert verify_token(old_token, config) == "alice"

    secrets_manager.put_secret_value(SecretId=arn, SecretString=second)  # rotation
    new_token = issue_token("bob", second)
    # The cached secret does not know the new one yet: a miss re-reads both versions,
    # at most every MIN_REFRESH_SECONDS; the old token still verifies (AWSPREVIOUS).
    from shared import secrets

    secrets.forget()
    assert verify_token(new_token, config) == "bob"
    assert verify_token(old_token, config) == "alice"
    with pytest.raises(AuthError):
        verify_token(issue_token("mallory", "third-secret-" + "z" * 40), config)


def test_forged_tokens_do_not_hammer_secrets_manager(secrets_manager: Any) -> None:
    from shared import secrets

    arn = secrets_manager.create_secret(Name=f"jwt-{time.time_ns()}", SecretString="s" * 48)["ARN"]
    config = Settings(jwt_secret_arn=arn, jwt_algorithms=("HS256",))
    calls = []
    original = secrets._fetch_versions
    secrets._fetch_versions = lambda a: calls.append(a) or original(a)  # type: ignore[assignment]
    try:
        for _ in range(20):
            with pytest.raises(AuthError):
                verify_token(issue_token("mallory", "f" * 48), config)
    finally:
        secrets._fetch_versions = original  # type: ignore[assignment]
    assert len(calls) == 1


@pytest.mark.parametrize(
    "subject",
    ["eve\n", "eve\r\n", "eve\x00", "\u0435ve", "e" * 129, 7],
    ids=["LF", "CRLF", "NUL", "cyrillic-e", "too-long", "number"],
)
def test_a_subject_that_is_not_exactly_an_id_is_refused(subject: object) -> None:
    with pytest.raises(AuthError):
        verify_token(jwt.encode(claims(sub=subject), SECRET, algorithm="HS256"), HS)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_numeric_dates_must_be_json_numbers(claim: str) -> None:
    """RFC 7519's NumericDate is a JSON number; PyJWT alone would take a numeric string."""
    now = int(time.time())
    good = {"exp": now + 60, "nbf": now - 60, "iat": now}[claim]
    assert verify_token(jwt.encode(claims(**{claim: good}), SECRET, algorithm="HS256"), HS)
    assert verify_token(jwt.encode(claims(**{claim: good + 0.5}), SECRET, algorithm="HS256"), HS)
    for bad in (str(good), f" {good}\n", True):
        token = jwt.encode(claims(**{claim: bad}), SECRET, algorithm="HS256")
        with pytest.raises(AuthError):
            verify_token(token, HS)


def test_a_long_token_is_read_up_to_the_limit() -> None:
    """Cognito ID tokens of users in many groups run to several KB: 8 KB still verifies."""
    from shared.auth import MAX_TOKEN_LENGTH

    groups = [f"group-{i:04d}" for i in range(400)]
    token = jwt.encode(claims(**{"cognito:groups": groups}), SECRET, algorithm="HS256")
    assert 4096 < len(token) <= MAX_TOKEN_LENGTH
    assert verify_token(token, HS) == "alice"
