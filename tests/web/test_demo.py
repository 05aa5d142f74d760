"""The demo page in Chromium against the emulator: two users chatting, typing indicators,
and pages that lose their connection and come back without losing a message.

Screenshots land in test-artifacts/web/ (and a FAILED-<user> one of every page when a test
fails). No timing asserts: every wait is an `expect` with a generous timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Demo

# Each test waits on real browsers and a real emulator on shared cores: room to be slow.
pytestmark = pytest.mark.timeout(300)


def message(page: Any, text: str) -> Any:
    """The message rows of `page` that show `text`."""
    return page.get_by_test_id("message").filter(has_text=text)


def send(page: Any, text: str) -> None:
    page.locator("#input").fill(text)
    page.locator("#input").press("Enter")


def connection_id(page: Any) -> str | None:
    return page.evaluate("() => window.switchboardDemo.client.connectionId")


def test_two_users_chat(demo: Demo, user: Callable[[str], str]) -> None:
    alice, bob = user("alice"), user("bob")
    pa = demo.open(alice)
    pb = demo.open(bob)

    # Alice starts a chat with Bob in the UI; it shows up on Bob's page (chat:created).
    pa.get_by_test_id("new-chat").click()
    pa.locator("#new-chat-name").fill("Lunch plans")
    pa.locator("#new-chat-members").fill(bob)
    pa.locator("#new-chat-create").click()
    expect(pa.get_by_test_id("conv-name")).to_have_text("Lunch plans")
    bob_chat = pb.get_by_test_id("chat-item").filter(has_text="Lunch plans")
    expect(bob_chat).to_be_visible()

    # A message Bob has not opened yet is an unread count.
    send(pa, "Pizza at noon? 🍕")
    expect(bob_chat.get_by_test_id("unread")).to_have_text("1")
    demo.shot(pb, "1-bob-unread")

    # Bob opens the chat: the message is there, the count goes, Alice sees "Seen by bob".
    bob_chat.click()
    expect(message(pb, "Pizza at noon? 🍕")).to_have_count(1)
    expect(bob_chat.get_by_test_id("unread")).to_have_count(0)
    expect(pa.get_by_test_id("seen")).to_contain_text(f"Seen by {bob}")
    expect(pa.locator("#conv-sub")).to_have_text("online")

    send(pb, "Sounds great")
    expect(message(pa, "Sounds great")).to_have_count(1)

    # Alice reacts; Bob sees the reaction.
    row = message(pa, "Sounds great")
    row.hover()
    row.locator("[data-action=react]").click()
    pa.locator(".picker [data-emoji='🎉']").click()
    party = message(pb, "Sounds great").locator(".reaction[data-emoji='🎉'] .count")
    expect(party).to_have_text("1")

    # Alice edits her first message; Bob sees the new text, marked edited.
    row = message(pa, "Pizza at noon?")
    row.hover()
    row.locator("[data-action=edit]").click()
    expect(pa.locator("#editing")).to_be_visible()
    send(pa, "Pizza at 12:30?")
    expect(message(pb, "Pizza at 12:30?").locator(".edited")).to_have_text("edited")
    expect(message(pb, "Pizza at noon?")).to_have_count(0)

    # Alice deletes a message; Bob sees a tombstone in its place.
    send(pa, "oops, wrong chat")
    expect(message(pb, "oops, wrong chat")).to_have_count(1)
    row = message(pa, "oops, wrong chat")
    row.hover()
    row.locator("[data-action=delete]").click()
    expect(message(pb, "oops, wrong chat")).to_have_count(0)
    expect(pb.locator(".msg.deleted")).to_contain_text("This message was deleted")

    send(pb, "See you there 👋")
    expect(message(pa, "See you there 👋")).to_have_count(1)
    expect(pb.get_by_test_id("seen")).to_contain_text(f"Seen by {alice}")
    pa.mouse.move(0, 0)
    demo.shot(pa, "2-alice-chat")
    demo.shot(pb, "3-bob-chat")

    # Bob leaves: Alice's page shows him offline with a last seen time.
    pb.context.close()
    expect(pa.locator("#conv-sub")).to_have_text("last seen just now")
    expect(pa.locator(f".member[data-user='{bob}']")).to_have_attribute("data-status", "offline")
    demo.shot(pa, "4-alice-bob-gone")


def test_typing_indicator_appears_and_disappears(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Typing")
    pa = demo.open(alice, chat=chat)
    pb = demo.open(bob, chat=chat)
    typing = pa.get_by_test_id("typing")
    expect(typing).to_have_text("")

    pb.locator("#input").press_sequentially("hello the", delay=40)
    expect(typing).to_have_text(f"{bob} is typing…")
    expect(pa.get_by_test_id("chat-item").filter(has_text="Typing")).to_contain_text("typing…")
    demo.shot(pa, "alice-sees-bob-typing")

    # Bob stops without sending: the indicator goes (typing:stop after 3 s idle).
    expect(typing).to_have_text("")

    # Bob types again and sends: it goes with the message.
    pb.locator("#input").press_sequentially("re", delay=40)
    expect(typing).to_have_text(f"{bob} is typing…")
    pb.locator("#input").press("Enter")
    expect(message(pa, "hello there")).to_have_count(1)
    expect(typing).to_have_text("")


def test_offline_page_comes_back_without_losing_a_message(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    """Bob's network goes away (Chromium's offline mode: the socket stays open but nothing
    flows, and the server is not told). Alice writes meanwhile; the server delivers her
    message to Bob's dead connection, into the void. Bob writes too. Back online, Bob's
    page reconnects, syncs, and both messages are there once each."""
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Flaky wifi")
    pa = demo.open(alice, chat=chat)
    pb = demo.open(bob, chat=chat)
    send(pa, "before the drop")
    expect(message(pb, "before the drop")).to_have_count(1)
    first_connection = connection_id(pb)

    pb.context.set_offline(True)
    banner = pb.get_by_test_id("banner")
    expect(banner).to_contain_text("Connection lost. Reconnecting")

    send(pa, "sent while you were offline")
    expect(pa.locator(".msg.draft")).to_have_count(0)  # stored and acked
    send(pb, "written offline")
    queued = message(pb, "written offline")
    expect(queued).to_contain_text("Waiting for connection…")
    client_message_id = queued.get_attribute("data-cid")
    demo.shot(pb, "bob-offline")

    pb.context.set_offline(False)
    expect(message(pb, "sent while you were offline")).to_have_count(1)
    expect(message(pa, "written offline")).to_have_count(1)
    expect(pb.locator(".msg.draft")).to_have_count(0)
    # The queued send kept its clientMessageId through the reconnect.
    expect(message(pa, "written offline")).to_have_attribute("data-cid", client_message_id)
    expect(banner).to_contain_text("Back online")
    assert connection_id(pb) not in (None, first_connection)
    bodies = pb.locator("[data-testid=message] .body").all_inner_texts()
    assert bodies.index("before the drop") < bodies.index("sent while you were offline")
    assert bodies.count("sent while you were offline") == 1
    demo.shot(pb, "bob-back-online")


def test_severed_connection_resumes(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str], emulator: Any
) -> None:
    """The gateway drops Bob's connection (TCP cut, no close frame, no $disconnect) and
    Alice writes at once: Bob's page reconnects and gets it, once."""
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Cut")
    pa = demo.open(alice, chat=chat)
    pb = demo.open(bob, chat=chat)
    send(pa, "one")
    expect(message(pb, "one")).to_have_count(1)
    severed = connection_id(pb)
    assert severed in emulator.connection_ids()

    emulator.sever(severed)
    send(pa, "two, right after the cut")
    send(pa, "three")
    expect(message(pb, "three")).to_have_count(1)
    expect(message(pb, "two, right after the cut")).to_have_count(1)
    pb.wait_for_function(
        "old => (window.switchboardDemo.client.connectionId || old) !== old",
        arg=severed,
    )
    bodies = pb.locator("[data-testid=message] .body").all_inner_texts()
    assert bodies == ["one", "two, right after the cut", "three"]


