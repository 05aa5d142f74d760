"""shared.delivery.handover: one asynchronous Invoke per job, concurrently; a job that
cannot be handed over (throttled, too large, no answer) is returned to the caller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import config
from shared.delivery import handover
from shared.delivery.jobs import Job
from shared.observability import calls
from tests.unit import lambda_stub
from tests.unit.lambda_stub import Lambda


@pytest.fixture
def function(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lambda]:
    with lambda_stub.serving(monkeypatch) as server:
        yield server


def jobs(count: int) -> list[Job]:
    return [Job("f", "https://x/prod", connections=(f"c{i}",)) for i in range(count)]


def test_each_job_is_one_event_invocation(function: Lambda) -> None:
    calls.reset()
    assert handover.hand_over(jobs(5)) == []
    assert sorted(function.queued, key=lambda j: j.connections) == jobs(5)
    assert calls.counted() == {"lambda.Invoke": 5}


def test_nothing_to_hand_over_calls_nothing(function: Lambda) -> None:
    calls.reset()
    assert handover.hand_over([]) == []
    assert calls.counted() == {}


def test_throttled_jobs_come_back_after_the_retries(function: Lambda) -> None:
    function.status = 429
    calls.reset()
    assert handover.hand_over(jobs(2)) == jobs(2)
    assert function.queued == []
    assert calls.counted() == {"lambda.Invoke": 2}  # counted once each; botocore retried


def test_a_job_over_lambdas_asynchronous_payload_limit_comes_back_uninvoked(
    function: Lambda,
) -> None:
    big = Job("x" * handover.MAX_PAYLOAD_BYTES, "https://x/prod", connections=("a",))
    assert handover.hand_over([big]) == [big]
    assert function.invocations == 0


def test_without_a_delivery_function_nothing_is_available(domain: config.Settings) -> None:
    assert not handover.available()
    with config.override(delivery_function="fn"):
        assert handover.available()
