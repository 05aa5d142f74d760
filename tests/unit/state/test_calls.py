"""shared.state.calls: a call is one Redis record that expires by itself; changes are
atomic, refusals write nothing, and a user is in one call at a time."""

from __future__ import annotations

import threading

import pytest
import redis

from shared import config, errors
from shared.state import calls
from shared.state.calls import Call, Peer


def new_call(
    call_id: str = "C1", inviter: str = "alice", ringing: tuple[str, ...] = ("bob",)
) -> Call:
    peer = Peer("P-" + inviter, inviter, inviter + "-1", 1_000)
    return Call(
        id=call_id,
        chat_id="chat",
        media="audio",
        inviter=inviter,
        created_at=1_000,
        ring_seconds=30,
        message_key=f"{inviter}#call-{call_id}",
        ringing=list(ringing),
        peers={peer.peer_id: peer},
    )


@pytest.fixture
def r(domain: config.Settings) -> redis.Redis:
    return redis.Redis.from_url(domain.redis_url, decode_responses=True)


def answer(call_id: str, user: str, connection: str) -> None:
    def decide(call: Call) -> None:
        if user not in call.ringing:
            raise errors.NotFound("not ringing for you")
        call.ringing.remove(user)
        call.peers["P-" + connection] = Peer("P-" + connection, user, connection, 2_000)
        call.answered_at = 2_000

    calls.change(call_id, decide, joining=user)


def test_a_ringing_call_expires_a_minute_after_its_ring_timeout_and_an_answered_one_later(
    r: redis.Redis,
) -> None:
    calls.create(new_call())
    assert 30 < r.ttl("call:C1") <= 90
    assert r.get("call-user:alice") == "C1" and r.get("call-connection:alice-1") == "C1"
    answer("C1", "bob", "bob-1")
    assert r.ttl("call:C1") > 2 * 60 * 60
    assert r.ttl("call-connection:bob-1") > 2 * 60 * 60
    assert calls.call_of_connection("bob-1") == "C1"
    assert calls.busy_users(["alice", "bob", "carol"]) == {"alice", "bob"}


def test_a_caller_in_a_call_cannot_start_another(domain: config.Settings) -> None:
    calls.create(new_call())
    with pytest.raises(errors.Conflict):
        calls.create(new_call("C2"))
    assert calls.load("C2") is None


def test_a_refused_change_writes_nothing(domain: config.Settings) -> None:
    calls.create(new_call())

    def refuse(call: Call) -> None:
        call.ringing.clear()
        raise errors.Forbidden("no")

    with pytest.raises(errors.Forbidden):
        calls.change("C1", refuse)
    stored = calls.load("C1")
    assert stored is not None and stored.ringing == ["bob"]
    with pytest.raises(errors.NotFound):
        calls.change("nope", refuse)


def test_two_devices_answering_at_once_make_exactly_one_peer(domain: config.Settings) -> None:
    calls.create(new_call())
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def try_answer(connection: str) -> None:
        start.wait()
        try:
            answer("C1", "bob", connection)
            outcomes.append("answered")
        except errors.NotFound:
            outcomes.append("refused")

    threads = [threading.Thread(target=try_answer, args=(f"bob-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["answered", "refused", "refused", "refused"]
    stored = calls.load("C1")
    assert stored is not None and sorted(p.user_id for p in stored.peers.values()) == [
        "alice",
        "bob",
    ]


def test_a_user_in_another_call_cannot_join_this_one(domain: config.Settings) -> None:
    calls.create(new_call())
    calls.create(new_call("C2", inviter="bob", ringing=("carol",)))
    with pytest.raises(errors.Conflict):
        answer("C1", "bob", "bob-2")


def test_ending_a_call_deletes_it_and_frees_its_users_and_connections(r: redis.Redis) -> None:
    calls.create(new_call())
    answer("C1", "bob", "bob-1")

    def end(call: Call) -> None:
        call.ended = True

    calls.change("C1", end)
    assert r.exists("call:C1", "call-user:alice", "call-user:bob", "call-connection:bob-1") == 0


def test_moving_a_peer_to_another_connection_moves_its_connection_key(r: redis.Redis) -> None:
    calls.create(new_call())

    def move(call: Call) -> None:
        call.peers["P-alice"].connection_id = "alice-2"

    calls.change("C1", move)
    assert r.get("call-connection:alice-2") == "C1"
    assert r.exists("call-connection:alice-1") == 0
    assert r.get("call-user:alice") == "C1"