OUT_OF_ORDER_SCRIPT = """
({ chatId }) => {
  // Frames as sharded delivery may push them: late, early, twice. They go in through the
  // client's socket handler (_onFrame), as frames from the server would.
  const client = window.switchboardDemo.client;
  const id = (n) => "7ZZZZZZZZZ" + String(n).padStart(16, "0");  // after any real message's id
  const at = new Date().toISOString();
  const msg = (n, extra = {}) => ({
    id: id(n), chatId, senderId: "zoe", body: `line ${n}`, createdAt: at, clientMessageId: `z${n}`,
    version: 1, editedAt: null, deleted: false, reactions: {}, ...extra });
  const push = (event, data) => client._onFrame(JSON.stringify({ event, data }));
  const thumbs = { chatId, messageId: id(1), emoji: "👍", userId: "zoe", added: true,
                   reactions: { "👍": { count: 1, users: ["zoe"] } }, version: 2 };
  push("message:new", msg(4));
  // An edit before its message; a delete (v3) before its message.
  push("message:edited", msg(2, { body: "line 2, edited", editedAt: at, version: 2 }));
  push("message:deleted", { chatId, messageId: id(3), deletedBy: "zoe", deletedAt: at,
                            version: 3 });
  push("message:new", msg(1));
  push("message:new", msg(3));
  push("message:new", msg(2));  // older than the edit that came first
  push("message:new", msg(4));  // twice
  // The edit (v2) that came before the delete, arriving after it.
  push("message:edited", msg(3, { body: "line 3, edited", editedAt: at, version: 2 }));
  push("message:reaction", thumbs);
  push("message:reaction", thumbs);  // twice
  return [1, 2, 3, 4].map(id);
}
"""


