"""Count the AWS and Redis calls each operation costs, through the emulator.

Every function logs one JSON line per invocation with ``awsCalls`` (botocore's
``before-call`` hook on every client, the fan-out's posts, Redis round trips). This
script drives operations with real WebSocket clients and reads what the function that
served each one logged:

- one of each operation in a chat of three (two recipient connections);
- the message operations, ``$connect`` and ``$disconnect`` at fan-out N: a chat whose
  room holds the sender's connection and N recipient connections (N distinct users);
- for ``message:send`` at each N, the read and write units it costs, computed from the
  room entries and the stored message read back from DynamoDB (benchmarks.capacity:
  moto does not report real consumed capacity).

``measure()`` returns the data (no printing); ``main()`` prints it.
Run: ``python -m benchmarks.call_counts``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks import capacity
from infra.emulator import REGION, Emulator
from infra.services.aws import dynamodb_client
from tests.wsclient import ChatClient

ROOT = Path(__file__).resolve().parents[1]
# 1, 10, 100: benchmarks.cost; 9: a chat of ten users (benchmarks.aws_sample's comparison).
FANOUTS = (1, 9, 10, 100)
POST = "apigatewaymanagementapi.PostToConnection"
# CloudWatch Logs bills each log event's bytes plus 26 bytes of overhead.
LOG_EVENT_OVERHEAD_BYTES = 26
WAIT_SECONDS = 15  # for an invocation's log lines (a cold start on a busy machine)


@dataclass
class Measurement:
    """What the invocation that served one operation logged."""

    operation: str
    route: str
    calls: dict[str, int] | None  # None: no invocation line within WAIT_SECONDS
    recipients: int | None = None  # fan-out N of the scenario, when it has one
    latency_ms: float | None = None  # handler latency in the emulator (local moto, not AWS)
    duration_ms: float | None = None  # the emulator's REPORT Duration
    log_bytes: int | None = None  # START..REPORT lines, with CloudWatch's per-event overhead
    cpu_ms: float | None = None  # the invocation's CPU (process time, fan-out thread included)

    def count(self, prefix: str) -> int:
        """Calls whose name starts with ``prefix`` (``dynamodb.``, ``redis.``, a full name)."""
        return sum(n for name, n in (self.calls or {}).items() if name.startswith(prefix))

    @property
    def posts(self) -> int:
        return self.count(POST)


@dataclass
class SendCapacity:
    """DynamoDB units of one message:send, by DynamoDB's rules, from the items it touched."""

    recipients: int
    room_entries: int  # items the room Query read (the sender's connection included)
    room_bytes: int
    read_units: float  # the room Query, strongly consistent
    message_bytes: int
    write_units: int  # the conditional Put: the table plus the byTime local index (ALL)


@dataclass
class CallCounts:
    operations: list[Measurement]
    fanout: list[Measurement] = field(default_factory=list)
    sends: dict[int, SendCapacity] = field(default_factory=dict)

    def at(self, route: str, recipients: int) -> Measurement:
        """The fan-out measurement of ``route`` with ``recipients`` recipient connections."""
        for row in self.fanout:
            if row.route == route and row.recipients == recipients:
                return row
        raise KeyError(f"{route} at fan-out {recipients} was not measured")


