"""Count the AWS and Redis calls each operation costs, through the emulator.

Every function logs one JSON line per invocation with ``awsCalls`` (botocore's
``before-call`` hook on every client, plus Redis round trips). This script
drives each operation once with real WebSocket clients and prints what the
function that served it logged. Run: ``python -m benchmarks.call_counts``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from infra.emulator import Emulator
from tests.wsclient import ChatClient

ROOT = Path(__file__).resolve().parents[1]


class InvocationLog(logging.Handler):
    """Collects the JSON invocation lines the functions write."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        start = text.find('{"level"')
        if start >= 0:
            with contextlib.suppress(ValueError):
                self.lines.append(json.loads(text[start:]))


def measure(label: str, logs: InvocationLog, action: Callable[[], Any], route: str) -> dict:
    before = len(logs.lines)
    action()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [line for line in logs.lines[before:] if line.get("route") == route]
        if found:
            return {"operation": label, "calls": found[-1].get("awsCalls", {})}
        time.sleep(0.05)
    return {"operation": label, "calls": None}


def main() -> None:
    logs = InvocationLog()
    logging.getLogger("switchboard.lambda").addHandler(logs)
    logging.getLogger("switchboard.lambda").setLevel(logging.INFO)
    with Emulator(ROOT / "template.yaml", stage="bench", schedules=False) as emu:

        def rest(user: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
            headers = {"authorization": f"Bearer {emu.token(user)}"}
            return httpx.request(method, emu.rest_url + path, headers=headers, **kwargs)

        results = []
        chat = rest("alice", "POST", "/chats", json={"members": ["bob", "carol"]}).json()["id"]
        bob = ChatClient(emu.websocket_url, emu.token("bob"))
        carol = ChatClient(emu.websocket_url, emu.token("carol"))
        alice: list[ChatClient] = []
        results.append(
            measure(
                "$connect (first session, 1 chat, 2 contacts online)",
                logs,
                lambda: alice.append(ChatClient(emu.websocket_url, emu.token("alice"))),
                "$connect",
            )
        )
        a = alice[0]

        def act(action: str, data: Any = None) -> Callable[[], Any]:
            return lambda: a.request(action, data)

        results.append(measure("hello", logs, act("hello"), "hello"))
        sent: dict[str, Any] = {}
        results.append(
            measure(
                "message:send (2 recipients)",
                logs,
                lambda: sent.update(
                    a.request(
                        "message:send", {"chatId": chat, "body": "hi", "clientMessageId": "m1"}
                    )
                ),
                "message:send",
            )
        )
        message_id = sent["data"]["id"]
        results.append(
            measure(
                "message:send retried (duplicate)",
                logs,
                act("message:send", {"chatId": chat, "body": "hi", "clientMessageId": "m1"}),
                "message:send",
            )
        )
        target = {"chatId": chat, "messageId": message_id}
        results.append(
            measure(
                "message:edit", logs, act("message:edit", {**target, "body": "hi!"}), "message:edit"
            )
        )
        results.append(
            measure(
                "message:react",
                logs,
                act("message:react", {**target, "emoji": "👍"}),
                "message:react",
            )
        )
        results.append(
            measure(
                "message:read", logs, lambda: bob.request("message:read", target), "message:read"
            )
        )
        results.append(
            measure(
                "chat:read-all",
                logs,
                lambda: carol.request("chat:read-all", {"chatId": chat}),
                "chat:read-all",
            )
        )
        results.append(
            measure("typing:start", logs, act("typing:start", {"chatId": chat}), "typing:start")
        )
        results.append(
            measure("typing:list", logs, act("typing:list", {"chatId": chat}), "typing:list")
        )
        results.append(
            measure("presence:heartbeat", logs, act("presence:heartbeat"), "presence:heartbeat")
        )
        results.append(
            measure(
                "presence:set (2 contacts online)",
                logs,
                act("presence:set", {"status": "away"}),
                "presence:set",
            )
        )
        results.append(measure("sync (1 chat)", logs, act("sync", {"chats": {chat: None}}), "sync"))
        results.append(
            measure(
                "message:delete (author)", logs, act("message:delete", target), "message:delete"
            )
        )
        results.append(
            measure("$disconnect (last session, 2 contacts online)", logs, a.close, "$disconnect")
        )
        results.append(
            measure(
                "sweeper (nothing expired)",
                logs,
                lambda: emu.run_schedule("SweeperFunction"),
                "sweeper",
            )
        )
        bob.close()
        carol.close()
    width = max(len(r["operation"]) for r in results)
    for row in results:
        calls = row["calls"]
        shown = ", ".join(f"{k} {v}" for k, v in sorted(calls.items())) if calls else "none"
        print(f"{row['operation']:<{width}}  {shown}")


if __name__ == "__main__":
    main()
