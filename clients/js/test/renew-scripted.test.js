// Renewal (make before break) against a scripted server (test/support/scripted.js): the
// orders and failures the emulator does not produce on demand. The switch to a greeted
// next connection, the old one kept until its requests are answered, copies of an event
// on both dropped; a failed attempt keeping the old connection and tried again; the old
// connection ending (or close()) during an attempt. Timers are real: `renew` announces a
// renewal due at once, and every wait ends on a frame or an event.

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import { renewPlan } from "../src/heartbeat.js";
import { Action } from "../src/index.js";
import { connected, greetAgain, waitFor } from "./support/scripted.js";

/** Due at once (10 ms after the connection opened), the cut a minute later. */
const RENEW = { afterSeconds: 0.01, maxSeconds: 60 };
const opened = [];

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** Everything `client` emits as `event`, from now on. */
function record(client, event) {
  const seen = [];
  client.on(event, (data) => seen.push(data));
  return seen;
}

/** The next `event` of `client`. */
function next(client, event) {
  return new Promise((resolve) => {
    const off = client.on(event, (data) => {
      off();
      resolve(data);
    });
  });
}

/** The frames of `action` a socket was sent. */
function sent(ws, action) {
  return ws.sent.filter((frame) => frame.action === action);
}

const message = (n, chatId = "c1") => ({
  id: `01K${String(n).padStart(23, "0")}`, chatId, senderId: "bob", body: `message ${n}`,
  createdAt: "2026-05-01T10:00:00.000Z", clientMessageId: `b${n}`, version: 1,
});

describe("renewPlan", () => {
  test("follows hello's renew; absent or unusable is no renewal", () => {
    const cases = [
      [{ renew: { afterSeconds: 6900, maxSeconds: 7200 } }, { afterMs: 6900000, maxMs: 7200000 }],
      [{ renew: { afterSeconds: 3, maxSeconds: 4 } }, { afterMs: 3000, maxMs: 4000 }],
      [{ renew: { afterSeconds: 0.5, maxSeconds: 0.75 } }, { afterMs: 500, maxMs: 750 }],
      [{}, null],
      [{ renew: null }, null],
      [{ renew: { afterSeconds: 6900 } }, null],
      [{ renew: { afterSeconds: 0, maxSeconds: 7200 } }, null],
      [{ renew: { afterSeconds: "6900", maxSeconds: 7200 } }, null],
      [{ renew: { afterSeconds: 7200, maxSeconds: 7200 } }, null],
      [null, null],
    ];
    for (const [hello, plan] of cases) assert.deepEqual(renewPlan(hello), plan, JSON.stringify(hello));
  });
});

test("renewal: the next connection is greeted without sync; the old one closes (1000) once its requests are answered", async () => {
  let tokens = 0;
  const { client, ws, sockets } = await connected(opened, {
    hello: { renew: RENEW }, token: () => `t${++tokens}`,
  });
  const states = record(client, "state");
  const greetings = record(client, "connected");
  const delivered = record(client, "message");
  const chats = record(client, "chat:created");
  // A send in flight on the old connection when the new one takes over.
  const sending = client.send("c1", "in flight", { clientMessageId: "m-1" });
  const send = await ws.sentAction(Action.MESSAGE_SEND);

  const next1 = await waitFor(() => sockets[1], "the renewal's socket");
  assert.match(next1.url, /token=t2$/, "a fresh token");
  const hello = await next1.sentAction(Action.HELLO);
  // Before its greeting, the new connection's events are delivered at once.
  next1.push("message:new", message(1));
  assert.deepEqual(delivered.map((m) => m.id), [message(1).id]);
  ws.push("message:new", message(1)); // the old one's copy
  assert.equal(delivered.length, 1);

  const renewed = next(client, "client:renewed");
  next1.push("connection:success", { connectionId: "k2", userId: "alice", chats: ["c1"], renew: RENEW },
             hello.requestId);
  assert.deepEqual(await renewed, { connectionId: "k2", previousConnectionId: "k1", connectionNumber: 2 });
  assert.equal(client.connectionId, "k2");
  assert.equal(client.state, "open");
  assert.equal(ws.closed, undefined, "kept until the send on it is answered");

  // Both receive every event while they overlap: each comes out once, whichever is first.
  const created = { id: "c2", name: null, createdBy: "bob", createdAt: "2026-05-01T10:00:00.000Z",
                    members: ["alice", "bob"] };
  ws.push("chat:created", created);
  next1.push("chat:created", created);
  next1.push("message:new", message(2));
  ws.push("message:new", message(2));
  assert.deepEqual(delivered.map((m) => m.id), [message(1).id, message(2).id]);
  assert.deepEqual(chats, [created]);

  // Requests go to the new connection now; the old one's answer still comes on the old one.
  const presence = client.setPresence("away");
  const set = await next1.sentAction(Action.PRESENCE_SET);
  const stored = { ...message(3), senderId: "alice", clientMessageId: "m-1" };
  ws.push("ack", stored, send.requestId);
  assert.deepEqual(await sending, stored);
  assert.equal(ws.closed, true);
  assert.equal(ws.closeCode, 1000);
  next1.push("ack", { userId: "alice", status: "away", text: null, lastSeen: null }, set.requestId);
  assert.equal((await presence).status, "away");

  assert.deepEqual(sent(next1, Action.SYNC), [], "no sync on a renewal");
  assert.deepEqual(states, [], "no drop: no state change");
  assert.deepEqual(greetings, [], "no `connected`");
  // After the switch, a copy of a frame only the old connection had is an event again.
  next1.push("chat:created", created);
  assert.equal(chats.length, 2);
});