class InvocationLog(logging.Handler):
    """Collects what the functions' workers write: their JSON invocation lines, and every
    line (``[Function] text``) to find each invocation's START..REPORT window."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []
        self.raw: list[tuple[str, str]] = []
        self._lock_raw = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        function, _, rest = text.partition("] ")
        with self._lock_raw:
            self.raw.append((function.lstrip("["), rest))
        start = text.find('{"level"')
        if start >= 0:
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(text[start:]))

    def report(self, request_id: str) -> tuple[float | None, int | None]:
        """(REPORT Duration in ms, log bytes) of one invocation, when its REPORT line is in."""
        with self._lock_raw:
            raw = list(self.raw)
        window: list[str] = []
        function = None
        for name, text in raw:
            if function is None:
                if text.startswith(f"START RequestId: {request_id}"):
                    function = name
                    window.append(text)
                continue
            if name != function:
                continue
            window.append(text)
            if text.startswith(f"REPORT RequestId: {request_id}"):
                duration = float(text.rsplit("Duration:", 1)[1].split()[0])
                size = sum(len(t.encode()) + LOG_EVENT_OVERHEAD_BYTES for t in window)
                return duration, size
        return None, None


def _measure(
    label: str,
    logs: InvocationLog,
    action: Callable[[], Any],
    route: str,
    recipients: int | None = None,
    wait: float = WAIT_SECONDS,
) -> Measurement:
    before = len(logs.lines)
    action()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = [line for line in logs.lines[before:] if line.get("route") == route]
        if found:
            line = found[-1]
            duration = size = None
            request_id = line.get("awsRequestId")
            while request_id and time.monotonic() < deadline:
                duration, size = logs.report(request_id)
                if duration is not None:
                    break
                time.sleep(0.02)
            return Measurement(
                label,
                route,
                line.get("awsCalls", {}),
                recipients,
                line.get("latencyMs"),
                duration,
                size,
                line.get("cpuMs"),
            )
        time.sleep(0.05)
    return Measurement(label, route, None, recipients)


class _Session:
    """The emulator, its invocation log and a REST helper, for one measuring run."""

    def __init__(self, emu: Emulator, logs: InvocationLog) -> None:
        self.emu = emu
        self.logs = logs
        self.dynamodb: Any = dynamodb_client(emu.dynamodb_endpoint, REGION)
        self.tables = {logical: table.name for logical, table in emu.template.tables.items()}

    def rest(self, user: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.emu.token(user)}"}
        return httpx.request(
            method, self.emu.rest_url + path, headers=headers, timeout=30, **kwargs
        )

    def client(self, user: str) -> ChatClient:
        return ChatClient(self.emu.websocket_url, self.emu.token(user))

    def send_capacity(self, chat: str, message_id: str, recipients: int) -> SendCapacity:
        room = self.dynamodb.query(
            TableName=self.tables["RoomsTable"],
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "room"},
            ExpressionAttributeValues={":r": {"S": f"chat:{chat}"}},
            ConsistentRead=True,
        )["Items"]
        message = self.dynamodb.query(
            TableName=self.tables["MessagesTable"],
            IndexName="byTime",
            KeyConditionExpression="chatId = :c AND id = :i",
            ExpressionAttributeValues={":c": {"S": chat}, ":i": {"S": message_id}},
            ConsistentRead=True,
        )["Items"][0]
        room_bytes = sum(capacity.item_size(item) for item in room)
        message_bytes = capacity.item_size(message)
        return SendCapacity(
            recipients=recipients,
            room_entries=len(room),
            room_bytes=room_bytes,
            read_units=capacity.read_units(room_bytes, consistent=True),
            message_bytes=message_bytes,
            write_units=2 * capacity.write_units(message_bytes),
        )


def _chat_of_three(s: _Session) -> list[Measurement]:
    """One of each operation; alice's chat with bob and carol, all three connected."""
    logs = s.logs
    results = []
    chat = s.rest("alice", "POST", "/chats", json={"members": ["bob", "carol"]}).json()["id"]
    bob = s.client("bob")
    carol = s.client("carol")
    alice: list[ChatClient] = []
    results.append(
        _measure(
            "$connect (first session, 1 chat, 2 contacts online)",
            logs,
            lambda: alice.append(s.client("alice")),
            "$connect",
        )
    )
    a = alice[0]

    def act(action: str, data: Any = None) -> Callable[[], Any]:
        return lambda: a.request(action, data)

    results.append(_measure("hello", logs, act("hello"), "hello"))
    second: list[ChatClient] = []
    results.append(
        _measure(
            "$connect (another session of an online user)",
            logs,
            lambda: second.append(s.client("alice")),
            "$connect",
        )
    )
    results.append(
        _measure(
            "$disconnect (not the last session)", logs, lambda: second[0].close(), "$disconnect"
        )
    )
    sent: dict[str, Any] = {}
    results.append(
        _measure(
            "message:send (2 recipients)",
            logs,
            lambda: sent.update(
                a.request("message:send", {"chatId": chat, "body": "hi", "clientMessageId": "m1"})
            ),
            "message:send",
        )
    )
    message_id = sent["data"]["id"]
    results.append(
        _measure(
            "message:send retried (duplicate)",
            logs,
            act("message:send", {"chatId": chat, "body": "hi", "clientMessageId": "m1"}),
            "message:send",
        )
    )
    target = {"chatId": chat, "messageId": message_id}
    results.append(
        _measure(
            "message:edit", logs, act("message:edit", {**target, "body": "hi!"}), "message:edit"
        )
    )
    results.append(
        _measure(
            "message:react", logs, act("message:react", {**target, "emoji": "👍"}), "message:react"
        )
    )
    results.append(
        _measure("message:read", logs, lambda: bob.request("message:read", target), "message:read")
    )
    results.append(
        _measure(
            "chat:read-all",
            logs,
            lambda: carol.request("chat:read-all", {"chatId": chat}),
            "chat:read-all",
        )
    )
    results.append(
        _measure("typing:start", logs, act("typing:start", {"chatId": chat}), "typing:start")
    )
    results.append(
        _measure("typing:list", logs, act("typing:list", {"chatId": chat}), "typing:list")
    )
    results.append(
        _measure("presence:heartbeat", logs, act("presence:heartbeat"), "presence:heartbeat")
    )
    results.append(
        _measure(
            "presence:set (2 contacts online)",
            logs,
            act("presence:set", {"status": "away"}),
            "presence:set",
        )
    )
    results.append(_measure("sync (1 chat)", logs, act("sync", {"chats": {chat: None}}), "sync"))
    results.append(
        _measure("message:delete (author)", logs, act("message:delete", target), "message:delete")
    )
    results.append(
        _measure("$disconnect (last session, 2 contacts online)", logs, a.close, "$disconnect")
    )
    results.append(
        _measure(
            "sweeper (nothing expired)",
            logs,
            lambda: s.emu.run_schedule("SweeperFunction"),
            "sweeper",
        )
    )
    bob.close()
    carol.close()
    return results