def test_messages_delivered_out_of_order_are_drawn_in_id_order(
    demo: Demo, user: Callable[[str], str], create_chat: Callable[..., str]
) -> None:
    """The page draws the client's list: in id order, each message once and at its newest
    version, whatever order its frames came in (edits before their message, a late edit
    after a delete, copies)."""
    alice, bob = user("alice"), user("bob")
    chat = create_chat(alice, bob, name="Shards")
    pa = demo.open(alice, chat=chat)
    ids = pa.evaluate(OUT_OF_ORDER_SCRIPT, {"chatId": chat})
    rows = pa.get_by_test_id("message")
    expect(rows).to_have_count(4)
    assert rows.evaluate_all("rows => rows.map((r) => r.dataset.id)") == ids
    bodies = pa.locator("[data-testid=message] .body").all_inner_texts()
    assert bodies == ["line 1", "line 2, edited", "This message was deleted", "line 4"]
    expect(message(pa, "line 2, edited").locator(".edited")).to_have_text("edited")
    expect(message(pa, "line 1").get_by_test_id("reaction")).to_have_count(1)
    expect(message(pa, "line 1").locator(".reaction .count")).to_have_text("1")
    expect(pa.get_by_test_id("chat-item").filter(has_text="Shards")).to_contain_text("line 4")
    demo.shot(pa, "out-of-order")


