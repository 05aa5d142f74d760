"""Sharded delivery through the emulator, exactly as `switchboard local --parameter-overrides
FanoutInlineLimit=4 FanoutBatchSize=3` runs it: a chat of twelve connections gets every
message, edit, reaction and member event through DeliveryFunction's asynchronous
invocations (read from template.yaml, retried, dead-lettered to the SQS queue), the sender's
ack does not wait for them, and faults of the delivery workers lose nothing.

One emulator for the module (stage "sharded") shares the session's moto and Redis.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.conftest import TEMPLATE
from tests.waits import after
from tests.wsclient import ChatClient

DEVICES = 2  # per user: six users make the chat's twelve connections


@pytest.fixture(scope="module")
def sharded(emulator: Any) -> Iterator[Any]:
    from infra.emulator import Emulator

    limits = ",".join(f"{b}=100000/10000" for b in ("message", "typing", "heartbeat", "default"))
    emu = Emulator(
        TEMPLATE,
        stage="sharded",
        schedules=False,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        redis_url=emulator.redis_url,
        parameter_overrides={
            "FanoutInlineLimit": "4",
            "FanoutBatchSize": "3",
            "RateLimits": limits,
        },
    )
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def faults(sharded: Any) -> Iterator[Any]:
    sharded.faults.clear()
    yield sharded.faults
    sharded.faults.clear()


class Room:
    """A chat of six users with two devices each, all connected to the sharded stage."""

    def __init__(self, sharded: Any, user: Callable[[str], str]) -> None:
        self.emulator = sharded
        self.users = [user(f"u{i}") for i in range(6)]
        self.http = httpx.Client(base_url=sharded.rest_url, timeout=after(5))
        created = self.call(self.users[0], "POST", "/chats", json={"members": self.users[1:]})
        assert created.status_code == 201, created.text
        self.chat_id = str(created.json()["id"])
        self.clients = [
            ChatClient(sharded.websocket_url, sharded.token(u))
            for u in self.users
            for _ in range(DEVICES)
        ]
        self.ids = [c.request("hello")["data"]["connectionId"] for c in self.clients]
        self.settle()

    def call(self, user_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.emulator.token(user_id)}"}
        return self.http.request(method, path, headers=headers, **kwargs)

    def settle(self) -> None:
        """Wait for every delivery invocation, then forget what arrived so far."""
        assert self.emulator.async_invocations.wait_idle(after())
        for client in self.clients:
            client.drain(0.05)

    def received(self, event: str, key: str, value: Any) -> dict[int, int]:
        """How many ``event`` frames with data[key] == value each client got (by index),
        once every delivery invocation has finished."""
        assert self.emulator.async_invocations.wait_idle(after())
        counts = {}
        for index, client in enumerate(self.clients):
            # Every post was answered before wait_idle returned: the frames are in the
            # sockets' buffers, so a short drain reads them whatever the machine's load.
            frames = client.drain(0.05)
            counts[index] = sum(
                1 for f in frames if f.get("event") == event and f["data"].get(key) == value
            )
        return counts

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.http.close()


@pytest.fixture
def room(sharded: Any, user: Callable[[str], str]) -> Iterator[Room]:
    made = Room(sharded, user)
    yield made
    made.close()


def invocation_lines(caplog: pytest.LogCaptureFixture, function: str) -> list[dict[str, Any]]:
    lines = []
    for record in caplog.records:
        text = record.getMessage()
        if f"[{function}]" not in text or '"msg":"invocation"' not in text:
            continue
        lines.append(json.loads(text[text.index("{") :]))
    return lines


# ---------------------------------------------------------------- every event, every connection


def test_a_message_reaches_all_eleven_other_connections_through_delivery_batches(
    room: Room, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="switchboard.lambda")
    sender = room.clients[0]
    ack = sender.request("message:send", {"chatId": room.chat_id, "body": "to all"})
    assert ack["event"] == "ack"
    got = room.received("message:new", "id", ack["data"]["id"])
    assert got == {0: 0, **{i: 1 for i in range(1, 12)}}
    [event_line] = [
        line
        for line in invocation_lines(caplog, "EventFunction")
        if line.get("action") == "message:send"
    ]
    # The producer posted to nobody: it handed batches (and the room's rest) over.
    assert event_line["awsCalls"].get("apigatewaymanagementapi.PostToConnection", 0) == 0
    assert event_line["awsCalls"]["lambda.Invoke"] >= 2
    assert event_line["fanout"]["jobs"] >= 2
    delivery = invocation_lines(caplog, "DeliveryFunction")
    assert sum(line["fanout"]["delivered"] for line in delivery if "fanout" in line) == 11


def test_edits_reactions_and_deletes_reach_every_other_connection(room: Room) -> None:
    author = room.clients[0]
    message = author.request("message:send", {"chatId": room.chat_id, "body": "v1"})["data"]
    room.settle()
    ref = {"chatId": room.chat_id, "messageId": message["id"]}
    assert author.request("message:edit", {**ref, "body": "v2"})["event"] == "ack"
    assert room.received("message:edited", "body", "v2") == {0: 0, **{i: 1 for i in range(1, 12)}}
    reactor = room.clients[5]
    assert reactor.request("message:react", {**ref, "emoji": "👍"})["event"] == "ack"
    got = room.received("message:reaction", "emoji", "👍")
    assert got == {**{i: 1 for i in range(12)}, 5: 0}
    assert author.request("message:delete", ref)["event"] == "ack"
    got = room.received("message:deleted", "messageId", message["id"])
    assert got == {0: 0, **{i: 1 for i in range(1, 12)}}


def test_member_events_reach_every_connection_of_the_chat(
    room: Room, user: Callable[[str], str]
) -> None:
    newcomer = user("newcomer")
    added = room.call(
        room.users[0], "POST", f"/chats/{room.chat_id}/members", json={"userId": newcomer}
    )
    assert added.status_code in (200, 201), added.text
    assert room.received("chat:member-added", "userId", newcomer) == {i: 1 for i in range(12)}
    removed = room.call(room.users[0], "DELETE", f"/chats/{room.chat_id}/members/{room.users[5]}")
    assert removed.status_code in (200, 204), removed.text
    assert room.received("chat:member-removed", "userId", room.users[5]) == {
        i: 1 for i in range(12)
    }


def test_read_receipts_go_through_the_same_path(room: Room) -> None:
    message = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "r"})
    room.settle()
    reader = room.clients[3]
    ack = reader.request(
        "message:read", {"chatId": room.chat_id, "messageId": message["data"]["id"]}
    )
    assert ack["event"] == "ack"
    got = room.received("message:read", "messageId", message["data"]["id"])
    assert got == {**{i: 1 for i in range(12)}, 3: 0}


# ---------------------------------------------------------------- faults


def dead_letters(sharded: Any) -> list[dict[str, Any]]:
    queue = sharded.template.queues["DeliveryDeadLetterQueue"]
    sqs = boto3.client(
        "sqs",
        endpoint_url=sharded.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_a_worker_that_crashes_mid_batch_is_retried_and_nobody_misses_the_message(
    room: Room, faults: Any
) -> None:
    faults.management(delay=0.3, times=30)  # posts in flight when the worker dies
    crash = faults.invocation("DeliveryFunction", kind="crash", after=0.15, times=2)
    ack = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "crash"})
    got = room.received("message:new", "id", ack["data"]["id"])
    assert crash.served == 2
    assert got[0] == 0
    assert all(got[i] >= 1 for i in range(1, 12)), got  # at least once; twice is allowed


def test_a_batch_that_times_out_is_retried(room: Room, faults: Any) -> None:
    timeout = faults.invocation("DeliveryFunction", kind="timeout", after=0.05, times=1)
    ack = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "slow"})
    got = room.received("message:new", "id", ack["data"]["id"])
    assert timeout.served == 1
    assert all(got[i] >= 1 for i in range(1, 12)), got


def test_a_batch_that_always_fails_ends_in_the_dead_letter_queue_and_blocks_nobody_else(
    room: Room, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dead_letters(room.emulator)  # start from an empty queue
    caplog.set_level(logging.WARNING)
    broken = room.ids[7]
    faults.management(connection_id=broken, status=500, times=1000)
    ack = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "dlq"})
    got = room.received("message:new", "id", ack["data"]["id"])
    assert got[7] == 0
    assert all(got[i] >= 1 for i in range(1, 12) if i != 7), got
    [record] = dead_letters(room.emulator)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert broken in record["requestPayload"]["connections"]
    assert any("ALARM DeliveryDeadLetterAlarm" in r.getMessage() for r in caplog.records)
    faults.clear()
    # The next message is not held up by the dead one.
    ack = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "after"})
    got = room.received("message:new", "id", ack["data"]["id"])
    assert got == {0: 0, **{i: 1 for i in range(1, 12)}}


def test_a_throttling_management_api_is_retried_inside_the_batch(room: Room, faults: Any) -> None:
    throttled = faults.management(connection_id=room.ids[9], status=429, times=2)
    ack = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "429"})
    got = room.received("message:new", "id", ack["data"]["id"])
    assert throttled.served == 2
    assert got == {0: 0, **{i: 1 for i in range(1, 12)}}


def test_a_gone_connection_is_reported_by_the_worker_and_harms_nobody_else(
    room: Room, faults: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """410 in a batch: the worker counts it gone (and removes its records once past the
    $connect grace, as an inline fan-out does: tests/e2e/test_faults.py) and succeeds."""
    caplog.set_level(logging.INFO, logger="switchboard.lambda")
    faults.management(connection_id=room.ids[11], status=410, times=1000)
    ack = room.clients[0].request("message:send", {"chatId": room.chat_id, "body": "410"})
    got = room.received("message:new", "id", ack["data"]["id"])
    assert all(got[i] == 1 for i in range(1, 11)), got
    delivery = [line for line in invocation_lines(caplog, "DeliveryFunction") if "fanout" in line]
    assert sum(line["fanout"]["gone"] for line in delivery) == 1
    assert all(line["status"] != 500 for line in delivery if "status" in line)
