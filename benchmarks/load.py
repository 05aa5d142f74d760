"""A bounded load test through the emulator: many WebSocket clients, steady sends, storms.

Users are grouped into chats of ``chat_size`` (one connection per user, chats created
over REST). Every connection opens (with bounded concurrency) and says ``hello``; then,
for ``duration_s``, random connected members send ``message:send`` at a steady rate
(each with a unique ``clientMessageId``) while connection storms run: in each storm a
fraction of the clients disconnect (half with a close frame, half by dropping TCP) and
reconnect, then ``sync`` with the newest message id they have per chat. Afterwards every
client closes and the script checks, through boto3 and Redis, that nothing leaked.

What it verifies:

- errors: every send is acked; no ``error`` frame, no gateway ``Internal server error``,
  no handshake failure, every ``hello`` and ``sync`` answered;
- lost messages: a message is *expected live* on a connection when the connection was
  open before the send started and was still open when the ack came back (for a
  connection closed with a close frame, the close started after the ack; the gateway
  wrote ``message:new`` before the ack, so it is read before the close completes).
  Every other member must also end up with every message acked after it first
  connected, live on some connection or returned by its ``sync`` after a reconnect;
- leaks: once every client closed and the ``$disconnect`` calls ran, the connections
  and rooms tables and the Redis keys ``sb:sess:*`` and ``sb:sessions`` are empty.

By default the emulator runs in a child process (its own interpreter: the clients and the
gateway do not share one GIL). Run: ``python -m benchmarks.load --connections 1000``.
All traffic goes to 127.0.0.1; every loop is bounded by the duration or a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.workload import chat_groups, create_chats, percentile

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"


# ------------------------------------------------------------------ the emulator
@dataclass
class Target:
    """Where the emulator listens and how to sign tokens for it."""

    websocket_url: str
    rest_url: str
    dynamodb_endpoint: str
    redis_url: str
    jwt_secret: str
    tables: dict[str, str]
    pid: int = 0  # the emulator's process, when it runs in a child process

    def token(self, user_id: str) -> str:
        from infra.emulator import issue_local_token

        return issue_local_token(user_id, self.jwt_secret)

    @classmethod
    def of(cls, emulator: Any) -> Target:
        return cls(
            str(emulator.websocket_url),
            str(emulator.rest_url),
            str(emulator.dynamodb_endpoint),
            str(emulator.redis_url),
            str(emulator.jwt_secret),
            {str(lid): str(t.name) for lid, t in emulator.template.tables.items()},
        )


def _serve_emulator(conn: Any, options: dict[str, Any]) -> None:
    """In the child process: run an Emulator until the parent says stop (or goes away)."""
    from infra.emulator import Emulator

    emulator = Emulator(TEMPLATE, **options).start()
    try:
        conn.send(asdict(Target.of(emulator)))
        with contextlib.suppress(EOFError, OSError):
            conn.recv()
    finally:
        emulator.stop()


@contextlib.contextmanager
def child_emulator(max_concurrency: int, stage: str = "load") -> Iterator[Target]:
    """An Emulator in its own process (spawned, not forked: the parent has threads)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    options = {
        "stage": stage,
        "schedules": False,
        "max_concurrency": max_concurrency,
        "stack_name": f"load{uuid.uuid4().hex[:6]}",
    }
    process = context.Process(target=_serve_emulator, args=(child, options), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 60
        while not parent.poll(0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
        yield Target(**{**parent.recv(), "pid": process.pid})
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        process.join(30)
        if process.is_alive():
            process.kill()
            process.join(5)


# ------------------------------------------------------------------ the report
@dataclass
class LoadReport:
    connections: int = 0
    chats: int = 0
    chat_size: int = 0
    max_concurrency: int = 0
    duration_s: float = 0.0
    target_rate: float = 0.0
    ramp_s: float = 0.0
    messages_sent: int = 0
    messages_acked: int = 0
    send_rate: float = 0.0
    deliveries_expected: int = 0
    deliveries_received: int = 0
    duplicate_deliveries: int = 0
    latency_p50_ms: float = 0.0
    latency_p99_ms: float = 0.0
    latency_max_ms: float = 0.0
    ack_p50_ms: float = 0.0
    ack_p99_ms: float = 0.0
    storms: int = 0
    reconnects: int = 0
    syncs: int = 0
    sync_recovered: int = 0
    lost_live: int = 0
    lost_after_sync: int = 0
    lost_cursor_race: int = 0
    leaks: dict[str, int] = field(default_factory=dict)
    leak_wait_s: float = 0.0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    loss_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def lost(self) -> int:
        return self.lost_live + self.lost_after_sync + self.lost_cursor_race

    @property
    def leaked(self) -> int:
        return sum(self.leaks.values())

    @property
    def ok(self) -> bool:
        return not self.errors and not self.lost and not self.leaked

    def summary(self) -> str:
        leaks = ", ".join(f"{k} {v}" for k, v in self.leaks.items())
        lines = [
            f"connections        {self.connections} ({self.chats} chats of {self.chat_size}; "
            f"ramp {self.ramp_s:.1f} s; Lambda max_concurrency {self.max_concurrency})",
            f"messages           {self.messages_sent} sent, {self.messages_acked} acked in "
            f"{self.duration_s:.0f} s ({self.send_rate:.1f}/s, target {self.target_rate:.1f}/s)",
            f"deliveries         {self.deliveries_received} received live of "
            f"{self.deliveries_expected} expected ({self.duplicate_deliveries} duplicates)",
            f"delivery latency   p50 {self.latency_p50_ms:.0f} ms, p99 "
            f"{self.latency_p99_ms:.0f} ms, max {self.latency_max_ms:.0f} ms (send -> receipt)",
            f"ack latency        p50 {self.ack_p50_ms:.0f} ms, p99 {self.ack_p99_ms:.0f} ms",
            f"storms             {self.storms}: {self.reconnects} reconnects, {self.syncs} "
            f"syncs, {self.sync_recovered} messages recovered by sync",
            f"lost               {self.lost} ({self.lost_live} while connected, "
            f"{self.lost_after_sync} not returned by sync, {self.lost_cursor_race} older than "
            f"the sync cursor: the cursor race)",
            f"leaks              {self.leaked} ({leaks}; checked after {self.leak_wait_s:.1f} s)",
            f"errors             {self.errors}",
            f"wall time          {self.wall_s:.1f} s",
        ]
        lines += [f"  error: {e}" for e in self.error_samples]
        lines += [f"  lost: {e}" for e in self.loss_samples]
        return "\n".join(lines)


# ------------------------------------------------------------------ clients
@dataclass
class Sent:
    cmid: str
    chat_id: str
    sender: str
    t_send: float
    t_ack: float | None = None
    message_id: str | None = None
    request_id: str | None = None


class Session:
    """One WebSocket connection of a client, from open to close."""

    def __init__(self, ws: ClientConnection, opened: float) -> None:
        self.ws = ws
        self.opened = opened
        self.closing: float | None = None  # when this side started closing
        self.graceful = True
        self.received: dict[str, float] = {}  # clientMessageId -> receipt time
        self.reader: asyncio.Task[None] | None = None


class Client:
    """One user with one device, a member of one chat."""

    def __init__(self, run: LoadRun, user_id: str, chat_id: str) -> None:
        self.run = run
        self.user_id = user_id
        self.chat_id = chat_id
        self.token = run.target.token(user_id)
        self.session: Session | None = None
        self.sessions: list[Session] = []
        self.ready = False  # hello answered; may send
        self.inflight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.cursor: str | None = None  # newest message id seen in the chat
        # The cursor when the last connection closed: what `sync` must ask after. Not the
        # live cursor: frames arriving on the new connection before the sync would move
        # it past messages whose fan-out missed both connections.
        self.resume_cursor: str | None = None
        self.have: set[str] = set()  # clientMessageIds seen live or through sync
        self.synced: set[str] = set()
        self.first_open: float | None = None
        self.sync_cursors: list[str | None] = []  # the cursor each sync was sent with

    def _see(self, message: dict[str, Any]) -> None:
        message_id = message.get("id")
        if isinstance(message_id, str) and (self.cursor is None or message_id > self.cursor):
            self.cursor = message_id

    async def _read(self, session: Session) -> None:
        run = self.run
        try:
            async for raw in session.ws:
                now = time.monotonic()
                try:
                    frame = json.loads(raw)
                except ValueError:
                    run.error(f"{self.user_id}: not JSON: {raw!r:.100}")
                    continue
                event = frame.get("event")
                if event == "message:new":
                    data = frame.get("data") or {}
                    cmid = data.get("clientMessageId")
                    if cmid in session.received:
                        run.duplicates += 1
                    session.received[cmid] = now
                    self.have.add(cmid)
                    self._see(data)
                    sent = run.sent.get(cmid)
                    if sent is not None:
                        run.latencies.append((now - sent.t_send) * 1000)
                elif event == "error" or "event" not in frame:
                    run.error(f"{self.user_id}: {raw!r:.200}")
                request_id = frame.get("requestId")
                if request_id is not None:
                    future = self.pending.pop(str(request_id), None)
                    if future is not None and not future.done():
                        future.set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self.pending.clear()

    async def request(self, action: str, data: Any = None, timeout: float = 30) -> dict:
        assert self.session is not None
        request_id = f"q{next(self.run.request_ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        if action == "message:send":
            self.run.sent[data["clientMessageId"]].request_id = request_id
        frame: dict[str, Any] = {"action": action, "requestId": request_id}
        if data is not None:
            frame["data"] = data
        await self.session.ws.send(json.dumps(frame))
        return await asyncio.wait_for(future, timeout)

    async def open(self) -> bool:
        """Connect and say hello; False (and an error counted) when that fails."""
        run = self.run
        try:
            ws = await connect(
                f"{run.target.websocket_url}?token={self.token}",
                open_timeout=60,
                ping_interval=None,
                compression=None,
                close_timeout=10,
                max_queue=None,
            )
        except Exception as exc:  # noqa: BLE001 - every failure is a counted error
            run.error(f"{self.user_id}: handshake failed: {exc!r}")
            return False
        session = Session(ws, time.monotonic())
        if self.first_open is None:
            self.first_open = session.opened
        self.session = session
        self.sessions.append(session)
        session.reader = asyncio.create_task(self._read(session))
        try:
            reply = await self.request("hello")
        except Exception as exc:  # noqa: BLE001
            run.error(f"{self.user_id}: hello failed: {exc!r}")
            return False
        if reply.get("event") != "connection:success":
            return False  # counted by the reader (an error frame)
        self.ready = True
        return True

    async def sync(self) -> None:
        """After a reconnect: ask for what is newer than the newest message we have."""
        run = self.run
        run.syncs += 1
        after = self.resume_cursor
        self.sync_cursors.append(after)
        while True:
            try:
                reply = await self.request("sync", {"chats": {self.chat_id: after}})
            except Exception as exc:  # noqa: BLE001
                run.error(f"{self.user_id}: sync failed: {exc!r}")
                return
            if reply.get("event") != "ack":
                return
            page = (reply.get("data") or {}).get("chats", {}).get(self.chat_id) or {}
            messages = page.get("messages") or []
            for message in messages:
                cmid = message.get("clientMessageId")
                if cmid not in self.have:
                    run.sync_recovered += 1
                self.have.add(cmid)
                self.synced.add(cmid)
                self._see(message)
            if not page.get("hasMore") or not messages:
                return
            after = messages[-1]["id"]

    async def send_one(self) -> None:
        run = self.run
        session = self.session
        assert session is not None
        cmid = f"{self.user_id}.{next(run.message_ids)}"
        sent = Sent(cmid, self.chat_id, self.user_id, time.monotonic())
        run.sent[cmid] = sent
        run.messages_sent += 1
        try:
            reply = await self.request(
                "message:send",
                {"chatId": self.chat_id, "body": f"load {cmid}", "clientMessageId": cmid},
            )
        except Exception as exc:  # noqa: BLE001
            run.error(f"{self.user_id}: send {cmid} not acked: {exc!r}")
            return
        if reply.get("event") == "ack":
            sent.t_ack = time.monotonic()
            sent.message_id = reply["data"]["id"]
            run.messages_acked += 1
            self.have.add(cmid)
            self._see(reply["data"])

    async def close(self, graceful: bool = True) -> None:
        """Close the current session: a close frame, or a TCP drop (no close frame)."""
        session = self.session
        self.ready = False
        await self.idle.wait()  # never leave a send of ours unacked
        if session is None:
            return
        self.session = None
        session.closing = time.monotonic()
        session.graceful = graceful
        if graceful:
            with contextlib.suppress(Exception):
                await session.ws.close()
        else:
            session.ws.transport.abort()
        if session.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(session.reader, 15)
        self.resume_cursor = self.cursor


# ------------------------------------------------------------------ the run
class LoadRun:
    def __init__(self, target: Target, report: LoadReport, seed: int) -> None:
        self.target = target
        self.report = report
        self.random = random.Random(seed)
        self.clients: list[Client] = []
        self.sent: dict[str, Sent] = {}
        self.latencies: list[float] = []
        self.request_ids = itertools.count(1)
        self.message_ids = itertools.count(1)
        self.messages_sent = 0
        self.messages_acked = 0
        self.duplicates = 0
        self.syncs = 0
        self.sync_recovered = 0
        self.reconnects = 0
        self.errors: list[str] = []

    def error(self, text: str) -> None:
        self.errors.append(text)

    async def create_chats(self, connections: int, chat_size: int, prefix: str) -> None:
        groups = chat_groups(connections, chat_size, prefix)
        chat_ids = await create_chats(self.target.rest_url, self.target.token, groups)
        for group, chat_id in zip(groups, chat_ids, strict=True):
            self.clients.extend(Client(self, user, chat_id) for user in group)
        self.report.chats = len(groups)

    async def ramp(self, clients: list[Client], concurrency: int) -> None:
        limit = asyncio.Semaphore(concurrency)

        async def one(client: Client) -> None:
            async with limit:
                await client.open()

        await asyncio.gather(*(one(c) for c in clients))

    async def send_loop(self, rate: float, until: float, max_inflight: int) -> None:
        """Steady rate from random ready clients; at most ``max_inflight`` unacked."""
        limit = asyncio.Semaphore(max_inflight)
        tasks: set[asyncio.Task[None]] = set()
        interval = 1.0 / rate
        next_at = time.monotonic()
        while time.monotonic() < until:
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            await limit.acquire()
            ready = [c for c in self.clients if c.ready]
            if not ready:
                limit.release()
                continue
            client = self.random.choice(ready)
            client.inflight += 1
            client.idle.clear()

            async def send(client: Client = client) -> None:
                try:
                    await client.send_one()
                finally:
                    client.inflight -= 1
                    if not client.inflight:
                        client.idle.set()
                    limit.release()

            task = asyncio.create_task(send())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)

    async def storm(self, fraction: float, concurrency: int) -> None:
        """A fraction of the clients drop (half of them without a close frame) and come
        back after a short pause, then sync."""
        count = max(1, round(fraction * len(self.clients)))
        victims = self.random.sample(self.clients, count)
        limit = asyncio.Semaphore(concurrency)

        async def cycle(client: Client, graceful: bool, pause: float) -> None:
            await client.close(graceful)
            await asyncio.sleep(pause)
            async with limit:
                self.reconnects += 1
                if await client.open():
                    await client.sync()

        await asyncio.gather(
            *(cycle(c, i % 2 == 0, self.random.uniform(0.05, 1.0)) for i, c in enumerate(victims))
        )

    async def storms(
        self, count: int, fraction: float, start: float, until: float, concurrency: int
    ) -> None:
        if count <= 0 or fraction <= 0:
            return
        span = until - start
        for i in range(count):
            at = start + span * (i + 0.5) / count
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= until:  # storms slower than planned: stop at the deadline
                return
            await self.storm(fraction, concurrency)
            self.report.storms += 1

    # -------------------------------------------------------------- verification
    def expected_live(self) -> Iterator[tuple[Client, Session, Sent]]:
        """(client, session, message) for every delivery that must have come live."""
        by_chat: dict[str, list[Sent]] = {}
        for sent in self.sent.values():
            if sent.t_ack is not None:
                by_chat.setdefault(sent.chat_id, []).append(sent)
        for client in self.clients:
            for sent in by_chat.get(client.chat_id, []):
                if sent.sender == client.user_id:
                    continue
                assert sent.t_ack is not None
                for session in client.sessions:
                    if (
                        session.opened <= sent.t_send
                        and session.graceful
                        and (session.closing is None or session.closing >= sent.t_ack)
                    ):
                        yield client, session, sent

    async def settle(self, timeout: float) -> None:
        """Wait (bounded) until every expected live delivery has arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.cmid in session.received for _, session, s in self.expected_live()):
                return
            await asyncio.sleep(0.25)

    def verify(self) -> None:
        report = self.report
        expected = received = lost_live = 0
        samples: list[str] = []
        for client, session, sent in self.expected_live():
            expected += 1
            if sent.cmid in session.received:
                received += 1
            else:
                lost_live += 1
                samples.append(
                    f"{sent.cmid} ({sent.message_id}, {sent.request_id}) not "
                    f"delivered live to {client.user_id} {self._timeline(client, sent)}"
                )
        lost_after_sync = cursor_race = 0
        for client in self.clients:
            if client.first_open is None:
                continue
            for sent in self.sent.values():
                if (
                    sent.chat_id == client.chat_id
                    and sent.sender != client.user_id
                    and sent.t_ack is not None
                    and sent.t_send >= client.first_open
                    and sent.cmid not in client.have
                ):
                    assert sent.message_id is not None
                    skipped = [c for c in client.sync_cursors if c and c > sent.message_id]
                    if skipped:
                        cursor_race += 1
                    else:
                        lost_after_sync += 1
                    samples.append(
                        f"{sent.cmid} ({sent.message_id}) never reached "
                        f"{client.user_id} (neither live nor by sync; sync cursors "
                        f"{client.sync_cursors}) {self._timeline(client, sent)}"
                    )
        report.deliveries_expected = expected
        report.deliveries_received = sum(len(s.received) for c in self.clients for s in c.sessions)
        report.lost_live = lost_live
        report.lost_after_sync = lost_after_sync
        report.lost_cursor_race = cursor_race
        report.loss_samples = samples[:10]
        del received

    def _timeline(self, client: Client, sent: Sent) -> str:
        """Sessions of the client relative to the send (s): [opened, closing) graceful?"""
        t0 = sent.t_send
        ack = (sent.t_ack or t0) - t0
        spans = [
            f"[{s.opened - t0:+.3f},"
            f"{'open' if s.closing is None else f'{s.closing - t0:+.3f}'}"
            f"{'' if s.graceful else ' drop'}]"
            for s in client.sessions
        ]
        return f"(ack {ack:+.3f}; sessions {' '.join(spans)})"

    def check_leaks(self, timeout: float) -> None:
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=self.target.dynamodb_endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        store = redis.Redis.from_url(self.target.redis_url, decode_responses=True)

        def count() -> dict[str, int]:
            found: dict[str, int] = {}
            for lid in ("ConnectionsTable", "RoomsTable"):
                pages = dynamodb.get_paginator("scan").paginate(
                    TableName=self.target.tables[lid], Select="COUNT"
                )
                found[lid] = sum(page["Count"] for page in pages)
            found["sb:sess:*"] = sum(1 for _ in store.scan_iter("sb:sess:*", count=1000))
            found["sb:sessions"] = int(store.zcard("sb:sessions"))
            return found

        started = time.monotonic()
        leaks = count()
        while sum(leaks.values()) and time.monotonic() - started < timeout:
            time.sleep(0.5)
            leaks = count()
        self.report.leaks = leaks
        self.report.leak_wait_s = time.monotonic() - started
        store.close()


async def _run(
    target: Target,
    report: LoadReport,
    *,
    connections: int,
    chat_size: int,
    duration_s: float,
    storm_fraction: float,
    storms: int,
    rate: float,
    ramp_concurrency: int,
    max_inflight: int,
    seed: int,
) -> LoadRun:
    run = LoadRun(target, report, seed)
    await run.create_chats(connections, chat_size, f"load{uuid.uuid4().hex[:6]}")
    started = time.monotonic()
    await run.ramp(run.clients, ramp_concurrency)
    report.ramp_s = time.monotonic() - started
    begin = time.monotonic()
    until = begin + duration_s
    await asyncio.gather(
        run.send_loop(rate, until, max_inflight),
        run.storms(storms, storm_fraction, begin, until, ramp_concurrency),
    )
    report.duration_s = time.monotonic() - begin
    await run.settle(timeout=30)
    run.verify()
    # Everybody leaves: close frames, bounded concurrency.
    limit = asyncio.Semaphore(ramp_concurrency * 4)

    async def leave(client: Client) -> None:
        async with limit:
            await client.close(True)

    await asyncio.gather(*(leave(c) for c in run.clients))
    return run


def run(
    connections: int = 60,
    chat_size: int = 5,
    duration_s: float = 5.0,
    storm_fraction: float = 0.2,
    *,
    storms: int | None = None,
    rate: float | None = None,
    max_concurrency: int = 4,
    ramp_concurrency: int = 16,
    max_inflight: int = 64,
    emulator: Any = None,
    leak_timeout: float = 60.0,
    seed: int = 1,
) -> LoadReport:
    """Run the load test; starts its own emulator (in a child process) unless given one.

    ``rate``: messages per second (default: one per 50 connections a second, at least 5);
    ``storms``: how many storms during ``duration_s`` (default: one per 5 s, at least 1).
    A given emulator's ``max_concurrency`` is left as it is, and its connections and rooms
    tables must be otherwise empty for the leak check to mean anything.
    """
    started = time.monotonic()
    rate = rate or max(5.0, connections / 50)
    storms = storms if storms is not None else max(1, round(duration_s / 5))
    report = LoadReport(
        connections=connections,
        chat_size=chat_size,
        max_concurrency=getattr(emulator, "max_concurrency", max_concurrency),
        target_rate=rate,
    )
    with contextlib.ExitStack() as stack:
        if emulator is None:
            target = stack.enter_context(child_emulator(max_concurrency))
        else:
            target = Target.of(emulator)
        load = asyncio.run(
            _run(
                target,
                report,
                connections=connections,
                chat_size=chat_size,
                duration_s=duration_s,
                storm_fraction=storm_fraction,
                storms=storms,
                rate=rate,
                ramp_concurrency=ramp_concurrency,
                max_inflight=max_inflight,
                seed=seed,
            )
        )
        load.check_leaks(leak_timeout)
    report.messages_sent = load.messages_sent
    report.messages_acked = load.messages_acked
    report.send_rate = load.messages_acked / report.duration_s if report.duration_s else 0.0
    report.duplicate_deliveries = load.duplicates
    report.latency_p50_ms = percentile(load.latencies, 0.50)
    report.latency_p99_ms = percentile(load.latencies, 0.99)
    report.latency_max_ms = max(load.latencies, default=0.0)
    acks = [(s.t_ack - s.t_send) * 1000 for s in load.sent.values() if s.t_ack is not None]
    report.ack_p50_ms = percentile(acks, 0.50)
    report.ack_p99_ms = percentile(acks, 0.99)
    report.reconnects = load.reconnects
    report.syncs = load.syncs
    report.sync_recovered = load.sync_recovered
    report.errors = len(load.errors)
    report.error_samples = load.errors[:10]
    report.wall_s = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--chat-size", type=int, default=10)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sending")
    parser.add_argument("--storm-fraction", type=float, default=0.2)
    parser.add_argument("--storms", type=int, default=None, help="default: one per 5 s")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="messages per second (default: connections / 50, at least 5)",
    )
    parser.add_argument(
        "--max-concurrency", type=int, default=4, help="Lambda workers per function in the emulator"
    )
    parser.add_argument(
        "--ramp-concurrency", type=int, default=16, help="handshakes in flight at once"
    )
    parser.add_argument("--max-inflight", type=int, default=64, help="unacked sends at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--leak-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for the $disconnect backlog before checking leaks",
    )
    args = parser.parse_args(argv)
    report = run(
        args.connections,
        args.chat_size,
        args.duration,
        args.storm_fraction,
        storms=args.storms,
        rate=args.rate,
        max_concurrency=args.max_concurrency,
        ramp_concurrency=args.ramp_concurrency,
        max_inflight=args.max_inflight,
        seed=args.seed,
        leak_timeout=args.leak_timeout,
    )
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
