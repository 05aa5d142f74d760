// The client against the real emulator (test/support/emulator.js starts one): greeting,
// messages between two users, refused requests, who is online in a chat, resume after a
// reconnect, heartbeats.
// Waits end on events, each bounded by SWITCHBOARD_TEST_TIMEOUT: no sleeps.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";

import { WebSocket } from "ws";

import { Action, ErrorCode, SwitchboardClient, SwitchboardError } from "../src/index.js";
import { mintToken, startEmulator, TIMEOUT_MS, within } from "./support/emulator.js";
import { recordingSockets } from "./support/sockets.js";

let emulator;
const opened = [];

before(async () => {
  emulator = await startEmulator();
}, { timeout: 5 * TIMEOUT_MS });

after(async () => {
  await emulator?.stop();
}, { timeout: 2 * TIMEOUT_MS });

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** Fresh user ids per test, so tests never see each other's chats. */
function users(...names) {
  const suffix = randomUUID().slice(0, 8);
  return names.map((name) => `${name}-${suffix}`);
}

/** The REST API as a user. */
async function api(userId, method, path, body) {
  const response = await fetch(emulator.restUrl + path, {
    method,
    headers: { authorization: `Bearer ${await mintToken(emulator.baseUrl, userId)}`,
               ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json();
  assert.ok(response.ok, `${method} ${path}: HTTP ${response.status} ${JSON.stringify(data)}`);
  return data;
}

async function createChat(creator, members, name = "test chat") {
  return (await api(creator, "POST", "/chats", { members, name })).id;
}

/** A client of `userId` (closed after the test); `token` may wrap the minting. */
function client(userId, options = {}) {
  const made = new SwitchboardClient({
    url: emulator.websocketUrl,
    restUrl: emulator.restUrl,
    token: () => mintToken(emulator.baseUrl, userId),
    WebSocket,
    initialDelayMs: 50,
    maxDelayMs: 1000,
    ...options,
  });
  opened.push(made);
  return made;
}

/** The next `event` of `source` whose data satisfies `match`. */
function next(source, event, match = () => true) {
  return within(new Promise((resolve) => {
    const off = source.on(event, (data) => {
      if (match(data)) {
        off();
        resolve(data);
      }
    });
  }), `${event}`);
}

/** Everything `source` emits as `event`, from now on. */
function record(source, event) {
  const seen = [];
  source.on(event, (data) => seen.push(data));
  return seen;
}

describe("against the emulator", { timeout: 4 * TIMEOUT_MS }, () => {
  test("connect: hello greets the user with its chats, then the first catch-up", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const states = record(a, "state");
    const synced = next(a, "synced");
    const hello = await within(a.connect(), "hello");
    assert.equal(hello.userId, alice);
    assert.deepEqual(hello.chats, [chatId]);
    assert.ok(hello.heartbeatSeconds > 0);
    assert.equal(a.state, "open");
    assert.equal(a.userId, alice);
    assert.equal(a.connectionId, hello.connectionId);
    assert.deepEqual(states.map((s) => s.state), ["connecting", "open"]);
    assert.deepEqual(await synced, { reconnected: false, delivered: 0, chats: 0 });
    assert.strictEqual(a.connect(), a.connect(), "connect() twice is the same greeting");
  });

  test("send and receive between two clients: each message once, edits, typing", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const b = client(bob);
    await within(Promise.all([a.connect(), b.connect()]), "both greetings");
    const atBob = record(b, "message");
    const atAlice = record(a, "message");

    const arriving = next(b, "message");
    const stored = await within(a.send(chatId, "hello bob"), "the send's ack");
    assert.equal(stored.body, "hello bob");
    assert.equal(stored.senderId, alice);
    assert.match(stored.clientMessageId, /^m[0-9a-f]{24}$/);
    const received = await arriving;
    assert.equal(received.id, stored.id);
    assert.equal(received.body, "hello bob");
    assert.equal(a.lastMessageId(chatId), stored.id);
    assert.equal(b.lastMessageId(chatId), stored.id);

    const reply = next(a, "message");
    const answer = await within(b.send(chatId, "hi alice"), "the reply's ack");
    assert.equal((await reply).id, answer.id);

    const edited = next(b, "message:edited");
    await within(a.edit(chatId, stored.id, "hello, bob"), "the edit's ack");
    assert.equal((await edited).body, "hello, bob");

    const reacted = next(a, "message:reaction");
    await within(b.react(chatId, stored.id, "🎉"), "the reaction's ack");
    assert.equal((await reacted).reactions["🎉"].count, 1);

    const typing = next(b, "typing:update", (u) => u.userIds.includes(alice));
    a.typing(chatId);
    assert.deepEqual((await typing).userIds, [alice]);
    assert.deepEqual(b.typingUsers(chatId), [alice]);
    // A message ends its author's typing.
    const stopped = next(b, "typing:update", (u) => u.userIds.length === 0);
    await within(a.send(chatId, "done typing"), "the send's ack");
    await stopped;

    assert.deepEqual(atBob.map((m) => m.body), ["hello bob", "done typing"]);
    assert.deepEqual(atAlice.map((m) => m.body), ["hi alice"], "a sender does not get its own message back");
  });

  test("messages(): both ends list what the history holds, after changes and a reconnect", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const b = client(bob);
    await within(Promise.all([a.connect(), b.connect()]), "both greetings");
    const atBob = record(b, "message");
    const sent = [];
    for (const n of [0, 1, 2, 3]) sent.push(await within(a.send(chatId, `line ${n}`), "a send's ack"));
    const reply = await within(b.send(chatId, "reply"), "the reply's ack");
    await within(a.edit(chatId, sent[1].id, "line 1, edited"), "the edit's ack");
    const thumbs = next(a, "message:reaction");
    await within(b.react(chatId, sent[1].id, "👍"), "the reaction's ack");
    await thumbs;
    await within(a.deleteMessage(chatId, sent[2].id), "the delete's ack");
    // A drop right after: the delete may reach Bob live or in the catch-up's overlap.
    const back = next(b, "synced", (s) => s.reconnected);
    b.reconnect();
    await back;
    const party = next(b, "message:reaction", (r) => r.emoji === "🎉");
    await within(a.react(chatId, reply.id, "🎉"), "the reaction's ack");
    await party;

    const stored = (await api(alice, "GET", `/chats/${chatId}/messages?limit=100`)).messages.reverse();
    const shown = (m) => [m.id, m.body, m.deleted, m.reactions, m.version];
    assert.deepEqual(a.messages(chatId).map(shown), stored.map(shown));
    assert.deepEqual(b.messages(chatId).map(shown), stored.map(shown));
    assert.equal(stored[2].deleted, true);
    assert.equal(stored[1].version, 3);
    assert.deepEqual(atBob.map((m) => m.id), sent.map((m) => m.id), "each of Alice's messages once");
  });

  test("a refused request rejects with the server's code, and the connection stays", async () => {
    const [alice, carol, dave] = users("alice", "carol", "dave");
    const theirs = await createChat(carol, [dave]);
    const a = client(alice);
    const hello = await within(a.connect(), "hello");

    const refused = (promise) => within(promise.then(
      () => assert.fail("the request should have been refused"),
      (error) => error,
    ), "the refusal");
    const forbidden = await refused(a.send(theirs, "let me in"));
    assert.ok(forbidden instanceof SwitchboardError);
    assert.equal(forbidden.code, ErrorCode.FORBIDDEN);
    assert.equal(forbidden.data.code, forbidden.code);

    const unknown = await refused(a.request("chat:teleport", {}));
    assert.equal(unknown.code, ErrorCode.UNKNOWN_ACTION);
    const bad = await refused(a.request(Action.PRESENCE_SET, { status: "sleeping" }));
    assert.equal(bad.code, ErrorCode.BAD_REQUEST);
    assert.match(bad.message, /status/);

    assert.equal(a.state, "open");
    assert.equal(a.connectionId, hello.connectionId);
    const status = await within(a.setPresence("busy", "in a meeting"), "presence:set's ack");
    assert.equal(status.status, "busy");
  });

  test("chatPresence: a small chat is announced and lists its online members", async () => {
    const [alice, bob, carol] = users("alice", "bob", "carol");
    const chatId = await createChat(alice, [bob, carol]); // carol is a member, not connected
    const a = client(alice);
    const b = client(bob);
    await within(Promise.all([a.connect(), b.connect()]), "both greetings");
    await within(b.setPresence("busy"), "presence:set's ack");
    const byUser = (x, y) => x.userId.localeCompare(y.userId);

    const presence = await within(a.chatPresence(chatId), "chat:presence's ack");
    assert.equal(presence.chatId, chatId);
    assert.equal(presence.announced, true);
    assert.equal(presence.onlineCount, 2);
    assert.equal(presence.cursor, null);
    assert.equal(presence.degraded, undefined);
    assert.deepEqual(presence.users.sort(byUser), [{ userId: alice, status: "online" }, { userId: bob, status: "busy" }]);
    const everyone = await within(b.onlineMembers(chatId), "every page of chat:presence");
    assert.deepEqual(everyone.users.sort(byUser), presence.users);
    assert.equal(everyone.onlineCount, 2);

    const bad = await within(a.chatPresence(chatId, "not-a-cursor").then(
      () => assert.fail("a cursor the server never gave should be refused"),
      (error) => error,
    ), "the refusal");
    assert.equal(bad.code, ErrorCode.BAD_REQUEST);
  });

  test("resume: what was sent while a client was away arrives once, in order; its queued send goes out", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    // Bob's token: minted at once, except while `gate` is shut (he stays offline).
    let gate = null;
    const b = client(bob, {
      token: async () => {
        await gate;
        return mintToken(emulator.baseUrl, bob);
      },
    });
    const a = client(alice);
    const firstCatchUp = next(b, "synced");
    await within(Promise.all([a.connect(), b.connect()]), "both greetings");
    await firstCatchUp;
    const atBob = record(b, "message");
    const atAlice = record(a, "message");

    const first = next(b, "message");
    const before = await within(a.send(chatId, "before the drop"), "the send's ack");
    await first;
    const firstConnection = b.connectionId;

    let open;
    gate = new Promise((resolve) => { open = resolve; });
    const down = next(b, "state", (s) => s.state === "reconnecting");
    b.reconnect();
    await down;
    const missed = [];
    for (const body of ["one", "two", "three"]) missed.push(await within(a.send(chatId, body), "a send's ack"));
    // Written offline: queued, and sent once reconnected with the same clientMessageId.
    const queued = b.send(chatId, "written offline", { clientMessageId: "m-offline-1" });
    assert.equal(b.state, "reconnecting");

    const caughtUp = next(b, "synced", (s) => s.reconnected);
    const fromBob = next(a, "message", (m) => m.body === "written offline");
    open();
    const synced = await caughtUp;
    assert.equal(synced.delivered, 3);
    const stored = await within(queued, "the queued send's ack");
    assert.equal(stored.clientMessageId, "m-offline-1");
    assert.equal((await fromBob).id, stored.id);

    assert.notEqual(b.connectionId, firstConnection);
    assert.deepEqual(atBob.map((m) => m.id), [before.id, ...missed.map((m) => m.id)]);
    assert.deepEqual(atBob.map((m) => m.body), ["before the drop", "one", "two", "three"]);
    assert.equal(atAlice.filter((m) => m.body === "written offline").length, 1);
    assert.equal(b.lastMessageId(chatId), stored.id > missed[2].id ? stored.id : missed[2].id);

    // And live again: the next message comes straight through.
    const live = next(b, "message");
    const after = await within(a.send(chatId, "welcome back"), "the send's ack");
    assert.equal((await live).id, after.id);
  });

  // The timer (pings, or heartbeats for a server without keepAlive) is keepalive.test.js's;
  // this holds whichever the emulator announces.
  test("heartbeat: acked; a connection that stops answering it is dropped and reopened", async () => {
    const [alice] = users("alice");
    // Deafenable: frames still go out, none come in (a network that went away without a close).
    const { sockets, RecordingSocket: DeafenableSocket } = recordingSockets();
    // Short enough to see a dead connection soon, long enough for a slow emulator's hello.
    const requestTimeoutMs = Math.max(1000, TIMEOUT_MS / 10);
    const a = client(alice, { WebSocket: DeafenableSocket, requestTimeoutMs });
    const hello = await within(a.connect(), "hello");
    assert.ok(hello.keepAlive ? hello.keepAlive.intervalSeconds > 0 : hello.heartbeatSeconds > 0);

    const direct = await within(a.heartbeat(), "a heartbeat's ack");
    assert.ok(direct.ttlSeconds > 0 && direct.heartbeatSeconds > 0, JSON.stringify(direct));
    assert.equal(sockets[0].sent.filter((f) => f.action === Action.PRESENCE_HEARTBEAT).length, 1);

    const firstConnection = a.connectionId;
    const dropped = next(a, "state", (s) => s.state === "reconnecting");
    const back = next(a, "synced", (s) => s.reconnected);
    sockets[0].deaf = true;
    a.heartbeat().catch(() => {}); // unanswered: the connection is taken for dead
    const change = await within(dropped, "the dead connection to be dropped", TIMEOUT_MS + requestTimeoutMs);
    assert.match(change.reason, /no answer to presence:heartbeat/);
    await back;
    assert.equal(a.state, "open");
    assert.equal(sockets.length, 2);
    assert.notEqual(a.connectionId, firstConnection);
  });

  test("close: requests waiting for a connection are rejected with closed, no reconnect follows", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    let gate;
    const held = new Promise((resolve) => { gate = resolve; });
    const a = client(alice, { token: async () => { await held; return mintToken(emulator.baseUrl, alice); } });
    const greeting = a.connect();
    const waiting = a.send(chatId, "never sent");
    assert.equal(a.state, "connecting");
    a.close();
    gate();
    await assert.rejects(greeting, (error) => error.code === "closed");
    await assert.rejects(waiting, (error) => error.code === "closed");
    await assert.rejects(a.heartbeat(), (error) => error.code === "closed");
    assert.equal(a.state, "closed");
  });
});
