"""Reconnect and resume, end to end: a cut network, a server-side drop, API Gateway's
2-hour cut (shortened), sends in flight across a drop, tokens, backoff and giving up.

The guarantee checked everywhere: every message of the chat sent while the client was
(or should have been) listening is delivered exactly once, in the order it was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from switchboard_client import (
    AuthenticationError,
    Backoff,
    ClientClosed,
    ConnectError,
    ConnectionLost,
    RequestTimeout,
    SwitchboardClient,
)
from switchboard_client.transport import Transport
from tests.client.conftest import FAST, WAIT, Device, OpenDevice, Recorder
from tests.client.fakeserver import FakeServer
from tests.client.netproxy import TcpProxy
from tests.conftest import TEMPLATE

pytestmark = pytest.mark.anyio


async def send_all(device: Device, chat_id: str, bodies: list[str]) -> list[str]:
    """Send one after the other (each acked before the next); the ids, in order."""
    return [(await device.client.send_message(chat_id, body))["id"] for body in bodies]


def assert_exactly_once_in_order(inbox: Recorder, chat_id: str, expected: list[str]) -> None:
    got = inbox.message_ids(chat_id)
    assert len(got) == len(set(got)), "a message was delivered twice"
    assert got == expected


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def history(api: Callable[..., httpx.Response], user_id: str, chat_id: str) -> list[dict]:
    """Every stored message of the chat (REST, all pages), newest first."""
    messages: list[dict] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        response = api(user_id, "GET", f"/chats/{chat_id}/messages", params=params)
        assert response.status_code == 200, response.text
        messages += response.json()["messages"]
        if not response.json()["nextCursor"]:
            return messages
        params["cursor"] = response.json()["nextCursor"]


# ------------------------------------------------------------------ a network drop
async def test_messages_sent_during_a_network_drop_are_delivered_once_in_order(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a = await device(alice)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    expected = await send_all(a, chat_id, ["before 1", "before 2", "before 3"])
    await b.inbox.wait_ids(expected)

    proxy.refuse()  # the network is gone: the drop, and no way back for now
    proxy.sever()
    await b.inbox.wait_count("client:disconnected", 1)
    expected += await send_all(a, chat_id, [f"during {i}" for i in range(10)])
    assert not b.client.connected

    proxy.accept()  # the network is back
    resumed = (await b.inbox.wait_count("client:resumed", 1))[0]
    await b.inbox.wait_ids(expected)
    assert resumed["chats"][chat_id] == 10
    expected += await send_all(a, chat_id, ["after 1", "after 2"])
    await b.inbox.wait_ids(expected)
    assert_exactly_once_in_order(b.inbox, chat_id, expected)
    assert b.client.cursors()[chat_id] == expected[-1]
    assert b.client.reconnects == 1


async def test_a_server_side_drop_while_messages_flow_loses_nothing(
    device: OpenDevice,
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a, b = await device(alice), await device(bob)
    bodies = [f"m{i}" for i in range(30)]
    sending = asyncio.ensure_future(send_all(a, chat_id, bodies))
    await b.inbox.wait(lambda: len(b.inbox.message_ids()) >= 5, "the first messages")
    # API Gateway losing the connection mid-stream: no close frame, no $disconnect
    await asyncio.to_thread(emulator.sever, b.client.connection_id)
    expected = await sending
    await b.inbox.wait_ids(expected)
    assert_exactly_once_in_order(b.inbox, chat_id, expected)
    assert len(b.inbox.named("client:resumed")) >= 1


async def test_a_chat_with_nothing_received_yet_is_caught_up_from_the_connection_start(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    api: Callable[..., httpx.Response],
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    quiet = create_chat(alice, bob)
    old = await send_all(await device(alice), quiet, ["history, before bob connects"])
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    b.client.mark_seen(history(api, bob, quiet))  # the app shows the history it fetched
    a = await device(alice)
    await b.client.list_typing(quiet)  # bob is surely connected
    created = api(alice, "POST", "/chats", json={"members": [bob], "name": "new"}).json()
    await b.inbox.wait_count("chat:created", 1)
    assert set(b.client.chats) == {quiet, created["id"]}

    proxy.refuse()
    proxy.sever()
    await b.inbox.wait_count("client:disconnected", 1)
    missed_quiet = await send_all(a, quiet, ["while bob is away"])
    missed_new = await send_all(a, created["id"], ["first words in the new chat"])
    proxy.accept()
    await b.inbox.wait_ids(missed_quiet + missed_new)
    await b.inbox.wait_count("client:resumed", 1)
    assert_exactly_once_in_order(b.inbox, quiet, missed_quiet)  # not the history again
    assert_exactly_once_in_order(b.inbox, created["id"], missed_new)
    assert old[0] not in b.inbox.message_ids()


async def test_an_edit_made_during_the_drop_is_delivered_as_message_edited(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a = await device(alice)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    [first] = await send_all(a, chat_id, ["typo"])
    await b.inbox.wait_ids([first])
    proxy.refuse()
    proxy.sever()
    await b.inbox.wait_count("client:disconnected", 1)
    await a.client.edit_message(chat_id, first, "fixed")
    later = await send_all(a, chat_id, ["after the edit"])
    proxy.accept()
    await b.inbox.wait_ids(later)
    edits = await b.inbox.wait_count("message:edited", 1)
    assert edits == [{**edits[0], "id": first, "body": "fixed", "version": 2}]
    assert_exactly_once_in_order(b.inbox, chat_id, [first, *later])


async def test_a_long_gap_is_paged_through_rest(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a = await device(alice)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    expected = await send_all(a, chat_id, ["before"])
    await b.inbox.wait_ids(expected)
    proxy.refuse()
    proxy.sever()
    await b.inbox.wait_count("client:disconnected", 1)
    expected += await send_all(a, chat_id, [f"burst {i}" for i in range(70)])  # sync gives 50
    proxy.accept()
    await b.inbox.wait_count("client:resumed", 1)
    await b.inbox.wait_ids(expected)
    assert_exactly_once_in_order(b.inbox, chat_id, expected)
    assert b.inbox.named("client:gap") == []


async def test_without_rest_a_dense_gap_is_reported_not_hidden(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a = await device(alice)
    b = await device(bob, url=proxy.url(emulator.websocket_url), rest_url=None)
    expected = await send_all(a, chat_id, ["before"])
    await b.inbox.wait_ids(expected)
    proxy.refuse()
    proxy.sever()
    await b.inbox.wait_count("client:disconnected", 1)
    expected += await send_all(a, chat_id, [f"burst {i}" for i in range(70)])
    proxy.accept()
    gap = (await b.inbox.wait_count("client:gap", 1))[0]
    assert gap["chatId"] == chat_id
    got = b.inbox.message_ids(chat_id)
    assert got == expected[: len(got)] and len(got) < len(expected)  # a prefix, never a hole


# ------------------------------------------------------------------ sends across a drop
async def test_a_send_whose_ack_was_lost_is_resent_and_stored_once(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    api: Callable[..., httpx.Response],
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a = await device(alice)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    proxy.hold_replies()  # the server's answers stop reaching bob
    sending = asyncio.ensure_future(b.client.send_message(chat_id, "only once", timeout=WAIT))
    await a.inbox.wait_count("message:new", 1)  # stored and fanned out: only the ack is lost
    proxy.sever()
    proxy.release_replies()
    ack = await sending
    [delivered] = a.inbox.messages()
    assert ack == delivered
    marker = await send_all(b, chat_id, ["marker"])
    await a.inbox.wait_ids(marker)
    assert_exactly_once_in_order(a.inbox, chat_id, [ack["id"], *marker])
    stored = [m for m in history(api, alice, chat_id) if m["body"] == "only once"]
    assert [m["id"] for m in stored] == [ack["id"]]
    assert b.client.reconnects == 1
    assert b.inbox.messages() == []  # its own message is not delivered back by the sync


async def test_a_send_whose_request_was_lost_is_sent_after_the_reconnect(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    api: Callable[..., httpx.Response],
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    proxy.hold_requests()  # bob's frames stop reaching the server
    sending = asyncio.ensure_future(b.client.send_message(chat_id, "late", timeout=WAIT))
    await wait_until(lambda: proxy.held_chunks > 0, "the send to reach the proxy")
    proxy.sever()
    proxy.release_requests()
    ack = await sending
    stored = [m for m in history(api, alice, chat_id) if m["body"] == "late"]
    assert [m["id"] for m in stored] == [ack["id"]]


async def test_sends_made_while_disconnected_wait_for_the_connection(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    api: Callable[..., httpx.Response],
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    proxy.refuse()
    proxy.sever()
    await b.inbox.wait_count("client:disconnected", 1)
    outbox = [
        asyncio.ensure_future(b.client.send_message(chat_id, f"queued {i}", timeout=WAIT))
        for i in range(5)
    ]
    await asyncio.sleep(0.2)
    assert not any(f.done() for f in outbox)
    proxy.accept()
    acks = await asyncio.gather(*outbox)
    bodies = sorted(m["body"] for m in history(api, alice, chat_id))
    assert bodies == [f"queued {i}" for i in range(5)]
    assert len({ack["id"] for ack in acks}) == 5


async def test_an_edit_in_flight_across_a_drop_raises_connection_lost(
    device: OpenDevice,
    proxy: TcpProxy,
    emulator: Any,
    create_chat: Callable[..., str],
    user: Any,
) -> None:
    bob = user("bob")
    chat_id = create_chat(bob)
    b = await device(bob, url=proxy.url(emulator.websocket_url))
    [sent] = await send_all(b, chat_id, ["draft"])
    proxy.hold_replies()
    editing = asyncio.ensure_future(b.client.edit_message(chat_id, sent, "final"))
    await wait_until(lambda: proxy.held_chunks > 0, "the edit's reply to be held")
    proxy.sever()
    proxy.release_replies()
    with pytest.raises(ConnectionLost):
        await editing  # not resent: an edit applied twice would make two versions
    await b.inbox.wait_count("client:resumed", 1)


# ------------------------------------------------------------------ the 2-hour cut
@pytest.fixture(scope="module")
def short_lived(emulator: Any) -> Iterator[Any]:
    """An emulator whose connections last at most CUT seconds (API Gateway: 2 hours)."""
    from infra.emulator import Emulator
    from tests.wsclient import ChatClient

    limits = ",".join(f"{b}=100000/10000" for b in ("message", "typing", "heartbeat", "default"))
    emu = Emulator(
        TEMPLATE,
        stage="cut",
        schedules=False,
        max_connection_duration=CUT,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        parameter_overrides={"RateLimits": limits},
    )
    emu.start()
    try:
        for _ in range(2):  # warm the Lambda workers: cold starts are slow on a busy machine
            with ChatClient(emu.websocket_url, emu.token("warm-up")) as warm:
                for _ in range(emu.max_concurrency):
                    warm.send("hello")
                warm.drain(1.0)
        yield emu
    finally:
        emu.stop()


CUT = 4.0  # seconds


def short_lived_api(emu: Any) -> Callable[..., httpx.Response]:
    def api(user_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {emu.token(user_id)}"}
        return httpx.request(method, f"{emu.rest_url}{path}", headers=headers, timeout=30, **kwargs)

    return api


def short_lived_chat(api: Callable[..., httpx.Response], creator: str, member: str) -> str:
    for _ in range(3):  # a Lambda timing out on a overloaded machine answers 500
        response = api(creator, "POST", "/chats", json={"members": [member]})
        if response.status_code < 500:
            break
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_connections_are_renewed_before_the_cut_and_nobody_notices(
    device: OpenDevice,
    short_lived: Any,
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = short_lived_chat(short_lived_api(short_lived), alice, bob)
    # The drain within the second a 4 s stage leaves between renewal and cut.
    a = await device(alice, emu=short_lived, renew_drain=0.3)
    b = await device(bob, emu=short_lived, renew_drain=0.3)
    first = a.client.connection_id
    expected: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    # Alice sends steadily until both clients renewed their connections at least twice.
    while b.client.renewals < 2 or a.client.renewals < 2:
        assert loop.time() < deadline, "the connections were not renewed"
        expected += await send_all(a, chat_id, [f"m{len(expected)}"])
        await asyncio.sleep(0.05)
    expected += await send_all(a, chat_id, ["last"])
    await b.inbox.wait_ids(expected)
    assert_exactly_once_in_order(b.inbox, chat_id, expected)
    for device_, other in ((a, bob), (b, alice)):
        # Never dropped, never resumed (no sync), and the other never seen offline.
        assert device_.client.reconnects == 0
        assert device_.inbox.named("client:disconnected") == []
        assert device_.inbox.named("client:resumed") == []
        statuses = [e for e in device_.inbox.named("user:status") if e["userId"] == other]
        assert all(e["status"] != "offline" for e in statuses), statuses
    renewed = a.inbox.named("client:renewed")
    assert renewed[0]["previousConnectionId"] == first
    chain = [first] + [r["connectionId"] for r in renewed]
    assert len(set(chain)) == len(chain)  # a new connection each time
    assert [r["previousConnectionId"] for r in renewed] == chain[:-1]


async def test_a_call_survives_its_peers_renewal_without_the_other_noticing(
    device: OpenDevice,
    short_lived: Any,
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = short_lived_chat(short_lived_api(short_lived), alice, bob)
    a = await device(alice, emu=short_lived, renew_drain=0.3)
    b = await device(bob, emu=short_lived, renew_drain=0.3)
    invited = await a.client.invite_call(chat_id, "audio")
    call_id = invited["call"]["callId"]
    await b.inbox.wait_count("call:ringing", 1)
    answered = await b.client.accept_call(call_id)
    renewed = b.client.renewals
    await b.inbox.wait(lambda: b.client.renewals > renewed, "bob's connection renewed")
    [rejoined] = await b.inbox.wait_count("client:call-rejoined", 1)
    assert rejoined == {"callId": call_id, "peerId": answered["peerId"]}
    # Signals reach bob on his new connection, and alice never saw him leave.
    before = len(b.inbox.named("call:signal"))
    await a.client.signal(call_id, answered["peerId"], "candidate", {"candidate": "c"})
    await b.inbox.wait_count("call:signal", before + 1)
    assert a.inbox.named("call:left") == [] and a.inbox.named("call:ended") == []
    assert b.client.calls == {call_id: answered["peerId"]}
    await a.client.leave_call(call_id)


async def test_a_failed_renewal_keeps_the_connection_and_is_tried_again(
    fake_server: FakeServer,
) -> None:
    fake_server.renew = {"afterSeconds": 0.1, "maxSeconds": 600}
    client = SwitchboardClient(fake_server.url, "tok", backoff=FAST, renew_drain=0.2)
    inbox = Recorder(client)
    await client.connect()
    try:
        fake_server.refuse_status = 503  # the next connections fail to open
        async with asyncio.timeout(WAIT):
            while len(fake_server.tokens) < 3:  # the first, then two failed renewals
                await asyncio.sleep(0.01)
        assert (client.connected, client.connection_id, client.renewals) == (True, "c1", 0)
        fake_server.renew = None  # (the successor is not renewed in turn)
        fake_server.refuse_status = None
        renewed = await inbox.wait_count("client:renewed", 1)
        assert renewed == [
            {"connectionId": "c2", "previousConnectionId": "c1", "connectionNumber": 2}
        ]
        first = fake_server.connections[0]
        # Open for renew_drain more: posts addressed to it alone may be on their way.
        await first.send(json.dumps({"event": "user:status", "data": {"userId": "bob"}}))
        assert (await inbox.wait_count("user:status", 1))[0] == {"userId": "bob"}
        await asyncio.wait_for(first.wait_closed(), WAIT)
        assert first.close_code == 1000  # closed by the client, not dropped
        assert client.connection_id == "c2" and client.reconnects == 0
        assert inbox.named("client:disconnected") == []
        assert fake_server.actions("sync") == []
    finally:
        await client.close()


async def test_a_cut_during_a_renewal_abandons_it_and_reconnects_with_sync() -> None:
    def swallow_the_renewals_hello(frame: dict[str, Any], server: FakeServer, conn: Any) -> bool:
        return frame.get("action") == "hello" and server.connections.index(conn) == 1

    server = await FakeServer(swallow_the_renewals_hello).start()
    server.renew = {"afterSeconds": 0.05, "maxSeconds": 600}
    client = SwitchboardClient(server.url, "tok", backoff=FAST, request_timeout=WAIT)
    inbox = Recorder(client)
    try:
        await client.connect()
        server.renew = None  # (the reconnect's connection is not renewed in turn)
        await server.wait_actions("hello", 2, WAIT)  # the renewal's, never answered
        await server.connections[0].close()  # the cut comes first
        await inbox.wait_count("client:resumed", 1)  # a drop: reconnected and caught up
        assert (client.reconnects, client.renewals, client.connection_id) == (1, 0, "c3")
        assert len(inbox.named("client:disconnected")) == 1
        abandoned = server.connections[1]
        await asyncio.wait_for(abandoned.wait_closed(), WAIT)  # closed by the client
        assert inbox.named("client:renewed") == []
    finally:
        await client.close()
        await server.close()


async def test_resume_across_the_maximum_connection_duration(
    device: OpenDevice,
    short_lived: Any,
    user: Any,
) -> None:
    alice, bob = user("alice"), user("bob")
    api = short_lived_api(short_lived)
    chat_id = short_lived_chat(api, alice, bob)
    # Clients that do not renew (or servers that do not say when): cut, reconnect, sync.
    a = await device(alice, emu=short_lived, renew_connections=False)
    b = await device(bob, emu=short_lived, renew_connections=False)
    expected: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    # Alice sends steadily until both clients were cut (and came back) at least twice.
    while b.client.reconnects < 2 or a.client.reconnects < 2:
        assert loop.time() < deadline, "the connections were not cut"
        expected += await send_all(a, chat_id, [f"m{len(expected)}"])
        await asyncio.sleep(0.05)
    expected += await send_all(a, chat_id, ["last"])
    await b.inbox.wait_ids(expected)
    assert_exactly_once_in_order(b.inbox, chat_id, expected)
    cuts = b.inbox.named("client:disconnected")
    assert {c["code"] for c in cuts} == {1001}  # "Going away", as API Gateway closes
    stored = history(api, bob, chat_id)
    assert sorted(m["id"] for m in stored) == sorted(expected)  # each send stored once


# ------------------------------------------------------------------ tokens
async def test_the_token_callable_is_called_for_every_connection(
    device: OpenDevice,
    emulator: Any,
    proxy: TcpProxy,
    user: Any,
) -> None:
    bob = user("bob")
    issued: list[str] = []
    refuse_next = 2

    async def token() -> str:
        nonlocal refuse_next
        if refuse_next and issued:
            refuse_next -= 1
            issued.append("expired")
            return "expired"  # refused with 403: a fresh token comes on the next attempt
        issued.append(emulator.token(bob))
        return issued[-1]

    b = await device(bob, url=proxy.url(emulator.websocket_url), token=token)
    proxy.sever()
    await b.inbox.wait_count("client:resumed", 1)
    assert issued[0] != "expired" and issued[1:3] == ["expired", "expired"]
    assert len(issued) == 4 and b.client.reconnects == 1


async def test_a_refused_static_token_stops_the_client(fake_server: FakeServer) -> None:
    client = SwitchboardClient(fake_server.url, "static", backoff=FAST)
    inbox = Recorder(client)
    await client.connect()
    fake_server.refuse_status = 403  # say the token expired
    await fake_server.connections[0].close()
    await client.wait_closed()
    assert isinstance(client.error, AuthenticationError)
    assert (await inbox.wait_count("client:closed", 1))[0]["error"]
    with pytest.raises(ClientClosed) as info:
        await client.list_typing("c")
    assert isinstance(info.value.__cause__, AuthenticationError)
    await client.close()


# ------------------------------------------------------------------ backoff in the loop
class FlakyNetwork:
    """``open_transport`` failing ``failures`` times before each success; records waits."""

    def __init__(self, url: str, failures: int) -> None:
        self.url = url
        self.failures = failures
        self.failed = 0
        self.waits: list[float] = []

    async def open(self, url: str, token: str) -> Transport:
        if self.failed < self.failures:
            self.failed += 1
            raise ConnectError("network unreachable")
        self.failed = 0
        return await Transport.open(self.url, token)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)  # no real waiting


@contextlib.asynccontextmanager
async def flaky_client(
    server: FakeServer, failures: int, **options: Any
) -> AsyncIterator[tuple[SwitchboardClient, FlakyNetwork, Recorder]]:
    network = FlakyNetwork(server.url, failures)
    client = SwitchboardClient(
        server.url, "t", open_transport=network.open, sleep=network.sleep, **options
    )
    inbox = Recorder(client)
    network.failed = failures  # the first connection succeeds
    await client.connect()
    try:
        yield client, network, inbox
    finally:
        await client.close()


async def test_reconnect_delays_grow_to_the_cap_and_reset_after_success(
    fake_server: FakeServer,
) -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=8.0)
    async with flaky_client(fake_server, 6, backoff=backoff, random=lambda: 0.999) as (
        client,
        network,
        inbox,
    ):
        await client.reconnect()
        await inbox.wait_count("client:resumed", 1)
        first = list(network.waits)
        assert first == pytest.approx([0.999, 1.998, 3.996, 7.992, 7.992, 7.992, 7.992])
        assert all(w <= backoff.cap for w in first)
        await client.reconnect()
        await inbox.wait_count("client:resumed", 2)
        assert network.waits[len(first)] == pytest.approx(0.999)  # the schedule restarted


async def test_reconnecting_gives_up_after_max_attempts(fake_server: FakeServer) -> None:
    async with flaky_client(
        fake_server, 1_000, backoff=Backoff(base=1, cap=4), max_reconnect_attempts=5
    ) as (client, network, inbox):
        waiting = asyncio.ensure_future(client.list_typing("c", timeout=WAIT))
        await client.reconnect()
        await client.wait_closed()
        assert isinstance(client.error, ConnectError)
        assert len(network.waits) == 5 and max(network.waits) <= 4
        with pytest.raises(ClientClosed):
            await waiting
        await inbox.wait_count("client:closed", 1)


# ------------------------------------------------------------------ odd frames
async def test_a_plain_callable_token_is_called_for_every_connection(
    fake_server: FakeServer,
) -> None:
    calls = 0

    def token() -> str:
        nonlocal calls
        calls += 1
        return f"t{calls}"

    client = SwitchboardClient(fake_server.url, token, backoff=FAST)
    inbox = Recorder(client)
    async with client:
        await client.reconnect()
        await inbox.wait_count("client:resumed", 1)
    assert fake_server.tokens == ["t1", "t2"]


async def test_gateway_frames_and_unsolicited_errors_are_events(fake_server: FakeServer) -> None:
    async def odd(frame: dict, server: FakeServer, connection: Any) -> bool:
        if frame["action"] != "typing:list":
            return False
        await connection.send(
            json.dumps(
                {"message": "Internal server error", "connectionId": "c1", "requestId": "gw-1"}
            )
        )
        await connection.send(
            json.dumps({"event": "error", "data": {"code": "bad_request", "message": "?"}})
        )
        return True  # the request itself is never answered (its Lambda failed)

    fake_server.handler = odd
    client = SwitchboardClient(fake_server.url, "t", backoff=FAST)
    inbox = Recorder(client)
    async with client:
        with pytest.raises(RequestTimeout):
            await client.list_typing("c", timeout=1)
        [gateway] = await inbox.wait_count("client:gateway-error", 1)
        [unsolicited] = await inbox.wait_count("error", 1)
    assert gateway["message"] == "Internal server error"
    assert unsolicited["code"] == "bad_request"
