"""The ICE servers a call's peers use: STUN URLs, and TURN with short-lived credentials.

TURN credentials follow the widely used shared-secret REST scheme (coturn's
``use-auth-secret``, the IETF draft "A REST API for Access To TURN Services"): the
username is ``{expiry unix time}:{userId}`` and the password is
``base64(HMAC-SHA1(secret, username))``; the TURN server, holding the same secret, checks
both and the expiry, so nothing is stored per call. The secret is read from Secrets
Manager (``TURN_SECRET_ARN``, through shared/secrets.py: kept five minutes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from shared import clock, secrets
from shared.config import settings


def _secret() -> str:
    config = settings()
    return config.turn_secret or secrets.current(config.turn_secret_arn)


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