RING_SECONDS = 5  # the emulator's CallRingSeconds here


def _wait_for(logs: InvocationLog, route: str, seconds: float) -> None:
    """Until an invocation of ``route`` has logged (or ``seconds`` passed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(line.get("route") == route for line in logs.lines):
            return
        time.sleep(0.05)


def _upload(s: _Session, user: str, chat: str, data: bytes) -> str:
    """An attachment of ``user`` in ``chat``, uploaded as a client would (not measured)."""
    grant = s.rest(
        user,
        "POST",
        f"/chats/{chat}/attachments",
        json={"name": "cat.png", "size": len(data), "contentType": "image/png"},
    ).json()
    upload = grant["upload"]
    posted = httpx.post(
        upload["url"], data=upload["fields"], files={"file": ("cat.png", data)}, timeout=30
    )
    posted.raise_for_status()
    return str(grant["attachmentId"])


def _calls_and_files(s: _Session) -> list[Measurement]:
    """Attachments and a call's whole life, in dan's chat with erin (one device each)."""
    logs = s.logs
    results = []
    chat = s.rest("dan", "POST", "/chats", json={"members": ["erin"]}).json()["id"]
    dan, erin = s.client("dan"), s.client("erin")
    api_route = "POST /chats/{chat_id}/attachments"
    results.append(
        _measure(
            "POST /chats/{id}/attachments (upload grant)",
            logs,
            lambda: s.rest(
                "dan",
                "POST",
                f"/chats/{chat}/attachments",
                json={"name": "a.png", "size": 10, "contentType": "image/png"},
            ),
            api_route,
        )
    )
    file_id = _upload(s, "dan", chat, b"\x89PNG" + bytes(64))
    sent: dict[str, Any] = {}
    results.append(
        _measure(
            "message:send (1 attachment, 1 recipient)",
            logs,
            lambda: sent.update(
                dan.request("message:send", {"chatId": chat, "attachments": [file_id]})
            ),
            "message:send",
        )
    )
    target = {"chatId": chat, "messageId": sent["data"]["id"]}
    results.append(
        _measure(
            "message:delete (1 attachment)",
            logs,
            lambda: dan.request("message:delete", target),
            "message:delete",
        )
    )
    invited: dict[str, Any] = {}
    results.append(
        _measure(
            "call:invite (1 invitee, 1 device)",
            logs,
            lambda: invited.update(dan.request("call:invite", {"chatId": chat, "media": "video"})),
            "call:invite",
        )
    )
    call_id = invited["data"]["call"]["callId"]
    accepted: dict[str, Any] = {}
    results.append(
        _measure(
            "call:accept (first answer)",
            logs,
            lambda: accepted.update(erin.request("call:accept", {"callId": call_id})),
            "call:accept",
        )
    )
    signal = {
        "callId": call_id,
        "to": invited["data"]["peerId"],
        "kind": "offer",
        "payload": {"sdp": "v=0"},
    }
    results.append(
        _measure("call:signal", logs, lambda: erin.request("call:signal", signal), "call:signal")
    )
    results.append(
        _measure(
            "call:screen",
            logs,
            lambda: erin.request("call:screen", {"callId": call_id, "sharing": True}),
            "call:screen",
        )
    )
    results.append(
        _measure(
            "call:leave (the call ends)",
            logs,
            lambda: dan.request("call:leave", {"callId": call_id}),
            "call:leave",
        )
    )
    # The first call's ring timer fires (finding it over) before the next is measured.
    _wait_for(logs, "call-timer", RING_SECONDS + WAIT_SECONDS)
    # Nobody answers the next call: the ring timer (CallRingSeconds) makes it missed.
    results.append(
        _measure(
            "call timer (ring timeout: missed)",
            logs,
            lambda: dan.request("call:invite", {"chatId": chat, "media": "audio"}),
            "call-timer",
            wait=RING_SECONDS + WAIT_SECONDS,
        )
    )
    dan.close()
    erin.close()
    return results


def _at_fanout(
    s: _Session, n: int, recipients: Sequence[ChatClient]
) -> tuple[list[Measurement], SendCapacity]:
    """A chat of the sender and n users, each with one connection (already open)."""
    logs = s.logs
    sender_id = f"sender{n}"
    members = [f"r{i}" for i in range(n)]
    chat = s.rest(sender_id, "POST", "/chats", json={"members": members}).json()["id"]
    rows: list[Measurement] = []
    opened: list[ChatClient] = []
    rows.append(
        _measure(
            f"$connect (first session, 1 chat, {n} contacts online)",
            logs,
            lambda: opened.append(s.client(sender_id)),
            "$connect",
            n,
        )
    )
    sender = opened[0]
    # One unmeasured send first, as a busy container has: the function's keep-alive
    # connections to the Management API are open, so the measured CPU is the steady one
    # (a cold fan-out also pays one TLS handshake per connection it opens).
    sender.request("message:send", {"chatId": chat, "body": "warm-up", "clientMessageId": "f0"})
    sent: dict[str, Any] = {}
    rows.append(
        _measure(
            "message:send",
            logs,
            lambda: sent.update(
                sender.request(
                    "message:send", {"chatId": chat, "body": "hello", "clientMessageId": "f1"}
                )
            ),
            "message:send",
            n,
        )
    )
    message_id = sent["data"]["id"]
    send = s.send_capacity(chat, message_id, n)  # before the sender leaves the room
    target = {"chatId": chat, "messageId": message_id}
    for route, data in (
        ("message:edit", {**target, "body": "hello!"}),
        ("message:react", {**target, "emoji": "👍"}),
        ("typing:start", {"chatId": chat}),
    ):
        rows.append(_measure(route, logs, lambda r=route, d=data: sender.request(r, d), route, n))
    rows.append(
        _measure(
            "message:read (by a recipient)",
            logs,
            lambda: recipients[0].request("message:read", target),
            "message:read",
            n,
        )
    )
    rows.append(
        _measure(
            f"$disconnect (last session, {n} contacts online)", logs, sender.close, "$disconnect", n
        )
    )
    return rows, send


def measure(fanouts: Sequence[int] = FANOUTS) -> CallCounts:
    """Run the emulator, drive every operation, return what each invocation logged."""
    logs = InvocationLog()
    logger = logging.getLogger("switchboard.lambda")
    logger.addHandler(logs)
    logger.setLevel(logging.INFO)
    recipients: list[ChatClient] = []
    try:
        # Calls ring 5 s: the missed call's timer is measured too.
        overrides = {"CallRingSeconds": str(RING_SECONDS)}
        with Emulator(
            ROOT / "template.yaml", stage="bench", schedules=False, parameter_overrides=overrides
        ) as emu:
            s = _Session(emu, logs)
            counts = CallCounts(_chat_of_three(s) + _calls_and_files(s))
            # Recipients connect before any chat exists: no contacts, nothing announced.
            recipients.extend(s.client(f"r{i}") for i in range(max(fanouts, default=0)))
            for n in sorted(fanouts):
                rows, send = _at_fanout(s, n, recipients[:n])
                counts.fanout.extend(rows)
                counts.sends[n] = send
            # Drop the recipients without $disconnect: closing them would run one each,
            # every one announcing offline to the others (quadratic, and not measured).
            for connection_id in emu.connection_ids():
                emu.sever(connection_id)
    finally:
        for client in recipients:
            with contextlib.suppress(Exception):
                client.close()
        logger.removeHandler(logs)
    return counts


def _calls_text(calls: dict[str, int] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) if calls else "none"


def main() -> None:
    print_counts(measure())


def print_counts(counts: CallCounts) -> None:
    width = max(len(r.operation) for r in counts.operations)
    for row in counts.operations:
        print(f"{row.operation:<{width}}  {_calls_text(row.calls)}")
    print()
    print("At fan-out N (N recipient connections, N distinct users):")
    width = max(len(r.operation) for r in counts.fanout)
    print(f"{'operation':<{width}}  {'N':>4}  {'posts':>5}  {'emu ms':>7}  {'log B':>6}  calls")
    for row in counts.fanout:
        latency = f"{row.latency_ms:.1f}" if row.latency_ms is not None else "-"
        size = str(row.log_bytes) if row.log_bytes is not None else "-"
        print(
            f"{row.operation:<{width}}  {row.recipients:>4}  {row.posts:>5}  {latency:>7}  "
            f"{size:>6}  {_calls_text(row.calls)}"
        )
    print()
    print("message:send DynamoDB units (computed from the items, DynamoDB's rules):")
    for n, send in sorted(counts.sends.items()):
        print(
            f"  N={n:<4} room Query: {send.room_entries} entries, {send.room_bytes} B -> "
            f"{send.read_units:g} RRU (strongly consistent); Put: message {send.message_bytes} B "
            f"-> {send.write_units} WRU (table + byTime index)"
        )
    print("(emu ms: handler latency in the emulator against local moto and Redis, not AWS's.)")


if __name__ == "__main__":
    main()
