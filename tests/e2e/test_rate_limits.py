"""Per-connection rate limits end to end: an emulator with tight limits (from the
RateLimits template parameter), real sockets, its own redis-server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEMPLATE
from tests.waits import after
from tests.wsclient import ChatClient

# Messages: 4 at once, then one every 500 ms; typing: 3, then one a second.
LIMITS = "message=4/2,typing=3/1,heartbeat=2/0.2"


@pytest.fixture(scope="module")
def tight(emulator: Any) -> Iterator[Any]:
    from infra.emulator import Emulator

    emu = Emulator(
        TEMPLATE,
        stage="ratelimit",
        parameter_overrides={"RateLimits": LIMITS},
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        schedules=False,
    )
    emu.start()
    try:
        # Warm every Lambda worker, so that timings below measure requests, not cold starts.
        with ChatClient(emu.websocket_url, emu.token("warm-up")) as warm:
            flood(warm, "hello", lambda i: None, 2 * emu.max_concurrency)
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def connect(tight: Any) -> Iterator[Callable[[str], ChatClient]]:
    opened: list[ChatClient] = []

    def open_client(user_id: str) -> ChatClient:
        client = ChatClient(tight.websocket_url, tight.token(user_id))
        opened.append(client)
        client.request("hello")
        return client

    yield open_client
    for client in opened:
        client.close()


def create_chat(emu: Any, creator: str, *members: str) -> str:
    response = httpx.post(
        f"{emu.rest_url}/chats",
        json={"members": list(members)},
        headers={"authorization": f"Bearer {emu.token(creator)}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def history(emu: Any, user_id: str, chat_id: str) -> list[str]:
    response = httpx.get(
        f"{emu.rest_url}/chats/{chat_id}/messages",
        params={"limit": 100},
        headers={"authorization": f"Bearer {emu.token(user_id)}"},
    )
    assert response.status_code == 200, response.text
    return sorted(m["body"] for m in response.json()["messages"])


def flood(client: ChatClient, action: str, data_of: Callable[[int], Any], n: int) -> list[dict]:
    """Send ``n`` frames without waiting, then collect the ``n`` answers (in send order)."""
    ids = [client.send(action, data_of(i)) for i in range(n)]
    return [client.wait(lambda f, rid=rid: f.get("requestId") == rid) for rid in ids]


def refused(frame: dict) -> bool:
    return frame["event"] == "error" and frame["data"]["code"] == "rate_limited"


def test_a_flooder_is_refused_and_nothing_of_a_refused_send_happens(
    tight: Any, connect: Callable[[str], ChatClient], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(tight, alice, bob)
    alices, bobs = connect(alice), connect(bob)
    answers = flood(
        alices,
        "message:send",
        lambda i: {"chatId": chat_id, "body": f"flood {i:02}", "clientMessageId": f"m{i}"},
        16,
    )
    acked = sorted(a["data"]["body"] for a in answers if a["event"] == "ack")
    errors = [a for a in answers if a["event"] == "error"]
    # The burst, plus what refilled meanwhile (frames run concurrently: any 4 may win).
    assert 4 <= len(acked) < 16 and errors
    for error in errors:
        assert refused(error), error
        assert set(error["data"]) == {"code", "message", "retryAfterMs"}
        assert isinstance(error["data"]["retryAfterMs"], int)
        assert 0 < error["data"]["retryAfterMs"] <= 500
    # Refused sends stored nothing and were delivered to nobody.
    assert history(tight, bob, chat_id) == acked
    delivered = [f for f in bobs.drain(1.0) if f.get("event") == "message:new"]
    assert sorted(f["data"]["body"] for f in delivered) == acked


def test_others_in_the_chat_are_served_promptly_during_a_flood(
    tight: Any, connect: Callable[[str], ChatClient], user: Callable[[str], str]
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(tight, alice, bob, carol)
    alices, bobs, carols = connect(alice), connect(bob), connect(carol)
    flooding = threading.Event()
    flooding.set()
    flood_answers: list[dict] = []

    def flooder() -> None:  # ~50 sends a second, answers read as they come
        i = 0
        while flooding.is_set():
            alices.send("message:send", {"chatId": chat_id, "body": f"spam {i}"})
            i += 1
            flood_answers.extend(f for f in alices.drain(0.02) if "requestId" in f)

    thread = threading.Thread(target=flooder, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + after(20)  # the flood is on (and the workers warm)
        while sum(refused(f) for f in list(flood_answers)) < 10:
            assert time.monotonic() < deadline, "alice was never limited"
            time.sleep(0.05)
        latencies = []
        for i in range(4):  # within bob's own limit: 4 at once, 2 a second
            started = time.monotonic()
            ack = bobs.request("message:send", {"chatId": chat_id, "body": f"bob {i}"})
            assert ack["event"] == "ack", ack
            carols.wait(
                lambda f, i=i: f.get("event") == "message:new" and f["data"]["body"] == f"bob {i}",
                timeout=5,
            )
            latencies.append(time.monotonic() - started)
            time.sleep(0.3)
    finally:
        flooding.clear()
        thread.join(timeout=10)
    assert max(latencies) < 1.5, latencies
    assert sum(refused(f) for f in flood_answers) > 10
    # Alice was served at her refill rate: her acks, and only those, are in the chat.
    alice_acked = {f["data"]["body"] for f in flood_answers if f["event"] == "ack"}
    stored = {b for b in history(tight, carol, chat_id) if b.startswith("spam")}
    assert alice_acked <= stored


def test_typing_and_heartbeats_have_buckets_of_their_own(
    tight: Any, connect: Callable[[str], ChatClient], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(tight, alice, bob)
    alices, bobs = connect(alice), connect(bob)
    typing = flood(alices, "typing:start", lambda i: {"chatId": chat_id}, 10)
    assert sum(f["event"] == "ack" for f in typing) >= 3
    assert sum(refused(f) for f in typing) >= 5
    # A flood of typing leaves messages and heartbeats alone.
    assert alices.request("message:send", {"chatId": chat_id, "body": "hi"})["event"] == "ack"
    assert alices.request("presence:heartbeat")["event"] == "ack"
    bobs.wait(lambda f: f.get("event") == "message:new" and f["data"]["body"] == "hi")
    # ... and the other way round.
    sends = flood(alices, "message:send", lambda i: {"chatId": chat_id, "body": f"x{i}"}, 10)
    assert any(refused(f) for f in sends)
    assert alices.request("typing:stop", {"chatId": chat_id})["event"] in ("ack", "error")
    beats = flood(alices, "presence:heartbeat", lambda i: None, 4)
    assert any(refused(f) for f in beats)  # heartbeat=2/0.2: the third is refused
    assert alices.request("sync", {"chats": {chat_id: None}})["event"] == "ack"  # default bucket


def test_after_waiting_retry_after_the_flooder_is_served_again(
    tight: Any, connect: Callable[[str], ChatClient], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(tight, alice, bob)
    alices = connect(alice)
    answers = flood(alices, "message:send", lambda i: {"chatId": chat_id, "body": f"a{i}"}, 8)
    assert refused(answers[-1])
    for _ in range(3):
        answer = alices.request("message:send", {"chatId": chat_id, "body": "again"})
        assert refused(answer), answer
        time.sleep(answer["data"]["retryAfterMs"] / 1000)
        served = alices.request("message:send", {"chatId": chat_id, "body": "served"})
        assert served["event"] == "ack", served


def test_with_redis_down_the_limiter_fails_open(
    tight: Any, connect: Callable[[str], ChatClient], user: Callable[[str], str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(tight, alice, bob)
    alices, bobs = connect(alice), connect(bob)
    tight.stop_redis()
    try:
        answers = flood(
            alices, "message:send", lambda i: {"chatId": chat_id, "body": f"down {i}"}, 8
        )
        assert [a["event"] for a in answers] == ["ack"] * 8, answers
        for _ in range(8):
            bobs.wait_event("message:new")
    finally:
        tight.start_redis()
