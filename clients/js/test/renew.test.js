// Make before break against the real emulator, started with connections cut after
// MAX_SECONDS (API Gateway: 2 hours; `hello` then announces renew after 3 of 4 s): a client
// stays connected across renewals (no drop, no sync, its contact never sees it offline,
// every message once and in order); with renewConnections false, the cut is a drop
// followed by a reconnect and a sync, as before.
// Waits end on events, each bounded by SWITCHBOARD_TEST_TIMEOUT: no sleeps.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { WebSocket } from "ws";

import { Action } from "../src/index.js";
import { TIMEOUT_MS, within } from "./support/emulator.js";
import { useStage } from "./support/stage.js";
import { recordingSockets } from "./support/sockets.js";

const MAX_SECONDS = 4;
const stage = useStage({
  emulator: { maxConnectionDuration: MAX_SECONDS },
  warmUp: true,
  chatName: "renewals",
  client: {
    initialDelayMs: 50,
    maxDelayMs: 200,
    renewDrainMs: 300, // within the 1 s a 4 s stage leaves between renewal and cut
  },
});
const { users, createChat, client, next, record } = stage;

describe(`against an emulator that cuts connections after ${MAX_SECONDS} s`, { timeout: 4 * TIMEOUT_MS }, () => {
  test("make before break: across two renewals no drop, no sync, never offline, each message once in order", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(bob, [alice]);
    const { sockets, RecordingSocket } = recordingSockets();
    const a = client(alice, { WebSocket: RecordingSocket });
    const b = client(bob);
    await within(b.connect(), "Bob's greeting");
    const statuses = record(b, "user:status");
    const firstCatchUp = next(a, "synced");
    const hello = await within(a.connect(), "Alice's greeting");
    assert.deepEqual(hello.renew, { afterSeconds: MAX_SECONDS - MAX_SECONDS / 4, maxSeconds: MAX_SECONDS });
    await firstCatchUp;
    const states = record(a, "state");
    const greetings = record(a, "connected");
    const catchUps = record(a, "synced");
    const renewals = record(a, "client:renewed");
    const received = record(a, "message");
    const syncsBefore = sockets.flatMap((s) => s.sent).filter((f) => f.action === Action.SYNC).length;

    // Bob sends, one message after the other, until Alice has renewed twice.
    const twice = next(a, "client:renewed", () => renewals.length >= 2, "two renewals");
    let sending = true;
    const sent = [];
    const sender = (async () => {
      for (let n = 0; sending; n++) sent.push(await within(b.send(chatId, `message ${n}`), "a send's ack"));
    })();
    await twice;
    sending = false;
    await sender;
    const last = sent[sent.length - 1];
    if (!received.some((m) => m.id === last.id)) await next(a, "message", (m) => m.id === last.id, "the last message");
    // Every replaced socket (and any failed attempt's) is closed by the client, normally.
    const current = sockets.length - 1;
    await within(Promise.all(sockets.slice(0, current).map((s) => s.closing)), "the old connections to close");

    assert.ok(renewals.length >= 2);
    const ids = [hello.connectionId, ...renewals.map((r) => r.connectionId)];
    assert.equal(new Set(ids).size, ids.length, `a new connection id each time: ${ids}`);
    renewals.forEach((r, i) => {
      assert.equal(r.previousConnectionId, ids[i]);
      assert.equal(r.connectionNumber, i + 2);
    });
    assert.equal(a.connectionId, ids[ids.length - 1]);
    assert.equal(a.state, "open");
    assert.deepEqual(states, [], "no drop: no state change");
    assert.deepEqual(greetings, [], "no new `connected`");
    assert.deepEqual(catchUps, [], "no catch-up");
    const syncs = sockets.flatMap((s) => s.sent).filter((f) => f.action === Action.SYNC).length;
    assert.equal(syncs, syncsBefore, "no sync over the renewals");
    assert.deepEqual(sockets.slice(0, current).map((s) => s.closedWith), sockets.slice(0, current).map(() => 1000));
    assert.equal(sockets[current].closedWith, null);
    assert.ok(sent.length >= 2, `messages sent across the renewals: ${sent.length}`);
    assert.deepEqual(received.map((m) => m.id), sent.map((m) => m.id), "each message once, in order");
    const offline = statuses.filter((s) => s.userId === alice && s.status === "offline");
    assert.deepEqual(offline, [], "Bob never saw Alice offline");
  });

  test("renewConnections false: the cut drops the connection; the client reconnects and syncs what it missed", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(bob, [alice]);
    // Alice's token: minted at once, except while `gate` is shut (she stays offline).
    let gate = null;
    const a = client(alice, {
      renewConnections: false,
      token: async () => {
        await gate;
        return stage.token(alice);
      },
    });
    const b = client(bob);
    await within(Promise.all([a.connect(), b.connect()]), "both greetings");
    const renewals = record(a, "client:renewed");
    const received = record(a, "message");
    let open;
    gate = new Promise((resolve) => { open = resolve; });
    const firstConnection = a.connectionId;

    const cut = await next(a, "state", (s) => s.state === "reconnecting", "the cut");
    assert.match(cut.reason, /closed \(1001/);
    const missed = [];
    for (const body of ["one", "two"]) missed.push(await within(b.send(chatId, body), "a send's ack"));
    const caughtUp = next(a, "synced", (s) => s.reconnected, "the catch-up");
    open();
    const synced = await caughtUp;
    assert.equal(synced.delivered, 2);
    assert.notEqual(a.connectionId, firstConnection);
    assert.deepEqual(received.map((m) => m.id), missed.map((m) => m.id));
    assert.deepEqual(renewals, []);
  });
});
