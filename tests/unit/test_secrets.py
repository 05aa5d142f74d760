"""shared.secrets: a secret's current and previous values, kept five minutes, and a refresh
after a miss at most every 30 s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared import secrets


@pytest.fixture
def secrets_manager(aws: None) -> Iterator[Any]:
    import boto3

    secrets.forget()
    yield boto3.client("secretsmanager", region_name="us-east-1")
    secrets.forget()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ARNs read from Secrets Manager (each read still happens)."""
    seen: list[str] = []
    original = secrets._fetch_versions
    monkeypatch.setattr(secrets, "_fetch_versions", lambda arn: seen.append(arn) or original(arn))
    return seen


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1_000.0]
    monkeypatch.setattr(secrets.time, "monotonic", lambda: now[0])
    return now


def test_after_a_rotation_both_values_are_known_current_first(secrets_manager: Any) -> None:
    arn = secrets_manager.create_secret(Name=f"s-{time.time_ns()}", SecretString="one")["ARN"]
    assert secrets.versions(arn) == ["one"]
    assert secrets.current(arn) == "one"
    secrets_manager.put_secret_value(SecretId=arn, SecretString="two")
    secrets.forget()
    assert secrets.versions(arn) == ["two", "one"]
    assert secrets.current(arn) == "two"


def test_values_are_kept_five_minutes_and_a_refresh_waits_30_seconds(
    secrets_manager: Any, reads: list[str], clock: list[float]
) -> None:
    arn = secrets_manager.create_secret(Name=f"s-{time.time_ns()}", SecretString="one")["ARN"]
    secrets.versions(arn)
    clock[0] += 29
    secrets.versions(arn, refresh=True)  # too soon: the cached values
    clock[0] += 2
    secrets.versions(arn)  # not a refresh: kept five minutes
    assert len(reads) == 1
    secrets.versions(arn, refresh=True)
    assert len(reads) == 2
    clock[0] += secrets.CACHE_SECONDS + 1
    secrets.versions(arn)
    assert len(reads) == 3
