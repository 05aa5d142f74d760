"""shared.delivery.jobs: a job survives its payload's round trip, and a payload that is
not a job of this version is refused with errors.Invalid (the delivery function drops it)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import errors
from shared.delivery.jobs import VERSION, Job


@pytest.mark.parametrize(
    "job",
    [
        Job("f", "https://x/prod", connections=("a", "b")),
        Job("f", "https://x/prod", room="chat:1", after={"room": {"S": "chat:1"}}),
        Job("f", "https://x/prod", room="chat:1", between=("A", "\uffff"), exclude=("c",)),
        Job("f", "https://x/prod", room="chat:1", exclude_user="u1"),
        Job("f", "https://x/prod", segment=(3, 16)),
    ],
    ids=["batch", "room-after", "room-range", "room-without-user", "segment"],
)
def test_a_job_comes_back_from_its_payload_unchanged(job: Job) -> None:
    assert Job.from_payload(json.loads(job.to_payload())) == job


def test_the_payload_is_versioned_and_compact() -> None:
    payload = Job('{"event":"x"}', "https://x/prod", connections=("a",)).to_payload()
    assert json.loads(payload) == {
        "v": VERSION,
        "frame": '{"event":"x"}',
        "endpoint": "https://x/prod",
        "connections": ["a"],
    }
    assert b" " not in payload


GOOD: dict[str, Any] = {"v": VERSION, "frame": "f", "endpoint": "https://x", "connections": ["a"]}


@pytest.mark.parametrize(
    "change",
    [
        {"v": 2},
        {"v": None},
        {"frame": None},
        {"endpoint": ""},
        {"connections": "a"},
        {"connections": [1]},
        {"connections": []},
        {"room": 5},
        {"after": "k"},
        {"between": ["a"]},
        {"segment": [16, 16]},
        {"segment": [0, True]},
        {"exclude": [None]},
        {"excludeUser": 1},
    ],
    ids=lambda change: ",".join(f"{k}={v!r}" for k, v in change.items()),
)
def test_a_payload_that_is_not_a_job_is_invalid(change: dict[str, Any]) -> None:
    with pytest.raises(errors.Invalid):
        Job.from_payload({**GOOD, **change})


@pytest.mark.parametrize("payload", [None, [], "job", 3])
def test_a_payload_that_is_not_an_object_is_invalid(payload: Any) -> None:
    with pytest.raises(errors.Invalid):
        Job.from_payload(payload)


def test_wants_leaves_out_excluded_connections_and_the_excluded_user() -> None:
    job = Job("f", "e", room="r", exclude=("c1",), exclude_user="u1")
    assert not job.wants("c1", "u2")
    assert not job.wants("c2", "u1")
    assert job.wants("c2", "u2")
