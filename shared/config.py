"""Run-time settings: read from the environment the template declares, once, on first use.

Importing any module of ``shared`` reads nothing: ``settings()`` reads the
environment the first time it is called and keeps the result for the life of
the container. Tests change settings in-process with ``override(...)`` (or
``reload()`` after changing ``os.environ``); whatever was built from the old
settings (DynamoDB connections, the Redis client) registers ``on_change`` to be
rebuilt on next use.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# API Gateway closes every WebSocket connection after 2 hours; records outlive
# that by a margin and then expire through DynamoDB TTL.
CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 15 * 60


# Defaults of the template parameters of the same names (docs/performance.md
# says how they were chosen).
DEFAULT_FANOUT_INLINE_LIMIT = 100
DEFAULT_FANOUT_BATCH_SIZE = 250
DEFAULT_PRESENCE_ANNOUNCE_LIMIT = 100
DEFAULT_ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
DEFAULT_ATTACHMENTS_PER_MESSAGE = 10
DEFAULT_ATTACHMENT_TYPES = (
    "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,"
    "audio/mpeg,audio/mp4,audio/ogg,audio/webm,video/mp4,video/webm"
)
DEFAULT_ATTACHMENT_URL_SECONDS = 900
DEFAULT_CALL_RING_SECONDS = 30
DEFAULT_CALL_GRACE_SECONDS = 20
DEFAULT_TURN_CREDENTIAL_SECONDS = 4 * 60 * 60


def _count(value: str, default: int) -> int:
    """A non-negative integer setting (ASCII digits only), else the default."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else default


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything a function reads from its environment."""

    connections_table: str = field(
        default_factory=lambda: os.environ.get("CONNECTIONS_TABLE", "connections")
    )
    rooms_table: str = field(default_factory=lambda: os.environ.get("ROOMS_TABLE", "rooms"))
    chats_table: str = field(default_factory=lambda: os.environ.get("CHATS_TABLE", "chats"))
    members_table: str = field(default_factory=lambda: os.environ.get("MEMBERS_TABLE", "members"))
    messages_table: str = field(
        default_factory=lambda: os.environ.get("MESSAGES_TABLE", "messages")
    )
    users_table: str = field(default_factory=lambda: os.environ.get("USERS_TABLE", "users"))
    presence_ttl_seconds: int = field(
        default_factory=lambda: int(os.environ.get("PRESENCE_TTL_SECONDS") or 600)
    )
    # API Gateway closes every connection after 2 hours (a fixed quota); the emulator
    # sets its own. hello tells clients to open their next connection before that.
    max_connection_seconds: float = field(
        default_factory=lambda: float(os.environ.get("MAX_CONNECTION_SECONDS") or 7200)
    )
    # The HS256 secret lives in Secrets Manager (JWT_SECRET_ARN); ``jwt_secret``
    # is for code that holds the secret itself (tests, embedding), never the env.
    jwt_secret_arn: str = field(default_factory=lambda: os.environ.get("JWT_SECRET_ARN", ""))
    jwt_secret: str = ""
    jwt_jwks_url: str = field(default_factory=lambda: os.environ.get("JWT_JWKS_URL", ""))
    jwt_algorithms: tuple[str, ...] = field(
        default_factory=lambda: _csv(os.environ.get("JWT_ALGORITHMS", "HS256"))
    )
    jwt_issuer: str = field(default_factory=lambda: os.environ.get("JWT_ISSUER", ""))
    jwt_audience: str = field(default_factory=lambda: os.environ.get("JWT_AUDIENCE", ""))
    dynamodb_endpoint: str = field(
        default_factory=lambda: os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", "")
    )
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    rate_limits: str = field(default_factory=lambda: os.environ.get("RATE_LIMITS", ""))
    management_endpoint: str = field(
        default_factory=lambda: os.environ.get("MANAGEMENT_ENDPOINT", "")
    )
    region: str = field(
        default_factory=lambda: os.environ.get(
            "AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        )
    )
    # Sharded delivery (shared/delivery/batches.py): a fan-out to more connections
    # than the inline limit goes to DELIVERY_FUNCTION (asynchronous invocations) in
    # batches; without a delivery function every fan-out stays inline.
    delivery_function: str = field(default_factory=lambda: os.environ.get("DELIVERY_FUNCTION", ""))
    fanout_inline_limit: int = field(
        default_factory=lambda: _count(
            os.environ.get("FANOUT_INLINE_LIMIT", ""), DEFAULT_FANOUT_INLINE_LIMIT
        )
    )
    fanout_batch_size: int = field(
        default_factory=lambda: max(
            1, _count(os.environ.get("FANOUT_BATCH_SIZE", ""), DEFAULT_FANOUT_BATCH_SIZE)
        )
    )
    # Events out (shared/eventbus): the families published (comma-separated, "all" for
    # every one; empty: none) and the EventBridge bus they go to.
    event_families: tuple[str, ...] = field(
        default_factory=lambda: _csv(os.environ.get("EVENT_FAMILIES", ""))
    )
    event_bus_name: str = field(default_factory=lambda: os.environ.get("EVENT_BUS_NAME", ""))
    # Attachments (shared/attachments): the bucket, and the limits the template's
    # parameters of the same names set.
    attachments_bucket: str = field(
        default_factory=lambda: os.environ.get("ATTACHMENTS_BUCKET", "")
    )
    # A local S3 (the emulator's): path-style URLs, which a browser reaches at one port.
    s3_endpoint: str = field(default_factory=lambda: os.environ.get("AWS_ENDPOINT_URL_S3", ""))
    attachment_max_bytes: int = field(
        default_factory=lambda: _count(
            os.environ.get("ATTACHMENT_MAX_BYTES", ""), DEFAULT_ATTACHMENT_MAX_BYTES
        )
    )
    attachments_per_message: int = field(
        default_factory=lambda: _count(
            os.environ.get("ATTACHMENTS_PER_MESSAGE", ""), DEFAULT_ATTACHMENTS_PER_MESSAGE
        )
    )
    attachment_types: tuple[str, ...] = field(
        default_factory=lambda: _csv(
            os.environ.get("ATTACHMENT_TYPES", "") or DEFAULT_ATTACHMENT_TYPES
        )
    )
    attachment_url_seconds: int = field(
        default_factory=lambda: max(
            1,
            _count(os.environ.get("ATTACHMENT_URL_SECONDS", ""), DEFAULT_ATTACHMENT_URL_SECONDS),
        )
    )
    # Calls (shared/calls): the ring timeout, the grace a dropped peer has to rejoin,
    # the queue their timers go through, and the ICE servers handed to peers.
    call_ring_seconds: int = field(
        default_factory=lambda: max(
            1, _count(os.environ.get("CALL_RING_SECONDS", ""), DEFAULT_CALL_RING_SECONDS)
        )
    )
    call_grace_seconds: int = field(
        default_factory=lambda: _count(
            os.environ.get("CALL_GRACE_SECONDS", ""), DEFAULT_CALL_GRACE_SECONDS
        )
    )
    call_timers_queue_url: str = field(
        default_factory=lambda: os.environ.get("CALL_TIMERS_QUEUE_URL", "")
    )
    stun_urls: tuple[str, ...] = field(
        default_factory=lambda: _csv(os.environ.get("STUN_URLS", ""))
    )
    turn_urls: tuple[str, ...] = field(
        default_factory=lambda: _csv(os.environ.get("TURN_URLS", ""))
    )
    turn_secret_arn: str = field(default_factory=lambda: os.environ.get("TURN_SECRET_ARN", ""))
    turn_secret: str = ""  # for code that holds the secret itself (tests), never the env
    turn_credential_seconds: int = field(
        default_factory=lambda: max(
            60,
            _count(os.environ.get("TURN_CREDENTIAL_SECONDS", ""), DEFAULT_TURN_CREDENTIAL_SECONDS),
        )
    )
    # Chats with more members than this hear no per-user presence or typing.
    presence_announce_limit: int = field(
        default_factory=lambda: _count(
            os.environ.get("PRESENCE_ANNOUNCE_LIMIT", ""), DEFAULT_PRESENCE_ANNOUNCE_LIMIT
        )
    )


_lock = threading.Lock()
_current: Settings | None = None
_listeners: list[Callable[[], None]] = []


def settings() -> Settings:
    """The settings, read from the environment on first use and kept."""
    global _current
    current = _current
    if current is None:
        with _lock:
            if _current is None:
                _current = Settings()
            current = _current
    return current


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever the settings are replaced (to drop what was built from them)."""
    _listeners.append(listener)


def _replace(new: Settings | None) -> None:
    global _current
    with _lock:
        _current = new
    for listener in _listeners:
        listener()


def reload() -> Settings:
    """Read the environment again (after a test changed ``os.environ``)."""
    _replace(None)
    return settings()


@contextmanager
def override(**changes: Any) -> Iterator[Settings]:
    """Run with some settings changed, then restore the previous ones (tests)."""
    before = _current
    _replace(dataclasses.replace(settings(), **changes))
    try:
        yield settings()
    finally:
        _replace(before)
