"""JWT verification (HS256 shared secret or RS256/ES256 against a JWKS URL) and minting.

The algorithm list is pinned by configuration and never taken from the token
header; `exp` and `sub` are required; issuer and audience are enforced when set.
"""

from __future__ import annotations

import functools
import time

import jwt

from shared.config import Settings, settings
from shared.protocol import ID_PATTERN

MAX_TOKEN_LENGTH = 8192
ASYMMETRIC_PREFIXES = ("RS", "ES", "PS")


class AuthError(Exception):
    """The token is missing, malformed, expired, forged or otherwise unacceptable."""


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
            if not config.jwt_secret:
                raise AuthError("no secret configured")
            key: object = config.jwt_secret
        elif alg in asymmetric:
            if not config.jwt_jwks_url:
                raise AuthError("no JWKS URL configured")
            key = _jwks_client(config.jwt_jwks_url).get_signing_key_from_jwt(token).key
        else:
            raise AuthError("algorithm not allowed")
        options = {"require": ["exp", "sub"]}
        claims = jwt.decode(
            token,
            key=key,  # type: ignore[arg-type]
            algorithms=[alg],
            issuer=config.jwt_issuer or None,
            audience=config.jwt_audience or None,
            options={**options, "verify_aud": bool(config.jwt_audience)},
            leeway=5,
        )
    except AuthError:
        raise
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthError(str(exc)) from exc
    subject = claims.get("sub")
    # User ids become room names and Redis keys: hold them to the protocol's id shape.
    if not isinstance(subject, str) or not ID_PATTERN.match(subject):
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
    now = int(time.time())
    claims: dict[str, object] = {"sub": user_id, "iat": now, "exp": now + expires_in}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
