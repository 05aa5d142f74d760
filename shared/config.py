"""Run-time settings, read once from the environment the template declares."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

# API Gateway closes every WebSocket connection after 2 hours; records outlive
# that by a margin and then expire through DynamoDB TTL.
CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 15 * 60


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
        default_factory=lambda: int(os.environ.get("PRESENCE_TTL_SECONDS") or 130)
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
    management_endpoint: str = field(
        default_factory=lambda: os.environ.get("MANAGEMENT_ENDPOINT", "")
    )
    region: str = field(
        default_factory=lambda: os.environ.get(
            "AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        )
    )


def settings() -> Settings:
    """A fresh read of the environment (cheap; callers cache what they build from it)."""
    return Settings()
