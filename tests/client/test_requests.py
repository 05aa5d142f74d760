"""Requests: ids and replies, what is resent after a drop, rate limits and pacing,
timeouts (against a scripted server)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from switchboard_client import (
    ClientClosed,
    ConnectionLost,
    InternalError,
    RateLimited,
    RequestTimeout,
    SwitchboardClient,
)
from switchboard_client.requests import PendingRequests, bucket_of, is_resendable
from tests.client.fakeserver import FakeServer, ack, error

pytestmark = pytest.mark.anyio


def test_which_actions_are_resent_after_a_drop() -> None:
    assert is_resendable("message:send", {"chatId": "c", "body": "b", "clientMessageId": "m"})
    assert not is_resendable("message:send", {"chatId": "c", "body": "b"})
    for action in (
        "message:react",
        "message:unreact",
        "message:read",
        "chat:read-all",
        "chat:presence",
        "presence:set",
        "typing:list",
        "typing:stop",
        "sync",
        "hello",
    ):
        assert is_resendable(action, {}), action
    for action in ("message:edit", "message:delete", "typing:start", "presence:heartbeat"):
        assert not is_resendable(action, {}), action


def test_actions_map_to_the_servers_rate_limit_buckets() -> None:
    assert bucket_of("message:send") == bucket_of("message:delete") == "message"
    assert bucket_of("typing:stop") == "typing"
    assert bucket_of("presence:heartbeat") == "heartbeat"
    assert bucket_of("message:react") == bucket_of("sync") == "default"


async def test_replies_resolve_only_the_request_of_their_connection() -> None:
    pending = PendingRequests()
    first, future = pending.open(generation=1)
    second, other = pending.open(generation=2)
    assert first != second
    reply = {"event": "ack", "requestId": first, "data": 1}
    assert not pending.resolve(first, 2, reply)  # same id, another connection: not ours
    assert pending.resolve(first, 1, reply)
    assert future.result() == reply
    assert not pending.resolve(first, 1, reply)  # answered already (or timed out)
    pending.fail(1, ConnectionLost("x"))
    assert not other.done()
    pending.fail(2, ConnectionLost("gone"))
    with pytest.raises(ConnectionLost):
        other.result()
    assert len(pending) == 0


def fast_client(server: FakeServer, **options: Any) -> SwitchboardClient:
    options.setdefault("request_timeout", 10.0)
    return SwitchboardClient(server.url, "token", **options)


async def test_rate_limited_is_retried_after_the_advised_delay(fake_server: FakeServer) -> None:
    refusals = 2

    async def limit(frame: dict, server: FakeServer, connection: Any) -> bool:
        nonlocal refusals
        if frame["action"] == "message:send" and refusals:
            refusals -= 1
            await connection.send(error(frame, "rate_limited", "slow down", retryAfterMs=40))
            return True
        return False

    fake_server.handler = limit
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    async with fast_client(fake_server, sleep=sleep, random=lambda: 0.5) as client:
        reply = await client.request(
            "message:send", {"chatId": "c", "body": "b", "clientMessageId": "m1"}
        )
    assert reply == {"echo": {"chatId": "c", "body": "b", "clientMessageId": "m1"}}
    assert len(pauses) == 2  # the advised 40 ms plus 10 % (random 0.5 x 20 %), less the
    assert all(0 < p <= 0.044 for p in pauses)  # time already gone by
    sends = fake_server.actions("message:send")
    assert len(sends) == 3
    assert len({f["requestId"] for f in sends}) == 3  # a fresh requestId per attempt
    assert {f["data"]["clientMessageId"] for f in sends} == {"m1"}


async def test_rate_limited_is_raised_when_retries_run_out(fake_server: FakeServer) -> None:
    async def always(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] == "typing:start":
            await connection.send(error(frame, "rate_limited", "slow", retryAfterMs=5))
            return True
        return False

    fake_server.handler = always

    async def sleep(seconds: float) -> None:
        pass

    async with fast_client(fake_server, sleep=sleep, rate_limit_retries=2) as client:
        with pytest.raises(RateLimited) as info:
            await client.start_typing("c")
    assert info.value.retry_after == pytest.approx(0.005)
    assert len(fake_server.actions("typing:start")) == 3


async def test_rate_limited_is_raised_when_the_wait_outlasts_the_timeout(
    fake_server: FakeServer,
) -> None:
    async def long_wait(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] == "typing:list":
            await connection.send(error(frame, "rate_limited", "slow", retryAfterMs=600_000))
            return True
        return False

    fake_server.handler = long_wait
    async with fast_client(fake_server) as client:
        with pytest.raises(RateLimited):
            await client.list_typing("c", timeout=5)
    assert len(fake_server.actions("typing:list")) == 1


async def test_a_limited_outbox_is_paced_instead_of_refused_wholesale(
    fake_server: FakeServer,
) -> None:
    """The server refills one token every 20 ms after a burst of 3 (a real token bucket);
    20 sends fired at once all get through, with about one refusal each (a probe per
    token), not a storm of retries."""
    loop = asyncio.get_running_loop()
    tokens, refill, last = 3.0, 0.02, loop.time()
    refused = 0

    async def bucket(frame: dict, server: FakeServer, connection: Any) -> bool:
        nonlocal tokens, last, refused
        if frame["action"] != "message:send":
            return False
        now = loop.time()
        tokens, last = min(3.0, tokens + (now - last) / refill), now
        if tokens >= 1:
            tokens -= 1
            return False  # accepted: echoed
        refused += 1
        wait_ms = (1 - tokens) * refill * 1000
        await connection.send(error(frame, "rate_limited", "slow", retryAfterMs=wait_ms))
        return True

    fake_server.handler = bucket
    async with fast_client(fake_server, request_timeout=60) as client:
        acks = await asyncio.gather(*(client.send_message("c", f"m{i}") for i in range(20)))
    assert len(acks) == 20
    assert refused <= 3 * 20  # unpaced, every waiter retries at once each round: hundreds


async def test_a_request_without_reply_times_out_and_a_late_reply_is_ignored(
    fake_server: FakeServer,
) -> None:
    late: list[dict] = []

    def swallow(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] == "typing:list":
            late.append(frame)
            return True
        return False

    fake_server.handler = swallow
    async with fast_client(fake_server) as client:
        with pytest.raises(RequestTimeout):
            await client.list_typing("c", timeout=0.2)
        await fake_server.connections[0].send(ack(late[0], {"chatId": "c", "typing": []}))
        # the connection is still usable, and the late reply answered nobody
        assert await client.mark_chat_read("c") == {"echo": {"chatId": "c"}}
        assert client.connected


async def test_errors_of_the_server_are_raised_with_their_code(fake_server: FakeServer) -> None:
    async def refuse(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] == "message:edit":
            await connection.send(error(frame, "internal_error", "try again"))
            return True
        return False

    fake_server.handler = refuse
    async with fast_client(fake_server) as client:
        with pytest.raises(InternalError) as info:
            await client.edit_message("c", "m", "new body")
        assert info.value.code == "internal_error"
        assert client.connected  # an error never costs the connection


async def test_requests_before_connect_or_after_close_raise(fake_server: FakeServer) -> None:
    client = fast_client(fake_server)
    with pytest.raises(ClientClosed):
        await client.list_typing("c")
    await client.connect()
    await client.close()
    await client.close()  # idempotent
    with pytest.raises(ClientClosed):
        await client.list_typing("c")


async def test_close_fails_requests_waiting_for_a_reply(fake_server: FakeServer) -> None:
    fake_server.handler = lambda frame, server, connection: frame["action"] == "typing:list"
    client = fast_client(fake_server)
    await client.connect()
    waiting = asyncio.ensure_future(client.list_typing("c"))
    while not fake_server.actions("typing:list"):
        await asyncio.sleep(0.01)
    await client.close()
    with pytest.raises((ClientClosed, ConnectionLost)):
        await waiting
