"""Secrets from Secrets Manager: each secret's current and previous versions, read on first
use and kept five minutes per container.

Both versions are kept so that a rotation (put-secret-value) never cuts off what was
signed a moment before with the old value (JWTs: shared/auth.py); a caller that only
signs takes the current one (TURN credentials: shared/calls/ice.py). ``refresh`` asks
again sooner after a miss, but never more than once every MIN_REFRESH_SECONDS, so forged
input cannot turn into a Secrets Manager flood.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

import botocore.session

from shared.config import settings

CACHE_SECONDS = 300
MIN_REFRESH_SECONDS = 30
_lock = threading.Lock()
_cache: dict[str, tuple[float, list[str]]] = {}


@functools.lru_cache(maxsize=1)
def _secrets_manager() -> Any:  # botocore makes its clients' methods at run time
    return botocore.session.get_session().create_client(
        "secretsmanager", region_name=settings().region
    )


def _fetch_versions(arn: str) -> list[str]:
    client = _secrets_manager()
    found = []
    for stage in ("AWSCURRENT", "AWSPREVIOUS"):
        try:
            value = client.get_secret_value(SecretId=arn, VersionStage=stage)
        except client.exceptions.ResourceNotFoundException:
            continue  # no previous version before the first rotation
        if value.get("SecretString"):
            found.append(value["SecretString"])
    return found


def versions(arn: str, refresh: bool = False) -> list[str]:
    """The secret's values: current first, then previous (if it was ever rotated)."""
    with _lock:
        cached = _cache.get(arn)
        if cached:
            age = time.monotonic() - cached[0]
            if age < (MIN_REFRESH_SECONDS if refresh else CACHE_SECONDS):
                return cached[1]
    found = _fetch_versions(arn)
    with _lock:
        _cache[arn] = (time.monotonic(), found)
    return found


def current(arn: str) -> str:
    """The secret's current value; ``LookupError`` if it has none."""
    found = versions(arn)
    if not found:
        raise LookupError(f"secret {arn} has no value")
    return found[0]


def forget() -> None:
    """Drop what was read (tests, after changing a secret behind the cache's back)."""
    with _lock:
        _cache.clear()
    _secrets_manager.cache_clear()
