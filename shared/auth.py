"""JWT verification (HS256 shared secret or RS256/ES256 against a JWKS URL) and minting.

The algorithm list is pinned by configuration and never taken from the token
header; `exp` and `sub` are required; issuer and audience are enforced when set.
The HS256 secret is read from Secrets Manager (JWT_SECRET_ARN, through
shared/secrets.py: cached five minutes); both its AWSCURRENT and AWSPREVIOUS versions
verify, so rotating it (put-secret-value) never cuts off tokens signed a moment before.
"""

from __future__ import annotations

import functools
from typing import Any

import jwt

from shared import clock, secrets
from shared.config import Settings, settings
from shared.protocol import is_id

# Longer tokens are refused before any parsing. Cognito ID tokens of users in many
# groups reach several KB; 8,192 characters fits them on the HTTP API (a header)
# and stays below API Gateway's header quota. On the WebSocket the token rides in
# the URL, which API Gateway caps at 4,096 characters before any authorizer runs.
MAX_TOKEN_LENGTH = 8192
# RFC 7519: exp, nbf and iat are NumericDates, JSON numbers. PyJWT would take
# "1700000000" (int() of a string, surrounding whitespace included); we do not.
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")
ASYMMETRIC_PREFIXES = ("RS", "ES", "PS")


class AuthError(Exception):
    """The token is missing, malformed, expired, forged or otherwise unacceptable."""


def hs_secrets(config: Settings, refresh: bool = False) -> list[str]:
    """The HS256 secrets that verify tokens: current first, then previous."""
    if config.jwt_secret:
        return [config.jwt_secret]
    if not config.jwt_secret_arn:
        return []
    return secrets.versions(config.jwt_secret_arn, refresh)


@functools.lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    # Module-level cache: the key set is fetched once per warm container.
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def verify_token(token: str | None, config: Settings | None = None) -> str:
    """Return the user id (`sub`) of a valid token, or raise AuthError."""
    config = config or settings()
    if not token or not isinstance(token, str):
        raise AuthError("missing token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthError("token too long")
    algorithms = list(config.jwt_algorithms)
    if not algorithms or "none" in (a.lower() for a in algorithms):
        raise AuthError("no acceptable algorithm configured")
    asymmetric = [a for a in algorithms if a.startswith(ASYMMETRIC_PREFIXES)]
    symmetric = [a for a in algorithms if a.startswith("HS")]
    try:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg not in algorithms:
            raise AuthError("algorithm not allowed")
        if alg in symmetric:
            return _verify_symmetric(token, alg, config)
        if alg in asymmetric:
            if not config.jwt_jwks_url:
                raise AuthError("no JWKS URL configured")
            key = _jwks_client(config.jwt_jwks_url).get_signing_key_from_jwt(token).key
            return _subject(_decode(token, key, alg, config))
        raise AuthError("algorithm not allowed")
    except AuthError:
        raise
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthError(str(exc)) from exc


def _decode(token: str, key: Any, alg: str, config: Settings) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token,
        key=key,
        algorithms=[alg],
        issuer=config.jwt_issuer or None,
        audience=config.jwt_audience or None,
        options={"require": ["exp", "sub"], "verify_aud": bool(config.jwt_audience)},
        leeway=5,
    )
    for name in NUMERIC_DATE_CLAIMS:
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AuthError(f"{name} must be a JSON number")
    return claims


def _verify_symmetric(token: str, alg: str, config: Settings) -> str:
    """Try the current secret, then the previous one; re-read them once on a miss
    (the secret may have been rotated since they were cached)."""
    for refresh in (False, True):
        secrets = hs_secrets(config, refresh=refresh)
        if not secrets:
            raise AuthError("no secret configured")
        for secret in secrets:
            try:
                return _subject(_decode(token, secret, alg, config))
            except jwt.InvalidSignatureError:
                continue
        if config.jwt_secret:
            break
    raise AuthError("signature verification failed")


def _subject(claims: dict[str, object]) -> str:
    subject = claims.get("sub")
    # User ids become room names and Redis keys: hold them to the protocol's id shape.
    if not isinstance(subject, str) or not is_id(subject):
        raise AuthError("invalid sub")
    return subject


def issue_token(
    user_id: str,
    secret: str,
    expires_in: int = 24 * 3600,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """Mint an HS256 token (local development and tests)."""
    now = clock.now_s()
    claims: dict[str, object] = {"sub": user_id, "iat": now, "exp": now + expires_in}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
