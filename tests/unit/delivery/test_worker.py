"""shared.delivery.worker (with fanout.deliver, the policy in front of it): a fan-out over
the inline limit is cut into batch jobs handed to the delivery function, a room's rest is
read by the jobs, a broadcast by Scan segments; every recipient gets the frame, none is
posted by the producer beyond the limit, and a job that cannot be handed over is run
where it is. Lambda is tests/unit/lambda_stub.py; the Management API management_stub.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import clock, config
from shared.actions.caller import Caller
from shared.delivery import fanout, worker
from shared.delivery.fanout import FanoutResult
from shared.delivery.jobs import Job
from shared.observability import calls
from shared.protocol import Event
from shared.store import chats, connections, rooms
from tests.tables import room_names_of
from tests.unit import lambda_stub, management_stub
from tests.unit.delivery.test_fanout import STALE_MS, register
from tests.unit.lambda_stub import Lambda
from tests.unit.management_stub import STAGE, Gateway


@pytest.fixture
def gateway(domain: config.Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with management_stub.serving(monkeypatch) as server:
        yield server


@pytest.fixture
def sharded(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lambda]:
    """Sharded delivery on: inline limit 4, batches of 3."""
    with lambda_stub.serving(monkeypatch, inline_limit=4, batch_size=3) as server:
        yield server


def chat_of(count: int, prefix: str = "c") -> tuple[str, list[str]]:
    """A chat of ``count`` users with one live connection each (ids c00, c01, ...)."""
    users = [f"u{i:02d}" for i in range(count)]
    chat, _, _ = chats.create_chat(users[0], users[1:], "big")
    ids = [f"{prefix}{i:02d}" for i in range(count)]
    for connection_id, user_id in zip(ids, users, strict=True):
        connections.register(connection_id, user_id, clock.now_ms(), None)
    return chat.chat_id, ids


def frame_receivers(gateway: Gateway, event: str = "message:new") -> list[str]:
    return gateway.receivers(event)


# ---------------------------------------------------------------- the policy


def test_without_a_delivery_function_every_fan_out_stays_inline(gateway: Gateway) -> None:
    chat_id, ids = chat_of(12)
    with config.override(fanout_inline_limit=2):
        result = fanout.broadcast_to_chat(chat_id, Event.MESSAGE_NEW, {}, "c00", gateway.endpoint)
    assert result == FanoutResult(delivered=11)
    assert frame_receivers(gateway) == ids[1:]


def test_at_or_below_the_limit_the_producer_posts_itself(sharded: Lambda, gateway: Gateway) -> None:
    chat_id, ids = chat_of(5)
    calls.reset()
    result = fanout.broadcast_to_chat(chat_id, Event.MESSAGE_NEW, {}, "c00", gateway.endpoint)
    assert result == FanoutResult(delivered=4)
    assert sharded.invocations == 0
    assert calls.counted() == {
        "dynamodb.Query": 1,
        "apigatewaymanagementapi.PostToConnection": 4,
    }


def test_above_the_limit_the_producer_hands_batches_over_and_posts_nothing(
    sharded: Lambda, gateway: Gateway
) -> None:
    chat_id, ids = chat_of(12)
    calls.reset()
    result = fanout.broadcast_to_chat(chat_id, Event.MESSAGE_NEW, {}, "c00", gateway.endpoint)
    # The first page (limit + 2 = 6 entries) minus the sender: batches of 3 and 2; the
    # rest of the room in one more job.
    assert (result.delivered, result.jobs, result.handed_over) == (0, 3, 5)
    assert gateway.posts == []
    assert calls.counted() == {"dynamodb.Query": 1, "lambda.Invoke": 3}
    jobs = sharded.take()
    assert sorted(len(j.connections) for j in jobs if j.connections) == [2, 3]
    [rest] = [j for j in jobs if j.room]
    assert (rest.room, rest.exclude, rest.connections) == (rooms.chat_room(chat_id), ("c00",), ())
    sharded.queued = jobs
    drained = sharded.drain()
    assert drained.delivered == 11
    assert frame_receivers(gateway) == ids[1:]
    assert len(gateway.posts) == 11  # each once: the room's rest starts after the first page


def test_a_known_list_over_the_limit_goes_in_batches(sharded: Lambda, gateway: Gateway) -> None:
    targets = [f"t{i}" for i in range(7)]
    result = fanout.deliver(targets, '{"event":"x"}', gateway.endpoint)
    assert (result.delivered, result.jobs, result.handed_over) == (0, 3, 7)
    assert sorted(len(j.connections) for j in sharded.queued) == [1, 3, 3]
    sharded.drain()
    assert gateway.receivers("x") == targets


def test_jobs_the_delivery_function_refuses_are_delivered_by_the_producer(
    sharded: Lambda, gateway: Gateway
) -> None:
    """Throttled (429) after its retries, a hand-over fails: the producer posts itself,
    so the recipients get the frame late rather than never."""
    sharded.status = 429
    chat_id, ids = chat_of(12)
    result = fanout.broadcast_to_chat(chat_id, Event.MESSAGE_NEW, {}, "c00", gateway.endpoint)
    assert (result.delivered, result.jobs) == (11, 0)
    assert frame_receivers(gateway) == ids[1:]
    assert sharded.queued == []


# ---------------------------------------------------------------- the caller's room


def test_a_members_send_to_a_large_room_reads_one_page_and_checks_membership_once(
    sharded: Lambda, gateway: Gateway
) -> None:
    chat_id, ids = chat_of(12)
    caller = Caller("c11", "u11", gateway.endpoint, STAGE)  # beyond the first page
    calls.reset()
    room = caller.room_of(chat_id)
    assert not room.complete and len(room) == 6
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.GetItem": 1}
    caller.announce(room, Event.MESSAGE_NEW, {"n": 1})
    sharded.drain()
    assert frame_receivers(gateway) == ids[:11]


def test_a_large_room_without_own_devices_leaves_every_device_of_the_caller_out(
    sharded: Lambda, gateway: Gateway
) -> None:
    chat_id, ids = chat_of(12)
    connections.register("u00-phone", "u00", clock.now_ms(), None)
    connections.register("zz-u00-tablet", "u00", clock.now_ms(), None)  # last in key order
    caller = Caller("c00", "u00", gateway.endpoint, STAGE)
    caller.announce(caller.room_of(chat_id), Event.TYPING, {}, own_devices=False)
    sharded.drain()
    assert gateway.receivers("typing") == ids[1:]


def test_a_non_member_of_a_large_room_is_forbidden(sharded: Lambda, gateway: Gateway) -> None:
    chat_id, _ = chat_of(12)
    connections.register("x1", "outsider", clock.now_ms(), None)
    from shared import errors

    with pytest.raises(errors.Forbidden):
        Caller("x1", "outsider", gateway.endpoint, STAGE).room_of(chat_id)


# ---------------------------------------------------------------- jobs, as the function runs them


def test_a_batch_whose_posts_fail_for_good_fails_so_that_lambda_retries_it(
    gateway: Gateway,
) -> None:
    gateway.answers = {"b": 500}
    with pytest.raises(worker.DeliveryFailed, match="1 of the batch's posts failed"):
        worker.run(Job('{"event":"x"}', gateway.endpoint, connections=("a", "b")))
    assert gateway.receivers("x") == ["a", "b"]


def test_a_gone_connection_in_a_batch_is_cleaned_up_and_does_not_fail_it(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    register("gone", "u1", STALE_MS, monkeypatch)
    gateway.answers = {"gone": 410}
    result = worker.run(Job('{"event":"x"}', gateway.endpoint, connections=("a", "gone")))
    assert (result.delivered, result.gone) == (1, ["gone"])
    assert room_names_of("gone") == []


def test_a_room_larger_than_a_page_is_read_in_parallel_ranges(
    sharded: Lambda, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first page of 4 entries here (1,000 in production): past it, the rest of the
    room is split into ranges of connection ids, each read by its own job."""
    monkeypatch.setattr(worker, "ROOM_FIRST_PAGE", 4)
    chat_id, ids = chat_of(40, prefix="")
    ids_by_letter = [f"{letter}x{n}" for letter in "AMZamz09+" for n in range(3)]
    for cid in ids_by_letter:
        connections.register(cid, "u01", clock.now_ms(), None)
    job = Job('{"event":"x"}', gateway.endpoint, room=rooms.chat_room(chat_id))
    worker.run(job)
    ranged = [j for j in sharded.queued if j.between is not None]
    assert len(ranged) == worker.ROOM_RANGES
    sharded.drain()
    everyone = sorted(ids + ids_by_letter)
    assert gateway.receivers("x") == everyone
    assert len(gateway.posts) == len(everyone)  # the ranges do not overlap


def test_a_broadcast_reads_the_connections_table_in_parallel_segments(
    sharded: Lambda, gateway: Gateway
) -> None:
    ids = [f"conn{i:02d}" for i in range(20)]
    for cid in ids:
        connections.register(cid, f"user-{cid}", clock.now_ms(), None)
    calls.reset()
    result = fanout.broadcast(Event.USER_STATUS, {}, gateway.endpoint)
    assert result.jobs == worker.SCAN_SEGMENTS
    assert calls.counted() == {"lambda.Invoke": worker.SCAN_SEGMENTS}  # no Scan by the producer
    sharded.drain()
    assert sorted({p.connection_id for p in gateway.posts}) == ids
    assert len(gateway.posts) == len(ids)


def test_a_broadcast_without_a_delivery_function_scans_every_segment_inline(
    gateway: Gateway,
) -> None:
    for cid in ("a", "b", "c"):
        connections.register(cid, f"user-{cid}", clock.now_ms(), None)
    result = fanout.broadcast(Event.USER_STATUS, {}, gateway.endpoint)
    assert result.delivered == 3
