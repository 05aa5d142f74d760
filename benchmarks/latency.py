"""End-to-end delivery latency through the emulator, phase by phase (issue 6, item 5).

Starts the emulator in a child process (``benchmarks.load.child_emulator``), creates chats
of ``--chat-size`` over its REST API, opens ``--connections`` WebSockets (one user each)
and says ``hello`` on each. Then a warm-up, none of it counted: two bursts of
simultaneous sends (so that every Lambda worker has started), then a few seconds at the
first rate. Then one steady phase per rate in ``--rates``: every 1/rate s the next member
(round robin over a shuffled order) sends ``message:send`` without waiting for the ack.
Each message's send time is kept by its ``clientMessageId``; every other member's
receipt of ``message:new`` is one delivery, its latency receipt minus send (one clock:
all clients live in this process, on one asyncio loop; the emulator in another process).
Each phase is drained (bounded) before the next; a delivery that never came counts as
infinite latency. Stepping stops once p99 passes ``--stop-factor`` times the 100 ms
bound. At the end every client closes and the $disconnect backlog is let drain (bounded)
before the emulator stops. Statistics and tables come from ``benchmarks.workload``,
shared with ``benchmarks.socketio_baseline``.

Run: ``python -m benchmarks.latency`` (1,000 connections, chats of 10);
quick: ``python -m benchmarks.latency --connections 100 --rates 2,5 --phase-seconds 5``;
both systems side by side, with Switchboard/socketio ratios: add ``--compare``.
All traffic goes to 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.load import REGION, Target, child_emulator
from benchmarks.workload import (
    Options,
    Tracker,
    add_arguments,
    chat_groups,
    create_chats,
    format_comparison,
    format_table,
    open_all,
    run_phases,
)


class Member:
    """One user's WebSocket connection, reading frames into the tracker."""

    def __init__(self, index: int, user_id: str, chat_id: str, tracker: Tracker) -> None:
        self.index = index
        self.user_id = user_id
        self.chat_id = chat_id
        self.tracker = tracker
        self.ws: ClientConnection | None = None
        self.greeted: asyncio.Future[bool] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self, target: Target, timeout: float) -> bool:
        """Connect and say hello; False (an error counted) when either fails."""
        try:
            self.ws = await connect(
                f"{target.websocket_url}?token={target.token(self.user_id)}",
                open_timeout=timeout,
                ping_interval=None,
                compression=None,
                close_timeout=5,
                max_queue=None,
            )
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            self.tracker.error(f"{self.user_id}: handshake failed: {exc!r}")
            return False
        self.greeted = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._read(self.ws))
        await self.ws.send(json.dumps({"action": "hello", "requestId": "hello"}))
        try:
            return await asyncio.wait_for(self.greeted, timeout)
        except (TimeoutError, ConnectionError) as exc:
            self.tracker.error(f"{self.user_id}: hello failed: {exc!r}")
            return False

    async def _read(self, ws: ClientConnection) -> None:
        tracker = self.tracker
        try:
            async for raw in ws:
                now = time.monotonic()
                frame = json.loads(raw)
                event = frame.get("event")
                if event == "message:new":
                    tracker.delivered(frame["data"]["clientMessageId"], self.index, now)
                elif event == "ack":
                    tracker.acked(str(frame["data"].get("clientMessageId")), now)
                elif event == "connection:success":
                    if self.greeted is not None and not self.greeted.done():
                        self.greeted.set_result(True)
                elif event in ("user:status", "typing"):
                    pass  # presence noise from other members connecting
                else:
                    tracker.error(f"{self.user_id}: {raw!r:.200}")
        except ConnectionClosed:
            pass
        finally:
            if self.greeted is not None and not self.greeted.done():
                self.greeted.set_exception(ConnectionError("connection closed"))

    async def send(self, key: str) -> None:
        assert self.ws is not None
        await self.ws.send(
            json.dumps(
                {
                    "action": "message:send",
                    "requestId": key,
                    "data": {
                        "chatId": self.chat_id,
                        "body": f"latency {key}",
                        "clientMessageId": key,
                    },
                }
            )
        )

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 10)
        if self.reader is not None:
            self.reader.cancel()


