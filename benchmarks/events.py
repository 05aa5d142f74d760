"""What publishing events costs a send: the sender's ack latency and the calls per
``message:send`` with events off and on, side by side, and what the publisher does per
message, through the emulator.

Each mode runs its own emulator (``EventFamilies`` empty, then ``all``) and the same
scenario: a chat of ten users, the sender and five recipients connected, four members
offline (so every message also makes a ``message.undelivered``). After a warm-up, the
sender sends ``--sends`` messages one after another and times each ack on the client;
the calls are read from the invocation lines the event function logs (``awsCalls``).
With events on, it also reads the publisher's invocation lines (calls per stream
record) and times, for a sample of sends, how long after the ack the
``message.created`` event was put on the bus (locally the stream is polled every 50 ms;
on AWS, DynamoDB Streams to Lambda typically takes well under a second).

Run: ``python -m benchmarks.events [--sends 200]``; ``measure()`` returns the data.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.call_counts import InvocationLog
from infra.emulator import Emulator
from tests.wsclient import ChatClient

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
WARM_UP = 10
LAG_SAMPLE = 30
WAIT_SECONDS = 30.0


@dataclass
class Mode:
    families: str
    ack_ms: list[float] = field(default_factory=list)
    handler_ms: list[float] = field(default_factory=list)  # the event function's latencyMs
    send_calls: list[dict[str, int]] = field(default_factory=list)
    publisher_calls: Counter[str] = field(default_factory=Counter)
    publisher_records: int = 0
    publisher_invocations: int = 0
    lag_ms: list[float] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)

    def percentile(self, values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def calls_per_send(self) -> dict[str, float]:
        total: Counter[str] = Counter()
        for calls in self.send_calls:
            total.update(calls)
        return {name: n / len(self.send_calls) for name, n in sorted(total.items())}


def _rest(emu: Emulator, user: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {emu.token(user)}"}
    return httpx.request(method, emu.rest_url + path, headers=headers, timeout=30, **kwargs)


def _send_lines(logs: InvocationLog, since: int) -> list[dict[str, Any]]:
    return [line for line in logs.lines[since:] if line.get("route") == "message:send"]


def run(families: str, sends: int) -> Mode:
    mode = Mode(families)
    logs = InvocationLog()
    relay = logging.getLogger("switchboard.lambda")
    level, propagate = relay.level, relay.propagate
    relay.setLevel(logging.INFO)
    relay.propagate = False  # read, not printed
    relay.addHandler(logs)
    emu = Emulator(
        TEMPLATE,
        stage="bench",
        schedules=False,
        parameter_overrides={"EventFamilies": families, "RateLimits": "off"},
    ).start()
    clients: list[ChatClient] = []
    try:
        label = families.replace(",", "-") or "off"
        users = [f"events-{label}-{i}" for i in range(10)]
        created = _rest(emu, users[0], "POST", "/chats", json={"members": users[1:]})
        assert created.status_code == 201, created.text
        chat = created.json()["id"]
        sender = ChatClient(emu.websocket_url, emu.token(users[0]))
        clients.append(sender)
        for member in users[1:6]:
            clients.append(ChatClient(emu.websocket_url, emu.token(member)))
        for client in clients:
            client.request("hello")
        for n in range(WARM_UP):
            sender.request("message:send", {"chatId": chat, "body": f"warm-up {n}"})
        since = len(logs.lines)
        for n in range(sends):
            started = time.perf_counter()
            ack = sender.request("message:send", {"chatId": chat, "body": f"message {n}"})
            mode.ack_ms.append((time.perf_counter() - started) * 1000)
            assert ack["event"] == "ack", ack
        deadline = time.monotonic() + WAIT_SECONDS
        while len(_send_lines(logs, since)) < sends and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = _send_lines(logs, since)
        mode.send_calls = [line.get("awsCalls") or {} for line in lines]
        mode.handler_ms = [float(line["latencyMs"]) for line in lines if "latencyMs" in line]
        if emu.eventbridge is not None:
            mode.events.update(e.detail_type for e in emu.eventbridge.events())
        streamed = families == "all" or "message" in families.split(",")
        if streamed and emu.streams is not None and emu.eventbridge is not None:
            for n in range(LAG_SAMPLE):
                ack = sender.request("message:send", {"chatId": chat, "body": f"lag {n}"})
                acked = time.perf_counter()
                message_id = ack["data"]["id"]
                emu.eventbridge.wait_for(
                    lambda e, m=message_id: (
                        e.detail_type == "message.created" and e.detail.get("messageId") == m
                    ),
                    WAIT_SECONDS,
                )
                mode.lag_ms.append((time.perf_counter() - acked) * 1000)
            emu.streams.wait_idle(WAIT_SECONDS)
            for line in logs.lines:
                if line.get("route") == "event-publisher":
                    mode.publisher_invocations += 1
                    mode.publisher_records += int(line.get("records") or 0)
                    mode.publisher_calls.update(line.get("awsCalls") or {})
            mode.events = Counter(e.detail_type for e in emu.eventbridge.events())
        return mode
    finally:
        for client in clients:
            client.close()
        emu.stop()
        relay.removeHandler(logs)
        relay.setLevel(level)
        relay.propagate = propagate


# Off; the lifecycle families only (published by connect/disconnect: no stream is read,
# so nothing else shares the machine); every family (the stream consumer runs beside).
MODES = ("", "connection,user", "all")


def measure(sends: int = 200) -> list[Mode]:
    return [run(families, sends) for families in MODES]


def print_modes(modes: list[Mode]) -> None:
    for mode in modes:
        label = f"events {'on (' + mode.families + ')' if mode.families else 'off'}"
        print(f"\n{label}: {len(mode.ack_ms)} sends")
        print(
            f"  ack latency ms: p50 {statistics.median(mode.ack_ms):.1f}  "
            f"p95 {mode.percentile(mode.ack_ms, 0.95):.1f}  "
            f"p99 {mode.percentile(mode.ack_ms, 0.99):.1f}"
        )
        if mode.handler_ms:
            print(
                f"  event function's own latency ms: p50 {statistics.median(mode.handler_ms):.1f}"
                f"  p95 {mode.percentile(mode.handler_ms, 0.95):.1f}"
            )
        calls = ", ".join(f"{k} {v:g}" for k, v in mode.calls_per_send.items())
        print(f"  calls per message:send ({len(mode.send_calls)} lines): {calls}")
        if mode.publisher_invocations:
            per = mode.publisher_records or 1
            publisher = ", ".join(
                f"{k} {v / per:.2f}" for k, v in sorted(mode.publisher_calls.items())
            )
            print(
                f"  publisher: {mode.publisher_invocations} invocations for "
                f"{mode.publisher_records} stream records; per record: {publisher}"
            )
            if mode.lag_ms:
                print(
                    f"  ack -> message.created on the bus, ms: p50 "
                    f"{statistics.median(mode.lag_ms):.0f}  "
                    f"p95 {mode.percentile(mode.lag_ms, 0.95):.0f} ({len(mode.lag_ms)} sampled)"
                )
        if mode.events:
            print(f"  events put: {dict(sorted(mode.events.items()))}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.events")
    parser.add_argument("--sends", type=int, default=200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print_modes(measure(args.sends))


if __name__ == "__main__":
    main()
