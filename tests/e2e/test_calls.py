"""Calls through the emulator, end to end: real WebSocket clients, the ring timeout and the
grace period enforced by real SQS timers (CallTimersQueue -> CallTimerFunction), signals
relayed to one peer only, and the call's message in the history. Every refusal is shown
with its code and with nothing relayed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.waits import after
from tests.wsclient import ChatClient

Api = Callable[..., httpx.Response]
RING_SECONDS = 5  # CallRingSeconds in tests/conftest.py
GRACE_SECONDS = 2  # CallGraceSeconds


def ack(client: ChatClient, action: str, data: dict[str, Any]) -> dict[str, Any]:
    reply = client.request(action, data)
    assert reply["event"] == "ack", reply
    return dict(reply["data"])


def refused(client: ChatClient, action: str, data: dict[str, Any]) -> str:
    reply = client.request(action, data)
    assert reply["event"] == "error", reply
    return str(reply["data"]["code"])


def call_message(api: Api, user_id: str, chat_id: str) -> dict[str, Any]:
    response = api(user_id, "GET", f"/chats/{chat_id}/messages")
    assert response.status_code == 200, response.text
    [message] = [m for m in response.json()["messages"] if m["call"] is not None]
    return dict(message)


def events(client: ChatClient, name: str, seconds: float = 0.5) -> list[dict[str, Any]]:
    return [f for f in client.drain(seconds) if f.get("event") == name]


def test_a_video_call_from_ringing_to_hang_up(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    caller, phone, laptop = connect(alice), connect(bob), connect(bob)
    invited = ack(caller, "call:invite", {"chatId": chat_id, "media": "video"})
    call_id = invited["call"]["callId"]
    for device in (phone, laptop):
        ringing = device.wait_event("call:ringing")["data"]
        assert (ringing["callId"], ringing["from"], ringing["media"]) == (call_id, alice, "video")
    # Bob answers on his phone: the laptop stops ringing, alice hears who joined.
    answered = ack(phone, "call:accept", {"callId": call_id})
    assert laptop.wait_event("call:answered-elsewhere")["data"]["callId"] == call_id
    joined = caller.wait_event("call:joined")["data"]["peer"]
    assert joined == {"peerId": answered["peerId"], "userId": bob, "screen": False}
    # The joiner offers; the answer and candidates go back; each reaches one peer only.
    offer = {"sdp": "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
    to_alice = {"callId": call_id, "to": invited["peerId"], "kind": "offer", "payload": offer}
    assert ack(phone, "call:signal", to_alice)["delivered"] is True
    relayed = caller.wait_event("call:signal")["data"]
    assert (relayed["from"], relayed["kind"], relayed["payload"]) == (
        answered["peerId"],
        "offer",
        offer,
    )
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 54321 typ host"}
    to_bob = {"callId": call_id, "to": answered["peerId"], "kind": "candidate"}
    ack(caller, "call:signal", {**to_bob, "payload": candidate})
    assert phone.wait_event("call:signal")["data"]["payload"] == candidate
    assert events(laptop, "call:signal") == []
    # Screen sharing is announced to the other peer.
    ack(phone, "call:screen", {"callId": call_id, "sharing": True})
    assert caller.wait_event("call:screen")["data"]["sharing"] is True
    # Alice hangs up: the call ends for bob, and the history has it with its duration.
    ack(caller, "call:leave", {"callId": call_id})
    assert phone.wait_event("call:left")["data"]["reason"] == "left"
    ended = phone.wait_event("call:ended")["data"]
    assert ended["reason"] == "ended" and ended["durationSeconds"] >= 0
    recorded = call_message(api, bob, chat_id)
    assert recorded["senderId"] == alice and recorded["body"] == ""
    assert recorded["call"]["status"] == "ended"
    assert recorded["call"]["durationSeconds"] is not None


def test_nobody_answers_and_the_server_makes_the_call_missed_after_the_ring_timeout(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    caller, callee = connect(alice), connect(bob)
    started = time.monotonic()
    call_id = ack(caller, "call:invite", {"chatId": chat_id, "media": "audio"})["call"]["callId"]
    callee.wait_event("call:ringing")
    missed = callee.wait_event("call:missed", timeout=after(RING_SECONDS))["data"]
    assert time.monotonic() - started >= RING_SECONDS - 0.5  # not before the timeout
    assert (missed["callId"], missed["userIds"]) == (call_id, [bob])
    assert caller.wait_event("call:ended")["data"]["reason"] == "missed"
    assert call_message(api, alice, chat_id)["call"]["status"] == "missed"
    assert refused(callee, "call:accept", {"callId": call_id}) == "not_found"


def test_signalling_outside_the_call_or_oversized_is_refused_and_nothing_is_relayed(
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)
    caller, callee, other = connect(alice), connect(bob), connect(carol)
    invited = ack(caller, "call:invite", {"chatId": chat_id, "media": "audio", "userIds": [bob]})
    call_id = invited["call"]["callId"]
    answered = ack(callee, "call:accept", {"callId": call_id})
    signal = {"callId": call_id, "to": answered["peerId"], "kind": "offer"}
    # Carol is a member of the chat but not in the call; a second device of alice neither.
    assert refused(other, "call:signal", {**signal, "payload": {"sdp": "x"}}) == "forbidden"
    assert refused(connect(alice), "call:signal", {**signal, "payload": {"sdp": "x"}}) == (
        "forbidden"
    )
    assert refused(caller, "call:signal", {**signal, "to": "01NOSUCHPEER", "payload": {}}) == (
        "not_found"
    )
    oversized = {"sdp": "a=" + "x" * 33 * 1024}
    assert refused(caller, "call:signal", {**signal, "payload": oversized}) == "bad_request"
    assert refused(caller, "call:signal", {**signal, "kind": "bye", "payload": {}}) == (
        "bad_request"
    )
    assert events(callee, "call:signal") == []


def test_a_dropped_peer_leaves_after_its_grace_and_a_rejoined_one_stays(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    caller, first = connect(alice), connect(bob)
    call_id = ack(caller, "call:invite", {"chatId": chat_id, "media": "video"})["call"]["callId"]
    answered = ack(first, "call:accept", {"callId": call_id})
    # Bob's connection is replaced (a renewal): he rejoins, then the old one closes.
    second = connect(bob)
    rejoined = ack(second, "call:rejoin", {"callId": call_id, "peerId": answered["peerId"]})
    assert rejoined["peerId"] == answered["peerId"]
    first.close()
    assert events(caller, "call:left", seconds=GRACE_SECONDS + 1.5) == []
    signal = {"callId": call_id, "to": answered["peerId"], "kind": "offer", "payload": {"sdp": "v"}}
    ack(caller, "call:signal", signal)
    assert second.wait_event("call:signal")["data"]["payload"] == {"sdp": "v"}
    # Then his new connection drops for good: after the grace period he is out.
    second.close()
    left = caller.wait_event("call:left", timeout=after(GRACE_SECONDS))["data"]
    assert (left["userId"], left["reason"]) == (bob, "dropped")
    assert caller.wait_event("call:ended")["data"]["reason"] == "ended"
    assert call_message(api, alice, chat_id)["call"]["status"] == "ended"


def test_declined_and_busy_calls_end_at_once_and_say_so_in_the_history(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob)
    caller, callee = connect(alice), connect(bob)
    call_id = ack(caller, "call:invite", {"chatId": chat_id, "media": "audio"})["call"]["callId"]
    ack(callee, "call:decline", {"callId": call_id})
    assert caller.wait_event("call:declined")["data"]["userId"] == bob
    assert caller.wait_event("call:ended")["data"]["reason"] == "declined"
    assert call_message(api, alice, chat_id)["call"]["status"] == "declined"
    # Bob takes another call; carol calling him meanwhile finds him busy.
    second = ack(caller, "call:invite", {"chatId": chat_id, "media": "audio"})["call"]["callId"]
    ack(callee, "call:accept", {"callId": second})
    other_chat = create_chat(carol, bob)
    busy = ack(connect(carol), "call:invite", {"chatId": other_chat, "media": "video"})
    assert (busy["call"]["status"], busy["busy"]) == ("ended", [bob])
    assert call_message(api, carol, other_chat)["call"]["status"] == "busy"
    assert [f for f in events(callee, "call:ringing") if f["data"]["from"] == carol] == []


def test_the_caller_cancels_and_every_ringing_device_stops(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    caller, phone, laptop = connect(alice), connect(bob), connect(bob)
    call_id = ack(caller, "call:invite", {"chatId": chat_id, "media": "audio"})["call"]["callId"]
    phone.wait_event("call:ringing")
    assert refused(phone, "call:cancel", {"callId": call_id}) == "not_found"  # not the caller
    ack(caller, "call:cancel", {"callId": call_id})
    for device in (phone, laptop):
        assert device.wait_event("call:cancelled")["data"]["callId"] == call_id
    assert call_message(api, alice, chat_id)["call"]["status"] == "cancelled"
    assert refused(phone, "call:accept", {"callId": call_id}) == "not_found"


def test_a_group_call_takes_late_joiners_up_to_four_and_goes_on_until_two_are_left(
    api: Api,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    names = [user(n) for n in ("ann", "ben", "cat", "dan", "eve")]
    ann, ben, cat, dan, eve = names
    chat_id = create_chat(ann, ben, cat, dan, eve)
    devices = {name: connect(name) for name in names}
    # Five members: the caller names whom to ring (a mesh holds four).
    assert refused(devices[ann], "call:invite", {"chatId": chat_id, "media": "video"}) == (
        "bad_request"
    )
    invited = ack(
        devices[ann], "call:invite", {"chatId": chat_id, "media": "video", "userIds": [ben, cat]}
    )
    call_id = invited["call"]["callId"]
    ack(devices[ben], "call:accept", {"callId": call_id})
    ack(devices[cat], "call:decline", {"callId": call_id})
    # Dan was not rung but joins; cat declined but changes her mind; eve finds it full.
    dan_ack = ack(devices[dan], "call:join", {"callId": call_id})
    assert sorted(p["userId"] for p in dan_ack["call"]["peers"]) == sorted([ann, ben, dan])
    ack(devices[cat], "call:join", {"callId": call_id})
    assert refused(devices[eve], "call:join", {"callId": call_id}) == "conflict"
    outsider = connect(user("zed"))
    assert refused(outsider, "call:join", {"callId": call_id}) == "forbidden"
    joined = [f["data"]["peer"]["userId"] for f in events(devices[ann], "call:joined", 1.0)]
    assert sorted(joined) == sorted([ben, dan, cat])
    for name in (ann, ben):
        assert ack(devices[name], "call:leave", {"callId": call_id})["ended"] is False
    assert ack(devices[cat], "call:leave", {"callId": call_id})["ended"] is True
    assert devices[dan].wait_event("call:ended")["data"]["reason"] == "ended"
    assert call_message(api, ann, chat_id)["call"]["status"] == "ended"


@pytest.fixture(scope="module")
def turn_stage(emulator: Any) -> Iterator[tuple[Any, str]]:
    """An emulator deployed with STUN and TURN: the TURN secret in (local) Secrets Manager,
    named by the TurnSecretArn parameter, as docs/deploy.md says."""
    from infra.emulator import Emulator
    from tests.conftest import TEMPLATE

    secret = "turn-" + uuid.uuid4().hex
    arn = boto3.client(
        "secretsmanager",
        endpoint_url=emulator.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).create_secret(Name=f"turn-{uuid.uuid4().hex[:8]}", SecretString=secret)["ARN"]
    overrides = {
        "StunUrls": "stun:stun.example.com:3478",
        "TurnUrls": "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349",
        "TurnSecretArn": arn,
        "TurnCredentialSeconds": "600",
    }
    stage = Emulator(
        TEMPLATE,
        stage="turn",
        schedules=False,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        parameter_overrides=overrides,
    )
    stage.start()
    try:
        yield stage, secret
    finally:
        stage.stop()


def test_peers_get_stun_and_short_lived_turn_credentials_from_the_deployments_secret(
    turn_stage: tuple[Any, str], user: Callable[[str], str]
) -> None:
    stage, secret = turn_stage
    alice, bob = user("alice"), user("bob")
    created = httpx.post(
        f"{stage.rest_url}/chats",
        json={"members": [bob]},
        headers={"authorization": f"Bearer {stage.token(alice)}"},
        timeout=after(5),
    )
    assert created.status_code == 201, created.text
    with ChatClient(stage.websocket_url, stage.token(alice)) as caller:
        started = int(time.time())
        invited = ack(caller, "call:invite", {"chatId": created.json()["id"], "media": "audio"})
    stun, turn = invited["iceServers"]
    assert stun == {"urls": ["stun:stun.example.com:3478"]}
    assert turn["urls"] == [
        "turn:turn.example.com:3478?transport=udp",
        "turns:turn.example.com:5349",
    ]
    expires, name = turn["username"].split(":", 1)
    assert name == alice and started + 600 <= int(expires) <= int(time.time()) + 600
    # The TURN server, holding the same secret, derives the same password.
    expected = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