def _connections_left(target: Target) -> int:
    """Items in the connections table: what the $disconnect backlog still has to remove."""
    import boto3

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=target.dynamodb_endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=target.tables["ConnectionsTable"], Select="COUNT"
    )
    return sum(page["Count"] for page in pages)


async def _wait_disconnected(target: Target, timeout: float) -> None:
    """Wait (bounded) for the $disconnect invocations of the closed connections, so that
    the emulator is not stopped with a thousand of them in flight."""
    started = time.monotonic()
    left = -1
    while time.monotonic() - started < timeout:
        left = await asyncio.to_thread(_connections_left, target)
        if not left:
            break
        await asyncio.sleep(0.5)
    print(
        f"  $disconnect backlog: {max(left, 0)} connections left after "
        f"{time.monotonic() - started:.1f} s"
    )


async def _measure(
    target: Target, options: Options, disconnect_timeout: float = 120.0
) -> list[dict[str, Any]]:
    tracker = Tracker()
    started = time.monotonic()
    groups = chat_groups(options.connections, options.chat_size, f"lat{uuid.uuid4().hex[:6]}")
    chat_ids = await create_chats(target.rest_url, target.token, groups, attempts=3)
    members: list[Member] = []
    size: dict[int, int] = {}
    for group, chat_id in zip(groups, chat_ids, strict=True):
        for user in group:
            size[len(members)] = len(group)
            members.append(Member(len(members), user, chat_id, tracker))
    print(f"  {len(chat_ids)} chats created in {time.monotonic() - started:.1f} s")
    ready = await open_all(members, target, tracker, options.connect_concurrency)
    try:
        if len(ready) < len(members):
            raise RuntimeError(
                f"only {len(ready)} of {len(members)} connections opened: {tracker.error_samples}"
            )
        tracker.errors = 0
        tracker.error_samples.clear()
        results = await run_phases(
            tracker,
            ready,
            lambda i: size[i] - 1,
            lambda i, key: members[i].send(key),
            options,
            [target.pid],
        )
        if tracker.errors:
            print(f"  {tracker.errors} errors, e.g. {tracker.error_samples[:3]}")
        return results
    finally:
        limit = asyncio.Semaphore(options.connect_concurrency * 4)

        async def close(member: Member) -> None:
            async with limit:
                await member.close()

        await asyncio.gather(*(close(m) for m in members))
        await _wait_disconnected(target, disconnect_timeout)


def measure(
    options: Options, max_concurrency: int = 4, disconnect_timeout: float = 120.0
) -> list[dict[str, Any]]:
    """Run every phase against a fresh emulator in a child process; one dict per phase.

    ``disconnect_timeout``: how long to let the $disconnect backlog drain before the
    emulator stops (what is still in flight then is cancelled, noisily)."""
    with child_emulator(max_concurrency, stage="latency") as target:
        return asyncio.run(_measure(target, options, disconnect_timeout))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.add_argument(
        "--max-concurrency", type=int, default=4, help="Lambda workers per function in the emulator"
    )
    parser.add_argument(
        "--disconnect-timeout",
        type=float,
        default=120.0,
        help="seconds to let the $disconnect backlog drain at the end",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="then run the same workload against python-socketio "
        "(benchmarks.socketio_baseline) and print both side by side",
    )
    args = parser.parse_args(argv)
    options = Options.from_args(args)
    title = (
        f"Switchboard through the emulator: {options.connections} connections, chats of "
        f"{options.chat_size}, {options.phase_seconds:g} s phases, Lambda "
        f"max_concurrency {args.max_concurrency}"
    )
    print(title)
    ours = measure(options, args.max_concurrency, args.disconnect_timeout)
    print(format_table(title, ours, options.bound_ms))
    if not args.compare:
        return 0
    from benchmarks import socketio_baseline

    base_title = socketio_baseline.title(options)
    print(f"\n{base_title}")
    baseline = socketio_baseline.measure(options)
    print(format_table(base_title, baseline, options.bound_ms))
    print("\nSide by side (ratios: Switchboard / socketio)")
    print(format_comparison(ours, baseline, options.bound_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