test("renewal: with no request in flight the old connection closes at once, and the new one renews in turn", async () => {
  const { client, ws, sockets } = await connected(opened, { hello: { renew: RENEW } });
  const renewals = record(client, "client:renewed");
  for (const index of [1, 2]) {
    const next1 = await waitFor(() => sockets[index], `renewal ${index}`);
    const hello = await next1.sentAction(Action.HELLO);
    const renewed = next(client, "client:renewed");
    next1.push("connection:success", { connectionId: `k${index + 1}`, userId: "alice", chats: ["c1"],
                                       renew: RENEW }, hello.requestId);
    await renewed;
    assert.equal(sockets[index - 1].closeCode, 1000);
  }
  assert.deepEqual(renewals.map((r) => [r.previousConnectionId, r.connectionId, r.connectionNumber]),
                   [["k1", "k2", 2], ["k2", "k3", 3]]);
  // The old socket's close event comes after: it is no drop.
  ws.drop();
  sockets[1].drop();
  assert.equal(client.state, "open");
  assert.equal(client.connectionId, "k3");
});

test("the old connection stays open renewDrainMs after the switch: posts already on their way arrive", async () => {
  const { client, ws, sockets } = await connected(opened, { hello: { renew: RENEW }, renewDrainMs: 100 });
  const delivered = record(client, "message");
  const next1 = await waitFor(() => sockets[1], "the renewal's socket");
  const hello = await next1.sentAction(Action.HELLO);
  const renewed = next(client, "client:renewed");
  next1.push("connection:success", { connectionId: "k2", userId: "alice", chats: ["c1"] }, hello.requestId);
  await renewed;
  assert.equal(ws.closeCode, undefined, "still open: a fan-out may have addressed it before the switch");
  ws.push("message:new", message(7)); // addressed to the old connection alone
  assert.deepEqual(delivered.map((m) => m.id), [message(7).id]);
  await waitFor(() => ws.closeCode === 1000, "the old connection closed after the drain");
  assert.equal(client.state, "open");
});

