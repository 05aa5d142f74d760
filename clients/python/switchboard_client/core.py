"""The connection manager: connects, keeps one connection up, and resumes after a drop.

Each connection (a *session*) goes through:

1. open the WebSocket with a token (a string, or a callable returning a fresh one,
   called for every connection);
2. ``hello``; events pushed from now on are held back;
3. after a reconnect only: ``sync`` with, per chat, the newest message id delivered
   before the drop; page through ``hasMore`` (REST when ``rest_url`` is given, else
   ``sync`` again); deliver the missed messages oldest first, dropping ids already
   delivered;
4. deliver the held-back events (same dedupe), then go *ready*: requests waiting for a
   connection go out; the keep-alive timer starts (``heartbeat.keep_alive_plan``: the
   one-way ``ping`` that ``hello`` announces, else ``presence:heartbeat``);
5. when the connection ends, requests in flight on it fail with ``ConnectionLost``;
   the resendable ones (see ``requests.RESENDABLE``) are sent again by their callers
   once the next session is ready, with the same data (the same ``clientMessageId``).
   Then wait (exponential backoff with full jitter) and go to 1.

Every copy of a message (live frames, catch-up pages, acks, ``mark_seen``) is also merged
into ``messages.MessageStore``: the per-chat lists of ``messages()``, in id order and at
the newest version whatever order the copies arrived in. An update (edited, deleted,
reaction) is emitted only when it changed what the store holds; ``message:new`` once per
id, carrying the message as the store holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random as _random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any

from switchboard_client.backoff import Backoff
from switchboard_client.errors import (
    AuthenticationError,
    ClientClosed,
    ConnectError,
    ConnectionLost,
    RateLimited,
    RequestTimeout,
    ServerError,
    SwitchboardError,
)
from switchboard_client.events import EventBus, Handler, Subscription
from switchboard_client.heartbeat import Heartbeat, KeepAlivePlan, keep_alive_plan, renew_after
from switchboard_client.history import HistoryError, fetch_after
from switchboard_client.messages import DEFAULT_LIMIT, Change, MessageStore
from switchboard_client.requests import (
    Pacer,
    PendingRequests,
    build_frame,
    is_resendable,
    reply_data,
)
from switchboard_client.resume import ResumeState, Verdict
from switchboard_client.transport import Transport, TransportOptions
from switchboard_client.wire import (
    MAX_SYNC_CHATS,
    Action,
    ClientEvent,
    ConnectionSuccess,
    Event,
    Frame,
    Message,
)

log = logging.getLogger("switchboard_client")

TokenSource = str | Callable[[], str | Awaitable[str]]
OpenTransport = Callable[[str, str], Awaitable[Transport]]

# Rate-limited requests wait the server's retryAfterMs plus up to this fraction more, so
# that requests refused together do not come back together.
RATE_LIMIT_JITTER = 0.2
_REPLIES = (Event.ACK, Event.ERROR, Event.CONNECTION_SUCCESS)


@dataclass(eq=False)
class _Session:
    """One WebSocket connection, from open to end."""

    transport: Transport
    generation: int
    token: str
    reader: asyncio.Task[None] | None = None
    alive: bool = True
    buffering: bool = True  # events held back until catch-up is delivered
    held: list[tuple[str, Any]] = field(default_factory=list)
    heartbeat: Heartbeat | None = None
    keep_alive: KeepAlivePlan | None = None  # what its heartbeat timer sends, how often
    announced: bool = False  # client:connected was emitted for it
    opened_at: float = 0.0  # the event loop's time when its opening began
    connection_id: str | None = None  # as its hello said
    renewal: asyncio.Task[None] | None = None  # replaces it before API Gateway's cut
    successor: _Session | None = None  # the session that replaced it (renewed)


def _newest(messages: Iterable[Any]) -> str | None:
    ids = [m["id"] for m in messages if isinstance(m, dict) and isinstance(m.get("id"), str)]
    return max(ids) if ids else None


class ClientCore:
    """Connection, reconnect, resume, requests and events; the typed helpers are in ``api``.

    ``url`` is the WebSocket URL (``wss://.../stage``); ``token`` a JWT string or a
    callable (sync or async) returning one, called before every connection.
    ``rest_url`` (the HTTP API's base URL) lets a resume page through long gaps.
    ``heartbeat_interval`` (seconds) replaces the keep-alive interval ``hello`` announces.
    ``renew_connections``: replace each connection before API Gateway's 2-hour cut as
    ``hello``'s ``renew`` says (open the next, then close the old: never offline, no
    sync); False waits for the cut and reconnects. ``renew_drain``: seconds a replaced
    connection stays open after the switch (posts a fan-out addressed to it before the
    new connection was in the rooms may still be on their way).
    The injectable ``random``, ``sleep``, ``clock`` and ``open_transport`` are for tests.
    """

    def __init__(
        self,
        url: str,
        token: TokenSource,
        *,
        rest_url: str | None = None,
        request_timeout: float = 15.0,
        connect_timeout: float = 10.0,
        heartbeat_interval: float | None = None,
        renew_connections: bool = True,
        renew_drain: float = 5.0,
        backoff: Backoff | None = None,
        max_reconnect_attempts: int | None = None,
        rate_limit_retries: int | None = None,
        dedupe_window: float = 300.0,
        message_limit: int | None = DEFAULT_LIMIT,
        ping_interval: float | None = None,
        websocket_options: Mapping[str, Any] | None = None,
        random: Callable[[], float] = _random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        open_transport: OpenTransport | None = None,
    ) -> None:
        if request_timeout <= 0:
            raise ValueError("request_timeout must be positive")
        self.url = url
        self.rest_url = rest_url
        self.request_timeout = request_timeout
        self.heartbeat_interval = heartbeat_interval
        self.renew_connections = renew_connections
        self.renew_drain = renew_drain
        self.backoff = backoff or Backoff()
        self.max_reconnect_attempts = max_reconnect_attempts
        self.rate_limit_retries = rate_limit_retries
        self._token_source = token
        self._random = random
        self._sleep = sleep
        self._clock = clock
        options = TransportOptions(
            open_timeout=connect_timeout,
            ping_interval=ping_interval,
            extra=dict(websocket_options or {}),
        )
        self._open: OpenTransport = open_transport or (
            lambda target, tok: Transport.open(target, tok, options)
        )
        self.events = EventBus()
        self._resume = ResumeState(dedupe_window)
        self._messages = MessageStore(message_limit)
        self._pending = PendingRequests()
        self._pacer = Pacer()
        self._session: _Session | None = None  # the ready session
        self._generation = 0
        self._ready = asyncio.Event()
        self._stopped = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._sending: dict[str, int] = {}  # clientMessageIds of our sends awaiting their ack
        self.hello_data: ConnectionSuccess | None = None
        self.user_id: str | None = None
        self.connection_id: str | None = None
        self.reconnects = 0  # successful reconnects so far
        self.renewals = 0  # connections replaced before their cut so far
        # The calls this client is a peer of (callId -> peerId): rejoined on every new
        # connection (a renewal or a reconnect) before the old one is gone for good.
        self.calls: dict[str, str] = {}

    # ---------------------------------------------------------------- state
    @property
    def connected(self) -> bool:
        """True while a connection is up and caught up (requests go out at once)."""
        return self._ready.is_set()

    @property
    def keep_alive(self) -> KeepAlivePlan | None:
        """What keeps the current connection open and how often (None when not connected)."""
        session = self._session
        return session.keep_alive if session is not None else None

    @property
    def closed(self) -> bool:
        return self._stopped.is_set()

    @property
    def error(self) -> BaseException | None:
        """Why the client stopped on its own (reconnecting gave up, token refused)."""
        return self._error

    @property
    def chats(self) -> list[str]:
        """The chats the client follows (from ``hello`` and chat events)."""
        return self._resume.chats

    def cursors(self) -> dict[str, str | None]:
        """Per chat, the newest message id delivered (what the next ``sync`` asks after)."""
        return self._resume.cursors()

    def mark_seen(self, messages: Iterable[Message]) -> None:
        """Take messages the application already holds (say, history fetched over REST) as
        delivered: they are never delivered again, and advance the chat's cursor. They
        join ``messages()`` (merged by version with what is held)."""
        for message in messages:
            self._resume.record(message)
            self._messages.put(message)

    def messages(self, chat_id: str) -> list[Message]:
        """The chat's messages the client holds, in id order (creation order) whatever
        order they arrived in, each id once, each at the newest version received of it:
        live, from ``sync`` and REST pages after a drop, the acks of this client's own
        requests, and ``mark_seen``. The newest ``message_limit`` per chat are kept. A new
        list each call; treat its messages as read-only."""
        return self._messages.messages(chat_id)

    def get_message(self, chat_id: str, message_id: str) -> Message | None:
        """One message as ``messages()`` holds it, or None."""
        return self._messages.get(chat_id, message_id)

    # ---------------------------------------------------------------- events
    def on(self, name: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(event)`` for each event ``name`` (``"*"`` for all); returns ``off``."""
        return self.events.on(name, handler)

    def subscribe(self, *names: str) -> Subscription:
        """An async iterator over the events of ``names`` (all events if none)."""
        return self.events.subscribe(*names)

    # ---------------------------------------------------------------- lifecycle
    async def connect(self) -> ConnectionSuccess:
        """Open the first connection (errors are raised, not retried) and keep one open
        from then on. Returns the ``hello`` reply."""
        if self._supervisor is not None or self._stopped.is_set():
            raise ClientClosed("connect() can be called once per client")
        self.events.start()
        session = await self._establish(resume=False)
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(session), name="switchboard-client"
        )
        assert self.hello_data is not None
        return self.hello_data

    async def close(self) -> None:
        """Stop: close the connection with a close frame, fail waiting requests with
        ``ClientClosed``, deliver the events already received, end subscriptions."""
        self._closing = True
        supervisor = self._supervisor
        if (
            supervisor is not None
            and not supervisor.done()
            and supervisor is not asyncio.current_task()
        ):
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        await self._shutdown(None)

    async def wait_closed(self) -> None:
        await self._stopped.wait()

    async def reconnect(self) -> None:
        """Drop the current connection now (no close frame); the client reconnects and
        resumes as after a network drop."""
        session = self._session
        if session is not None:
            session.transport.abort()

    async def __aenter__(self) -> ClientCore:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _shutdown(self, error: BaseException | None) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._ready.clear()
        self._error = error
        session, self._session = self._session, None
        if session is not None:
            await self._end_session(session, graceful=True)
        self._pending.fail(None, self._closed_error())
        self.events.emit(ClientEvent.CLOSED, {"error": repr(error) if error else None})
        await self.events.aclose()

    def _closed_error(self) -> ClientClosed:
        error = ClientClosed("the client is closed")
        error.__cause__ = self._error
        return error

    # ---------------------------------------------------------------- sessions
    async def _token(self) -> str:
        source = self._token_source
        if isinstance(source, str):
            return source
        try:
            value = source()
            if inspect.isawaitable(value):
                value = await value
        except Exception as exc:
            raise ConnectError(f"the token callable failed: {exc!r}") from exc
        if not isinstance(value, str) or not value:
            raise ConnectError("the token callable returned no token")
        return value

    async def _establish(self, resume: bool, replacing: _Session | None = None) -> _Session:
        """Open a connection, say hello, catch up (after a drop), go ready. When
        ``replacing`` a live session (a renewal), nothing is caught up: both receive
        every event until the old one closes, and copies are dropped."""
        loop = asyncio.get_running_loop()
        opened_at = loop.time()
        token = await self._token()
        transport = await self._open(self.url, token)
        self._generation += 1
        session = _Session(transport, self._generation, token, opened_at=opened_at)
        session.buffering = replacing is None
        session.reader = loop.create_task(self._read(session))
        try:
            hello = await self._call(session, Action.HELLO)
            if replacing is not None and (not replacing.alive or self._closing):
                raise ConnectionLost("the connection being renewed ended first")
            self._apply_hello(session, hello)
            session.announced = True
            if replacing is None:
                self.events.emit(ClientEvent.CONNECTED, {**hello, "resumed": resume})
            report = await self._catch_up(session) if resume else None
            session.buffering = False
            held, session.held = session.held, []
            for name, data in held:
                self._process(name, data)
            if not session.alive:
                raise ConnectionLost("the connection ended during the catch-up")
            self._session = session
            self._ready.set()
            if replacing is not None:
                replacing.successor = session
            await self._rejoin_calls(session)
            if report is not None:
                self.events.emit(ClientEvent.RESUMED, report)
            session.keep_alive = plan = keep_alive_plan(hello, self.heartbeat_interval)
            ping = plan.ping
            session.heartbeat = Heartbeat(
                plan.interval,
                (lambda: self._ping(session, ping)) if ping else (lambda: self._beat(session)),
            )
            session.heartbeat.start()
            renewal = renew_after(hello) if self.renew_connections else None
            if renewal is not None:
                session.renewal = loop.create_task(self._renew(session, *renewal))
            return session
        except BaseException:
            await self._end_session(session, graceful=False)
            raise

    async def _rejoin_calls(self, session: _Session) -> None:
        """Move this client's call peers to ``session`` (``call:rejoin``), so signals reach
        it and the server's grace period for the old connection never removes them. A
        call that cannot be rejoined (it ended, or the grace period passed) is forgotten
        and reported as ``client:call-lost``."""
        for call_id, peer_id in list(self.calls.items()):
            try:
                await self._call(
                    session, Action.CALL_REJOIN, {"callId": call_id, "peerId": peer_id}
                )
            except ServerError as exc:
                self.calls.pop(call_id, None)
                self.events.emit(ClientEvent.CALL_LOST, {"callId": call_id, "reason": exc.code})
            else:
                self.events.emit(ClientEvent.CALL_REJOINED, {"callId": call_id, "peerId": peer_id})

    async def _renew(self, session: _Session, after: float, limit: float) -> None:
        """Replace ``session`` before API Gateway's cut: ``after`` seconds from its
        opening, open the next connection; once it is ready, close this one when its
        own requests are answered. A failed attempt is tried again (backoff) while the
        cut is still ahead; if the cut comes first, the supervisor reconnects. The old
        one stays open ``renew_drain`` seconds after the switch: a fan-out that read the
        rooms before the new connection was in them posts to the old one alone."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, session.opened_at + after - loop.time()))
        attempt = 0
        while session.alive and not self._closing:
            try:
                successor = await self._establish(resume=False, replacing=session)
            except (SwitchboardError, OSError) as exc:
                delay = self.backoff.delay(attempt, self._random)
                attempt += 1
                log.info("renewal attempt %d failed: %r", attempt, exc)
                if loop.time() + delay >= session.opened_at + limit:
                    return  # the cut comes first: reconnect then
                await asyncio.sleep(delay)
                continue
            self.renewals += 1
            session.announced = False  # its end is no disconnect
            self.events.emit(
                ClientEvent.RENEWED,
                {
                    "connectionId": successor.connection_id,
                    "previousConnectionId": session.connection_id,
                    "connectionNumber": successor.generation,
                },
            )
            switched = loop.time()
            waiting = self._pending.waiting_on(session.generation)
            if waiting:
                await asyncio.wait(waiting, timeout=self.request_timeout)
            await asyncio.sleep(max(0.0, switched + self.renew_drain - loop.time()))
            await self._end_session(session, graceful=True)
            return

    def _apply_hello(self, session: _Session, hello: Any) -> None:
        if not isinstance(hello, dict):
            raise ConnectionLost("hello was not answered with connection:success")
        self.hello_data = hello  # type: ignore[assignment]
        self.user_id = hello.get("userId")
        self.connection_id = session.connection_id = hello.get("connectionId")
        self._resume.add_chats(c for c in hello.get("chats") or [] if isinstance(c, str))
        if self._resume.baseline_ms is None:
            server_ms = _iso_ms(hello.get("serverTime"))
            if server_ms is None:  # a server older than serverTime: the handshake's Date
                server_ms = session.transport.server_time_ms
            self._resume.start(server_ms if server_ms is not None else int(self._clock() * 1000))

    async def _end_session(self, session: _Session, graceful: bool) -> None:
        """Tear a session down (idempotent): timers, socket, reader, its requests."""
        self._mark_dead(session)
        renewal = session.renewal
        if (
            renewal is not None
            and session.successor is None  # a finished renewal closes its own session
            and not renewal.done()
            and renewal is not asyncio.current_task()
        ):
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
        if session.heartbeat is not None:
            await session.heartbeat.stop()
        if graceful:
            await session.transport.close()
        else:
            session.transport.abort()
        reader = session.reader
        if reader is not None and not reader.done() and reader is not asyncio.current_task():
            if graceful:
                await asyncio.wait({reader}, timeout=5)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._pending.fail(session.generation, ConnectionLost("the connection ended"))
        if session.announced:
            session.announced = False
            self.events.emit(
                ClientEvent.DISCONNECTED,
                {
                    "code": session.transport.close_code,
                    "reason": session.transport.close_reason,
                    "connectionNumber": session.generation,
                },
            )

    def _mark_dead(self, session: _Session) -> None:
        session.alive = False
        if self._session is session:
            self._session = None
            self._ready.clear()

    async def _supervise(self, session: _Session) -> None:
        """Wait for the connection to end; reconnect; repeat until closed."""
        try:
            while True:
                assert session.reader is not None
                await asyncio.wait({session.reader})
                await self._end_session(session, graceful=False)
                if self._closing:
                    return
                if session.successor is not None:  # renewed: follow its successor
                    session = session.successor
                    continue
                session = await self._reconnect()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("the client stops: %r", exc)
            await self._shutdown(exc)

    async def _reconnect(self) -> _Session:
        attempt = 0
        while True:
            limit = self.max_reconnect_attempts
            if limit is not None and attempt >= limit:
                raise ConnectError(f"could not reconnect in {attempt} attempts")
            await self._sleep(self.backoff.delay(attempt, self._random))
            attempt += 1
            try:
                session = await self._establish(resume=True)
            except AuthenticationError:
                if isinstance(self._token_source, str):
                    raise  # the same token would be refused again
                log.warning("reconnect attempt %d: token refused", attempt)
            except (SwitchboardError, OSError) as exc:
                log.info("reconnect attempt %d failed: %r", attempt, exc)
            else:
                self.reconnects += 1
                return session

    # ---------------------------------------------------------------- receiving
    async def _read(self, session: _Session) -> None:
        try:
            async for frame in session.transport.frames():
                self._on_frame(session, frame)
        finally:
            self._mark_dead(session)
            self._pending.fail(session.generation, ConnectionLost("the connection ended"))

    def _on_frame(self, session: _Session, frame: Frame) -> None:
        event = frame.get("event")
        if not isinstance(event, str):
            # API Gateway's own frames ({"message": "Internal server error", ...}) carry
            # its requestId, not ours: the request they answer times out.
            log.warning("frame from the gateway: %.300r", frame)
            self.events.emit(ClientEvent.GATEWAY_ERROR, frame)
            return
        request_id = frame.get("requestId")
        if event in _REPLIES and request_id is not None:
            if not self._pending.resolve(str(request_id), session.generation, frame):
                log.debug("reply to a request nobody waits for: %.300r", frame)
            return
        if event != Event.ERROR and event in _REPLIES:
            return
        data = frame.get("data")
        if session.buffering:
            session.held.append((event, data))
        else:
            self._process(event, data)

    def _process(self, event: str, data: Any) -> None:
        """Merge into the message store, dedupe and track chats, then emit."""
        if isinstance(data, dict):
            resume = self._resume
            if event == Event.MESSAGE_NEW:
                merged, _ = self._messages.put(data)
                # Raised once per id, as the store now holds it (updates that overtook it
                # applied).
                if self._own_in_flight(data) or not resume.accept_live(merged):
                    return
                data = merged
            elif event == Event.MESSAGE_EDITED:
                merged, change = self._messages.put(data)
                if not self._accept_update(change, data.get("chatId"), data.get("id"), data):
                    return
                data = merged
            elif event == Event.MESSAGE_DELETED:
                change = self._messages.deleted(data)
                if not self._accept_update(change, data.get("chatId"), data.get("messageId"), data):
                    return
            elif event == Event.MESSAGE_REACTION:
                change = self._messages.reaction(data)
                if not self._accept_update(change, data.get("chatId"), data.get("messageId"), data):
                    return
            elif event == Event.CHAT_CREATED and isinstance(data.get("id"), str):
                resume.add_chats([data["id"]])
            elif (
                event == Event.CHAT_MEMBER_ADDED
                and data.get("userId") == self.user_id
                and isinstance(data.get("chatId"), str)
            ):
                resume.add_chats([data["chatId"]])
            elif (
                event == Event.CHAT_MEMBER_REMOVED
                and data.get("userId") == self.user_id
                and isinstance(data.get("chatId"), str)
            ):
                self._forget_chat(data["chatId"])
            elif event in (Event.CALL_ENDED, Event.CALL_CANCELLED):
                self.calls.pop(str(data.get("callId")), None)
            elif event == Event.CALL_LEFT and self.calls.get(str(data.get("callId"))) == data.get(
                "peerId"
            ):
                self.calls.pop(str(data.get("callId")), None)  # ours, dropped for good
        self.events.emit(event, data)

    def _accept_update(self, change: Change, chat_id: Any, message_id: Any, data: Any) -> bool:
        """Whether an update (edited, deleted, reaction) is raised: when it changed what the
        store holds (a duplicate or an overtaken copy did not). Outside what the store
        keeps, by the dedupe window's versions (a version already delivered is dropped)."""
        delivered = self._resume.accept_update(chat_id, message_id, data.get("version"))
        if change is Change.UNTRACKED:
            return delivered
        return change is Change.CHANGED

    def _forget_chat(self, chat_id: str) -> None:
        self._resume.remove_chat(chat_id)
        self._messages.forget(chat_id)

    # ---------------------------------------------------------------- catching up
    async def _catch_up(self, session: _Session) -> dict[str, Any]:
        """``sync`` every chat from its cursor; deliver what is new, oldest first."""
        wanted = list(self._resume.sync_request().items())
        delivered: dict[str, int] = {}
        unknown: list[str] = []
        for start in range(0, len(wanted), MAX_SYNC_CHATS):
            chunk = dict(wanted[start : start + MAX_SYNC_CHATS])
            reply = await self._call(session, Action.SYNC, {"chats": chunk})
            if not isinstance(reply, dict):
                continue
            for chat_id in reply.get("unknown") or []:
                unknown.append(chat_id)
                self._forget_chat(chat_id)
            for chat_id, page in (reply.get("chats") or {}).items():
                messages = page.get("messages") or []
                count = self._deliver_synced(messages)
                if page.get("hasMore"):
                    after = _newest(messages) or chunk.get(chat_id)
                    count += await self._fetch_more(session, chat_id, after)
                delivered[chat_id] = count
        return {"chats": delivered, "unknown": unknown}

    async def _fetch_more(self, session: _Session, chat_id: str, after: str | None) -> int:
        """The rest of a chat's gap after a ``hasMore``: REST pages, else ``sync`` again."""
        count = 0
        if self.rest_url and after is not None:
            cursor: str | None = after
            try:
                while cursor is not None:
                    page, next_cursor = await fetch_after(
                        self.rest_url, session.token, chat_id, cursor, timeout=self.request_timeout
                    )
                    count += self._deliver_synced(page)
                    after, cursor = _newest(page) or after, next_cursor
            except HistoryError as exc:
                self._gap(chat_id, after, str(exc))
            return count
        while True:
            reply = await self._call(session, Action.SYNC, {"chats": {chat_id: after}})
            chat = (reply.get("chats") or {}).get(chat_id) if isinstance(reply, dict) else None
            if chat is None:
                return count
            messages = chat.get("messages") or []
            count += self._deliver_synced(messages)
            if not chat.get("hasMore"):
                return count
            newest = _newest(messages)
            if newest is None or (after is not None and newest <= after):
                self._gap(
                    chat_id,
                    after,
                    "sync makes no progress (a dense burst): "
                    "give the client a rest_url to page through it",
                )
                return count
            after = newest

    def _gap(self, chat_id: str, after: str | None, reason: str) -> None:
        log.warning(
            "chat %s: messages after %s could not all be fetched: %s", chat_id, after, reason
        )
        self.events.emit(ClientEvent.GAP, {"chatId": chat_id, "after": after, "reason": reason})

    def _deliver_synced(self, messages: Iterable[Any]) -> int:
        """Emit the new messages among ``messages`` in id order; count them."""
        count = 0
        valid = [m for m in messages if isinstance(m, dict) and isinstance(m.get("id"), str)]
        for message in sorted(valid, key=lambda m: m["id"]):
            merged, change = self._messages.put(message)
            if self._own_in_flight(message):
                continue
            verdict = self._resume.accept_synced(merged)
            if verdict is Verdict.NEW:
                self.events.emit(Event.MESSAGE_NEW, merged)
                count += 1
            elif verdict is Verdict.UPDATED and change is not Change.STALE:
                self.events.emit(Event.MESSAGE_EDITED, merged)
        return count

    def _own_in_flight(self, message: dict[str, Any]) -> bool:
        """A message of one of our sends still awaiting its ack (stored, ack lost in a drop):
        taken as delivered, not emitted; its caller gets it as the ack of the resend."""
        if (
            message.get("senderId") != self.user_id
            or message.get("clientMessageId") not in self._sending
        ):
            return False
        self._resume.record(message)
        return True

    async def _ping(self, session: _Session, action: str) -> None:
        """The keep-alive: one frame, no requestId, nothing awaited (nothing answers it).
        Never raises: a send that fails means the connection is going away, so it is
        dropped and the supervisor reconnects."""
        if not session.alive:
            return
        try:
            await session.transport.send({"action": action})
        except Exception as exc:
            log.info("keep-alive not sent (%r): dropping the connection", exc)
            session.transport.abort()

    async def _beat(self, session: _Session) -> None:
        try:
            ack = await self._call(session, Action.PRESENCE_HEARTBEAT)
        except RequestTimeout:
            log.warning(
                "heartbeat not acked in %.0f s: dropping the connection", self.request_timeout
            )
            session.transport.abort()
            return
        except (ConnectionLost, ServerError) as exc:
            log.info("heartbeat: %r", exc)
            return
        self.events.emit(ClientEvent.HEARTBEAT, ack)

    # ---------------------------------------------------------------- requests
    async def request(
        self,
        action: str,
        data: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        resend: bool | None = None,
    ) -> Any:
        """Send an action and return its reply's data, or raise its error.

        Waits for a connection if there is none (within ``timeout``, which covers the
        whole request). A ``rate_limited`` refusal is retried after the advised delay
        (plus up to 20 %), as long as that fits in the timeout (and at most
        ``rate_limit_retries`` times if set); meanwhile the other requests of the same
        bucket wait and then go one at a time (``requests.Pacer``). If the connection drops
        before the reply, a resendable request (``resend``; by default those in
        ``requests.RESENDABLE`` and ``message:send`` with a ``clientMessageId``) is sent
        again on the next connection; any other raises ``ConnectionLost``.
        """
        if self._supervisor is None and not self._stopped.is_set():
            raise ClientClosed("not connected: await connect() first")
        resendable = is_resendable(action, data) if resend is None else resend
        client_message_id = (
            data.get("clientMessageId")
            if data is not None and action == Action.MESSAGE_SEND
            else None
        )
        if not isinstance(client_message_id, str):
            return await self._request(action, data, timeout, resendable)
        self._sending[client_message_id] = self._sending.get(client_message_id, 0) + 1
        try:
            return await self._request(action, data, timeout, resendable)
        finally:
            self._sending[client_message_id] -= 1
            if not self._sending[client_message_id]:
                del self._sending[client_message_id]

    async def _request(
        self, action: str, data: Mapping[str, Any] | None, timeout: float | None, resendable: bool
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.request_timeout if timeout is None else timeout)
        refusals = 0
        while True:
            session = await self._wait_ready(deadline)
            try:
                frame = await self._paced_exchange(session, action, data, deadline)
            except ConnectionLost:
                if resendable and not self._stopped.is_set():
                    await asyncio.sleep(0)
                    continue
                raise
            try:
                return reply_data(frame, action)
            except RateLimited as exc:
                refusals += 1
                if not self._may_retry(action, exc, refusals, deadline):
                    raise

    async def _call(
        self, session: _Session, action: str, data: Mapping[str, Any] | None = None
    ) -> Any:
        """A request on one given connection (hello, sync, heartbeat): not resent."""
        deadline = asyncio.get_running_loop().time() + self.request_timeout
        refusals = 0
        while True:
            frame = await self._paced_exchange(session, action, data, deadline)
            try:
                return reply_data(frame, action)
            except RateLimited as exc:
                refusals += 1
                if not self._may_retry(action, exc, refusals, deadline):
                    raise

    def _may_retry(self, action: str, error: RateLimited, refusals: int, deadline: float) -> bool:
        """Hold the action's bucket for the advised delay (plus jitter); True when the
        refused request may be sent again (retries left and the wait fits the timeout)."""
        resume_at = asyncio.get_running_loop().time() + error.retry_after * (
            1 + RATE_LIMIT_JITTER * self._random()
        )
        self._pacer.hold(action, resume_at)
        limit = self.rate_limit_retries
        return (limit is None or refusals <= limit) and resume_at < deadline

    async def _paced_exchange(
        self, session: _Session, action: str, data: Mapping[str, Any] | None, deadline: float
    ) -> Frame:
        async with self._pacer.turn(action, deadline, self._sleep):
            return await self._exchange(session, action, data, deadline)

    async def _wait_ready(self, deadline: float) -> _Session:
        while True:
            if self._stopped.is_set():
                raise self._closed_error()
            session = self._session
            if session is not None and session.alive and self._ready.is_set():
                return session
            waiters = {
                asyncio.ensure_future(self._ready.wait()),
                asyncio.ensure_future(self._stopped.wait()),
            }
            try:
                async with asyncio.timeout_at(deadline):
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            except TimeoutError:
                raise RequestTimeout("no connection within the request timeout") from None
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def _exchange(
        self, session: _Session, action: str, data: Mapping[str, Any] | None, deadline: float
    ) -> Frame:
        """Send one frame on ``session`` and wait for the frame answering it."""
        if not session.alive:
            raise ConnectionLost("the connection ended")
        request_id, future = self._pending.open(session.generation)
        try:
            await session.transport.send(build_frame(action, request_id, data))
            try:
                async with asyncio.timeout_at(deadline):
                    return await future
            except TimeoutError:
                raise RequestTimeout(f"{action}: no reply within the timeout") from None
        finally:
            self._pending.forget(request_id)


def _iso_ms(value: Any) -> int | None:
    """Epoch ms of an ISO 8601 time such as ``2026-11-26T10:00:00.123Z``, or None."""
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None
