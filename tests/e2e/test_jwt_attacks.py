"""The JWT attack matrix, end to end: at the WebSocket handshake and on the REST API of
an emulator configured like a Cognito deployment (RS256 against a JWKS, issuer and
audience enforced). Every attack is refused and none writes a connection record."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import InvalidStatus

from tests.conftest import TEMPLATE
from tests.wsclient import ChatClient

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local"
AUDIENCE = "switchboard-app"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "live", "alg": "RS256", "use": "sig"}]}).encode()

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


@pytest.fixture(scope="module")
def oidc(emulator: Any, jwks_url: str) -> Iterator[Any]:
    from infra.emulator import Emulator

    emu = Emulator(
        TEMPLATE,
        stage="oidc",
        schedules=False,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        parameter_overrides={
            "JwtJwksUrl": jwks_url,
            "JwtAlgorithms": "RS256",
            "JwtIssuer": ISSUER,
            "JwtAudience": AUDIENCE,
        },
    )
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def token(key: Any = KEY, kid: str = "live", alg: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def attacks() -> dict[str, str]:
    now = int(time.time())
    public_pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confusion = jwt.api_jws.PyJWS()
    confusion._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]
    header, payload, _ = token().split(".")
    return {
        "alg none": jwt.encode({"sub": "mallory", "exp": now + 300}, None, algorithm="none"),
        "HS/RS confusion": confusion.encode(
            json.dumps(
                {"sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300}
            ).encode(),
            public_pem,
            algorithm="HS256",
            headers={"kid": "live"},
        ),
        "expired": token(exp=now - 600),
        "not yet valid": token(nbf=now + 600),
        "wrong issuer": token(iss="https://evil.example.com"),
        "wrong audience": token(aud="another-app"),
        "tampered signature": f"{header}.{payload}.{'A' * 342}",
        "missing sub": token(sub=None),
        "key id not in the JWKS": token(kid="deleted"),
        "signed by another key": token(key=OTHER_KEY),
        "absurdly long": "e" * 5_000,  # over the 4,096-character WebSocket URL
    }


def test_a_good_token_from_the_identity_provider_works(oidc: Any) -> None:
    client = ChatClient(oidc.websocket_url, token(sub="alice-oidc"))
    try:
        assert client.request("hello")["data"]["userId"] == "alice-oidc"
    finally:
        client.close()
    answer = httpx.get(
        f"{oidc.rest_url}/chats", headers={"authorization": f"Bearer {token(sub='alice-oidc')}"}
    )
    assert answer.status_code == 200


@pytest.mark.parametrize("attack", list(attacks()))
def test_every_attack_is_refused_at_the_handshake_and_on_rest(
    oidc: Any, dynamodb: Any, tables: dict[str, str], attack: str
) -> None:
    forged = attacks()[attack]
    before = dynamodb.scan(TableName=tables["ConnectionsTable"], Select="COUNT")["Count"]
    with pytest.raises(InvalidStatus) as refused:
        ChatClient(oidc.websocket_url, forged)
    assert refused.value.response.status_code in (401, 403, 414)
    answer = httpx.get(f"{oidc.rest_url}/chats", headers={"authorization": f"Bearer {forged}"})
    # The HTTP API's authorizer refuses it: API Gateway's 403, the api function never runs.
    assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"}), answer.text
    after = dynamodb.scan(TableName=tables["ConnectionsTable"], Select="COUNT")["Count"]
    assert after <= before