CLIENT_SCRIPT = """
async () => {
  const { SwitchboardClient } = await import("/web/client/index.js");
  const sockets = [];
  class FakeSocket {
    constructor(url) { this.url = url; this.sent = []; sockets.push(this);
                       setTimeout(() => this.onopen && this.onopen(), 0); }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.closed = true; }
    push(frame) { this.onmessage({ data: JSON.stringify(frame) }); }
    drop() { this.onclose({ code: 1006, reason: "" }); }
  }
  const waitFor = async (probe) => {
    for (let i = 0; i < 1000; i++) {
      const value = probe();
      if (value) return value;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("gave up waiting: " + probe);
  };
  const sentOn = (ws, action) => waitFor(() => ws.sent.find((f) => f.action === action));
  const msg = (id, extra = {}) => ({ id, chatId: "c1", senderId: "bob", body: "m" + id,
                                     createdAt: "2026-01-01T00:00:00Z", version: 1, ...extra });
  const delivered = [];
  const client = new SwitchboardClient({ url: "ws://fake/local", token: "t",
    WebSocket: FakeSocket, initialDelayMs: 10, maxDelayMs: 40 });
  client.on("message", (m) => delivered.push(m.id));
  client.track(msg("01A"));  // what the app holds already (REST history)
  client.connect();

  const ws1 = await waitFor(() => sockets[0]);
  const hello1 = await sentOn(ws1, "hello");
  ws1.push({ event: "connection:success", requestId: hello1.requestId,
             data: { connectionId: "k1", userId: "alice", chats: ["c1"], heartbeatSeconds: 65 } });
  const sync1 = await sentOn(ws1, "sync");
  ws1.push({ event: "ack", requestId: sync1.requestId,
             data: { chats: { c1: { messages: [msg("01A")], hasMore: false } }, unknown: [] } });
  ws1.push({ event: "message:new", data: msg("01B") });
  await waitFor(() => delivered.includes("01B"));

  // A send goes out, the connection drops before its ack.
  const sending = client.send("c1", "hello");
  const send1 = await sentOn(ws1, "message:send");
  ws1.drop();

  const ws2 = await waitFor(() => sockets[1]);
  const hello2 = await sentOn(ws2, "hello");
  ws2.push({ event: "message:new", data: msg("01E") });  // before the greeting: held back
  ws2.push({ event: "connection:success", requestId: hello2.requestId,
             data: { connectionId: "k2", userId: "alice", chats: ["c1"] } });
  const send2 = await sentOn(ws2, "message:send");
  const sync2 = await sentOn(ws2, "sync");
  ws2.push({ event: "message:new", data: msg("01F") });  // during the catch-up: held back
  ws2.push({ event: "ack", requestId: sync2.requestId,
             data: { chats: { c1: { messages: [msg("01B"), msg("01C"), msg("01D")],
                                    hasMore: false } } } });
  ws2.push({ event: "ack", requestId: send2.requestId,
             data: msg("01G", { senderId: "alice", body: "hello",
                                clientMessageId: send2.data.clientMessageId }) });
  const stored = await sending;
  await waitFor(() => delivered.includes("01F"));
  ws2.push({ event: "message:new", data: msg("01E") });  // delivered twice by the server
  ws2.push({ event: "message:new", data: stored });       // our own message, echoed
  ws2.push({ event: "message:new", data: msg("01H") });
  await waitFor(() => delivered.includes("01H"));

  // Reconnect delays: exponential with jitter, capped.
  const delays = [];
  const failing = new SwitchboardClient({ url: "ws://fake/local", token: "t",
    initialDelayMs: 10, maxDelayMs: 80,
    WebSocket: class { constructor() { setTimeout(() => this.onclose({ code: 1006 }), 0); }
                       close() {} } });
  failing.on("state", (s) => { if (s.delayMs !== undefined) delays.push(s.delayMs); });
  failing.connect().catch(() => {});
  await waitFor(() => delays.length >= 12);
  failing.close();
  client.close();
  return { delivered, send1, send2, sync1: sync1.data, sync2: sync2.data,
           storedId: stored.id, delays };
}
"""


def test_client_resumes_in_order_without_duplicates(demo: Demo, emulator: Any) -> None:
    """The JS client against a scripted server (a fake WebSocket in the page): what it
    syncs from, the order and uniqueness of what it delivers, the resent send, backoff."""
    page = demo.browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{emulator.port}/web/client/index.js")
        result = page.evaluate(CLIENT_SCRIPT)
    finally:
        page.close()
    # Sync starts from what the app held, then from the newest id held at the drop.
    assert result["sync1"] == {"chats": {"c1": "01A"}}
    assert result["sync2"] == {"chats": {"c1": "01B"}}
    # Missed messages first, oldest first, then what arrived live meanwhile; each id once.
    assert result["delivered"] == ["01B", "01C", "01D", "01E", "01F", "01H"]
    # The send in flight at the drop went again on the new connection, same clientMessageId.
    send1, send2 = result["send1"], result["send2"]
    assert send1["data"] == send2["data"]
    assert send1["data"]["clientMessageId"]
    assert send1["requestId"] != send2["requestId"]
    assert result["storedId"] == "01G"
    # Each delay is within [cap/2, cap] of its exponential cap; they are not all equal.
    delays = result["delays"]
    for attempt, delay in enumerate(delays):
        cap = min(80, 10 * 2**attempt)
        assert cap / 2 <= delay <= cap, (attempt, delay)
    assert len(set(delays[4:])) > 1
