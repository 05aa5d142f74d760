"""shared.retries: one policy per dependency, and the backoff every caller of it uses."""

from __future__ import annotations

import pytest

from shared.retries import DYNAMODB, LAMBDA, MANAGEMENT_API, REDIS, RetryPolicy
from shared.store import models


@pytest.mark.parametrize("attempt", range(8))
def test_backoff_is_full_jitter_doubling_from_the_base_up_to_the_cap(attempt: int) -> None:
    policy = RetryPolicy(3, base_seconds=0.05, cap_seconds=1.0, connect_timeout_seconds=1,
                         read_timeout_seconds=2)  # fmt: skip
    ceiling = min(1.0, 0.05 * 2**attempt)
    waits = [policy.backoff(attempt) for _ in range(200)]
    assert all(0 <= wait <= ceiling for wait in waits)
    assert max(waits) > ceiling / 2  # jittered over the whole range, not a fixed delay


def test_each_dependencys_worst_case_fits_the_functions_ten_second_timeout() -> None:
    for policy in (DYNAMODB, MANAGEMENT_API, REDIS, LAMBDA):
        worst = policy.attempts * (policy.connect_timeout_seconds + policy.read_timeout_seconds)
        worst += sum(min(policy.cap_seconds, policy.base_seconds * 2**a) for a in range(3))
        assert worst <= 10, policy


def test_redis_is_never_retried() -> None:
    assert REDIS.attempts == 1


def test_pynamodb_follows_the_dynamodb_policy() -> None:
    # botocore counts retries, not attempts.
    assert models.Connection.Meta.max_retry_attempts == DYNAMODB.attempts - 1
    assert models.Connection.Meta.read_timeout_seconds == DYNAMODB.read_timeout_seconds


def test_handing_over_gives_up_within_a_few_seconds_and_follows_its_policy() -> None:
    """A Lambda outage must leave the producer time to deliver the job itself."""
    from shared.delivery import handover

    worst = LAMBDA.attempts * (LAMBDA.connect_timeout_seconds + LAMBDA.read_timeout_seconds)
    assert worst <= 3
    config = handover._CONFIG
    assert config.retries == {"mode": "standard", "total_max_attempts": LAMBDA.attempts}
    assert (config.connect_timeout, config.read_timeout) == (
        LAMBDA.connect_timeout_seconds,
        LAMBDA.read_timeout_seconds,
    )