test("a failed renewal keeps the old connection and is tried again", async () => {
  let tokens = 0;
  const { client, ws, sockets } = await connected(opened, {
    hello: { renew: RENEW }, token: () => `t${++tokens}`,
  });
  const states = record(client, "state");
  const renewals = record(client, "client:renewed");
  const errors = record(client, "error");

  // Attempt 1: the connection goes away before its greeting is answered.
  const first = await waitFor(() => sockets[1], "the first attempt");
  await first.sentAction(Action.HELLO);
  first.drop();
  assert.equal(client.connectionId, "k1");
  const kept = client.setPresence("busy");
  const set = await ws.sentAction(Action.PRESENCE_SET);
  ws.push("ack", { userId: "alice", status: "busy", text: null, lastSeen: null }, set.requestId);
  assert.equal((await kept).status, "busy", "the old connection still serves");

  // Attempt 2: its greeting is refused.
  const second = await waitFor(() => sockets[2], "the second attempt");
  assert.match(second.url, /token=t3$/);
  const refused = await second.sentAction(Action.HELLO);
  second.push("error", { code: "unauthorized", message: "token expired" }, refused.requestId);
  assert.equal(second.closed, true);
  assert.equal(ws.closed, undefined);

  // Attempt 3 succeeds.
  const third = await waitFor(() => sockets[3], "the third attempt");
  const hello = await third.sentAction(Action.HELLO);
  const renewed = next(client, "client:renewed");
  third.push("connection:success", { connectionId: "k4", userId: "alice", chats: ["c1"] }, hello.requestId);
  assert.deepEqual(await renewed, { connectionId: "k4", previousConnectionId: "k1", connectionNumber: 2 });
  assert.equal(ws.closeCode, 1000);
  assert.deepEqual(states, [], "never disconnected");
  assert.equal(renewals.length, 1);
  assert.deepEqual(errors, []);
  assert.equal(tokens, 4, "a token per connection attempted");
  // That hello announced no renew: no further attempt is scheduled.
  assert.equal(client._renewTimer, null);
});

test("the old connection ends during a renewal: it is abandoned, and the client reconnects and syncs", async () => {
  const { client, ws, sockets } = await connected(opened, { hello: { renew: RENEW } });
  const renewals = record(client, "client:renewed");
  const attempt = await waitFor(() => sockets[1], "the renewal");
  const hello = await attempt.sentAction(Action.HELLO);
  const down = next(client, "state");
  ws.drop(); // the cut came first
  assert.equal((await down).state, "reconnecting");
  assert.equal(attempt.closed, true);
  // Its greeting answered late changes nothing.
  attempt.push("connection:success", { connectionId: "k2", userId: "alice", chats: ["c1"] }, hello.requestId);
  const synced = next(client, "synced");
  const { sync } = await greetAgain(client, sockets, 2);
  assert.deepEqual(sync.data, { chats: { c1: null } });
  sockets[2].push("ack", { chats: { c1: { messages: [], hasMore: false } }, unknown: [] }, sync.requestId);
  assert.equal((await synced).reconnected, true);
  assert.equal(client.connectionId, "k3");
  assert.deepEqual(renewals, []);
});

test("a failed attempt is not tried again when the cut comes first; the cut is then a drop", async () => {
  // A backoff delay of 0.5 s or more, and the cut 50 ms after the connection opened.
  const { client, ws, sockets } = await connected(opened, {
    hello: { renew: { afterSeconds: 0.01, maxSeconds: 0.05 } }, initialDelayMs: 1000, maxDelayMs: 1000,
  });
  const attempt = await waitFor(() => sockets[1], "the renewal");
  await attempt.sentAction(Action.HELLO);
  attempt.drop();
  assert.equal(client._renewTimer, null, "no attempt after the cut");
  assert.equal(client.state, "open");
  const down = next(client, "state");
  ws.drop();
  assert.equal((await down).state, "reconnecting");
});

test("close() during a renewal closes both connections; nothing follows", async () => {
  const { client, ws, sockets } = await connected(opened, { hello: { renew: RENEW } });
  const attempt = await waitFor(() => sockets[1], "the renewal");
  const hello = await attempt.sentAction(Action.HELLO);
  client.close();
  assert.equal(ws.closed, true);
  assert.equal(attempt.closed, true);
  attempt.push("connection:success", { connectionId: "k2", userId: "alice", chats: ["c1"] }, hello.requestId);
  assert.equal(client.connectionId, "k1");
  assert.equal(client._renewTimer, null);
  assert.equal(sockets.length, 2);
});

test("no renewal without renewConnections, nor from a server that announces no renew", async () => {
  const off = await connected(opened, { hello: { renew: RENEW }, renewConnections: false });
  const older = await connected(opened);
  for (const { client } of [off, older]) {
    assert.equal(client._renewTimer, null);
    assert.equal(client._renewDue, false);
  }
});
