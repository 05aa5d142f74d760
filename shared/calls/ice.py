"""The ICE servers a call's peers use: STUN URLs, and TURN with short-lived credentials.

TURN credentials follow the widely used shared-secret REST scheme (coturn's
``use-auth-secret``, the IETF draft "A REST API for Access To TURN Services"): the
username is ``{expiry unix time}:{userId}`` and the password is
``base64(HMAC-SHA1(secret, username))``; the TURN server, holding the same secret, checks
both and the expiry, so nothing is stored per call. The secret is read from Secrets
Manager (``TURN_SECRET_ARN``) on first use and kept five minutes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import threading
import time
from typing import Any

from shared import clock
from shared.config import settings

SECRET_CACHE_SECONDS = 300
_lock = threading.Lock()
_cached: tuple[float, str, str] | None = None  # (read at, arn, secret)


@functools.lru_cache(maxsize=1)
def _secrets_manager() -> Any:  # botocore makes its clients' methods at run time
    import botocore.session

    return botocore.session.get_session().create_client(
        "secretsmanager", region_name=settings().region
    )


def _secret() -> str:
    global _cached
    config = settings()
    if config.turn_secret:
        return config.turn_secret
    arn = config.turn_secret_arn
    with _lock:
        stale = _cached is None or time.monotonic() - _cached[0] > SECRET_CACHE_SECONDS
        if stale or _cached is None or _cached[1] != arn:
            value = _secrets_manager().get_secret_value(SecretId=arn)["SecretString"]
            _cached = (time.monotonic(), arn, str(value))
        return _cached[2]


def turn_credentials(user_id: str, secret: str, expires_at: int) -> tuple[str, str]:
    """(username, password) for ``user_id`` until ``expires_at`` (unix seconds)."""
    username = f"{expires_at}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def servers(user_id: str) -> list[dict[str, Any]]:
    """RTCPeerConnection's ``iceServers`` for this user: the STUN URLs, and the TURN URLs
    with credentials valid for ``TURN_CREDENTIAL_SECONDS`` when TURN is configured."""
    config = settings()
    found: list[dict[str, Any]] = []
    if config.stun_urls:
        found.append({"urls": list(config.stun_urls)})
    if config.turn_urls and (config.turn_secret or config.turn_secret_arn):
        expires_at = clock.now_s() + config.turn_credential_seconds
        username, password = turn_credentials(user_id, _secret(), expires_at)
        found.append({"urls": list(config.turn_urls), "username": username, "credential": password})
    return found
