// messages() under sharded delivery: a chat's frames (`message:new` and the
// `message:edited` / `message:deleted` / `message:reaction` of its messages) arriving in any
// order and any number of times. The list is in id order, each id once, each message at its
// newest version; an event is raised for a copy only when it changed something.
//
// No emulator (it delivers in order): frames go straight into the store, or into a client
// through a scripted WebSocket (test/support/scripted.js).

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import { SwitchboardClient } from "../src/index.js";
import { Change, MessageStore, PENDING_LIMIT } from "../src/messages.js";
import { connected as connectedTo, greetAgain } from "./support/scripted.js";

const CHAT = "c1";

/** The id of the n-th message: 26 characters that sort as n does, like the server's ULIDs. */
const mid = (n) => `01K${String(n).padStart(23, "0")}`;
const clone = (value) => structuredClone(value);

/** The server's side of one chat: every change bumps the message's version; each returns
 *  the frame the fan-out would push, [event, data]. */
class Chat {
  constructor(chatId = CHAT) {
    this.chatId = chatId;
    /** @type {Map<string, any>} */
    this.state = new Map();
  }

  send(n, senderId = "bob") {
    const message = { id: mid(n), chatId: this.chatId, senderId, body: `message ${n}`,
                      createdAt: "2026-05-01T10:00:00.000Z", clientMessageId: `cm${n}`, version: 1,
                      editedAt: null, deleted: false, reactions: {} };
    this.state.set(message.id, message);
    return ["message:new", clone(message)];
  }

  edit(n, body) {
    const old = this.state.get(mid(n));
    const next = { ...old, body, editedAt: "2026-05-01T10:01:00.000Z", version: old.version + 1 };
    this.state.set(mid(n), next);
    return ["message:edited", clone(next)];
  }

  react(n, emoji, userId, added = true) {
    const old = this.state.get(mid(n));
    const users = new Set(old.reactions[emoji]?.users || []);
    if (added) users.add(userId);
    else users.delete(userId);
    const reactions = Object.fromEntries(Object.entries(old.reactions).filter(([e]) => e !== emoji));
    if (users.size) reactions[emoji] = { count: users.size, users: [...users].sort() };
    const sorted = Object.fromEntries(Object.entries(reactions).sort(([a], [b]) => (a < b ? -1 : 1)));
    this.state.set(mid(n), { ...old, reactions: sorted, version: old.version + 1 });
    return ["message:reaction", { chatId: this.chatId, messageId: mid(n), emoji, userId, added,
                                  reactions: clone(sorted), version: old.version + 1 }];
  }

  delete(n, by = "bob") {
    const old = this.state.get(mid(n));
    this.state.set(mid(n), { ...old, body: null, deleted: true, reactions: {}, version: old.version + 1 });
    return ["message:deleted", { chatId: this.chatId, messageId: mid(n), deletedBy: by,
                                 deletedAt: "2026-05-01T10:02:00.000Z", version: old.version + 1 }];
  }

  expected() {
    return [...this.state.keys()].sort().map((id) => this.state.get(id));
  }
}

/** Six messages and a dozen changes: edits, reactions, deletes, an edit followed by a
 *  reaction (which carries no body), a delete after an edit. */
function busyChat() {
  const chat = new Chat();
  const frames = [1, 2, 3, 4, 5, 6].map((n) => chat.send(n));
  frames.push(
    chat.edit(2, "two, edited"),
    chat.react(2, "👍", "alice"), // v3: overtakes the edit, carries no body
    chat.edit(3, "three, edited"),
    chat.delete(3), // v3: a late edit v2 must not bring the body back
    chat.react(4, "🎉", "alice"),
    chat.react(4, "🎉", "carol"),
    chat.react(4, "🎉", "alice", false),
    chat.edit(5, "five, once"),
    chat.edit(5, "five, twice"),
    chat.react(6, "👍", "carol"),
    chat.delete(6, "alice"),
  );
  return { chat, frames };
}

function feed(store, [event, data]) {
  if (event === "message:new" || event === "message:edited") return store.put(clone(data)).change;
  if (event === "message:deleted") return store.deleted(clone(data));
  return store.reaction(clone(data));
}

/** What a screen shows of a message (editedAt only while not deleted: a delete that
 *  overtook the message itself cannot tell when it had been edited). */
const shown = (m) => [m.id, m.body, m.deleted, m.reactions, m.version, m.deleted ? null : m.editedAt];

/** A seeded random number generator (mulberry32): the same shuffles on every run. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every frame at least once, a third of them twice or three times, in any order. */
function shuffledWithCopies(frames, random) {
  const copies = [...frames];
  for (const frame of frames) if (random() < 0.33) for (let i = 0; i <= Math.floor(random() * 2); i++) copies.push(frame);
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copies[i], copies[j]] = [copies[j], copies[i]];
  }
  return copies.map(clone);
}

function* permutations(items) {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i], ...rest];
  }
}

const idsOf = (messages) => messages.map((m) => m.id);
const isSortedUnique = (ids) => ids.every((id, i) => i === 0 || ids[i - 1] < id);

describe("the store alone", () => {
  test("messages are listed in id order whatever the arrival order; copies change nothing", () => {
    const chat = new Chat();
    const frames = [1, 2, 3, 4, 5].map((n) => chat.send(n));
    for (const order of permutations(frames)) {
      const store = new MessageStore();
      for (const frame of order) {
        assert.equal(feed(store, frame), Change.CHANGED);
        assert.ok(isSortedUnique(idsOf(store.messages(CHAT))));
      }
      for (const frame of order) assert.equal(feed(store, frame), Change.STALE);
      assert.deepEqual(store.messages(CHAT), chat.expected());
    }
  });

  test("a late edit never brings a deleted body back", () => {
    const chat = new Chat();
    const frames = [chat.send(1), chat.edit(1, "edited"), chat.delete(1)];
    for (const order of permutations([...frames, clone(frames[1])])) {
      const store = new MessageStore();
      for (const frame of order) feed(store, frame);
      const [held] = store.messages(CHAT);
      assert.deepEqual(shown(held), shown(chat.expected()[0]));
      assert.equal(held.body, null);
      assert.equal(held.version, 3);
    }
  });

  test("an edit overtaken by a reaction still brings its body (the reaction carried none)", () => {
    const chat = new Chat();
    const [created, edited, reacted] = [chat.send(1), chat.edit(1, "edited"), chat.react(1, "👍", "carol")];
    const store = new MessageStore();
    assert.equal(feed(store, created), Change.CHANGED);
    assert.equal(feed(store, reacted), Change.CHANGED);
    assert.equal(feed(store, edited), Change.CHANGED);
    assert.equal(feed(store, edited), Change.STALE);
    const [held] = store.messages(CHAT);
    assert.equal(held.body, "edited");
    assert.equal(held.version, 3);
    assert.deepEqual(held.reactions, { "👍": { count: 1, users: ["carol"] } });
  });

  test("a call message's call and a message's attachments follow its newest version", () => {
    const ringing = { id: mid(1), chatId: CHAT, senderId: "bob", body: "", version: 1,
                      createdAt: "2026-05-01T10:00:00.000Z", clientMessageId: "call-C1",
                      editedAt: null, deleted: false, reactions: {}, attachments: [],
                      call: { callId: "C1", media: "video", status: "ringing" } };
    const ended = { ...clone(ringing), version: 3, call: { ...ringing.call, status: "ended" } };
    const active = { ...clone(ringing), version: 2, call: { ...ringing.call, status: "active" } };
    const store = new MessageStore();
    store.put(clone(ringing));
    assert.equal(store.put(clone(ended)).change, Change.CHANGED);
    assert.equal(store.put(clone(active)).change, Change.STALE); // overtaken: stays ended
    const [held] = store.messages(CHAT);
    assert.equal(held.call.status, "ended");
    const deleted = { ...clone(ended), version: 4, deleted: true, body: null, call: null };
    store.put(deleted);
    assert.equal(store.messages(CHAT)[0].call, null);
  });

  test("updates of a message not received yet wait for it", () => {
    const chat = new Chat();
    const [created, reacted, deleted] = [chat.send(1), chat.react(1, "👍", "carol"), chat.delete(1)];
    const store = new MessageStore();
    assert.equal(feed(store, reacted), Change.CHANGED); // kept, not listed
    assert.equal(feed(store, reacted), Change.STALE);
    assert.deepEqual(store.messages(CHAT), []);
    assert.equal(store.get(CHAT, mid(1)), null);
    assert.equal(feed(store, deleted), Change.CHANGED);
    const { message, change } = store.put(created[1]);
    assert.equal(change, Change.CHANGED);
    assert.deepEqual(shown(message), shown(chat.expected()[0])); // a tombstone at v3
    assert.deepEqual(store.messages(CHAT), [message]);
  });

  test("any order, with copies, ends at the server's state (300 seeded shuffles)", () => {
    for (let seed = 0; seed < 300; seed++) {
      const { chat, frames } = busyChat();
      const store = new MessageStore();
      for (const frame of shuffledWithCopies(frames, seeded(seed))) {
        feed(store, frame);
        assert.ok(isSortedUnique(idsOf(store.messages(CHAT))), `seed ${seed}`);
      }
      assert.deepEqual(store.messages(CHAT).map(shown), chat.expected().map(shown), `seed ${seed}`);
    }
  });

  test("the list keeps the newest messages up to its limit; pending updates are bounded", () => {
    const chat = new Chat();
    const frames = [1, 2, 3, 4, 5, 6, 7].map((n) => chat.send(n));
    const store = new MessageStore(3);
    for (const i of [6, 0, 4, 5, 1]) feed(store, frames[i]);
    assert.deepEqual(idsOf(store.messages(CHAT)), [mid(5), mid(6), mid(7)]);
    assert.equal(feed(store, frames[2]), Change.UNTRACKED); // older than all of a full list
    assert.equal(feed(store, chat.react(1, "👍", "carol")), Change.UNTRACKED);
    assert.deepEqual(idsOf(store.messages(CHAT)), [mid(5), mid(6), mid(7)]);

    const none = new MessageStore(0);
    assert.equal(feed(none, frames[0]), Change.UNTRACKED);
    assert.deepEqual(none.messages(CHAT), []);
    assert.throws(() => new MessageStore(-1), TypeError);

    const all = new MessageStore(Infinity);
    for (let n = 0; n < PENDING_LIMIT + 10; n++) {
      assert.equal(all.reaction({ chatId: CHAT, messageId: mid(n), reactions: {}, version: 2 }), Change.CHANGED);
    }
    // The oldest were forgotten: their message shows its own state when it comes.
    assert.equal(all.put({ ...new Chat().send(0)[1] }).message.version, 1);
    assert.equal(all.put({ ...new Chat().send(PENDING_LIMIT + 9)[1] }).message.version, 2);
  });

  test("copies without a version are taken in arrival order; non-messages pass through", () => {
    const store = new MessageStore();
    store.put({ id: mid(1), chatId: CHAT, body: "one" });
    assert.equal(store.put({ id: mid(1), chatId: CHAT, body: "one, edited" }).change, Change.CHANGED);
    assert.equal(store.deleted({ chatId: CHAT, messageId: mid(1) }), Change.CHANGED);
    assert.deepEqual(store.get(CHAT, mid(1)),
      { id: mid(1), chatId: CHAT, body: null, deleted: true, reactions: {}, version: 1 });
    assert.deepEqual(store.put({ chatId: CHAT }), { message: { chatId: CHAT }, change: Change.UNTRACKED });
    assert.equal(store.deleted(null), Change.UNTRACKED);
  });
});

// ------------------------------------------------------------------ through a client

const opened = [];
const connected = (options = {}) => connectedTo(opened, options);

// A client left open (a test that failed half-way) would keep the process alive.
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** Every event of the message family the client raises, in order: [name, data]. */
function recordUpdates(client) {
  const raised = [];
  for (const name of ["message", "message:edited", "message:deleted", "message:reaction"]) {
    client.on(name, (data) => raised.push([name, data]));
  }
  return raised;
}

describe("through a client", () => {
  for (let seed = 0; seed < 20; seed++) {
    test(`frames out of order and twice (seed ${seed}): the list, and each change raised once`, async () => {
      const { chat, frames } = busyChat();
      const arrivals = shuffledWithCopies(frames, seeded(1000 + seed));
      const { client, ws } = await connected();
      const raised = recordUpdates(client);
      const views = []; // each `message`, and the list as it was when it was raised
      client.on("message", (m) => views.push([m.id, idsOf(client.messages(CHAT))]));
      for (const [event, data] of arrivals) ws.push(event, data);

      // The list: id order, each id once, each message as the server holds it.
      const held = client.messages(CHAT);
      assert.deepEqual(held.map(shown), chat.expected().map(shown));
      assert.equal(client.getMessage(CHAT, mid(3)), held[2]);
      assert.equal(client.getMessage(CHAT, "nope"), null);

      // `message`: once per id, on the arrival of its first message:new (so not in id
      // order), carrying the message as held then, the list already holding it.
      const firstArrivals = [...new Set(arrivals.filter(([e]) => e === "message:new").map(([, d]) => d.id))];
      assert.deepEqual(views.map(([id]) => id), firstArrivals);
      for (const [id, listed] of views) {
        assert.ok(listed.includes(id) && isSortedUnique(listed), JSON.stringify(listed));
      }

      // Updates: a copy that changed nothing is not raised. Per message what is raised
      // never goes back a version, and nothing raised after its delete shows a body.
      assert.ok(raised.length <= frames.length, "a duplicate was raised");
      assert.deepEqual(raised.filter(([n]) => n === "message:deleted").map(([, d]) => d.messageId).sort(),
        [mid(3), mid(6)]);
      for (const id of chat.state.keys()) {
        const about = raised.filter(([, d]) => (d.id ?? d.messageId) === id);
        const versions = about.map(([, d]) => d.version);
        assert.deepEqual(versions, [...versions].sort((a, b) => a - b), JSON.stringify(about));
        const gone = about.findIndex(([n]) => n === "message:deleted");
        if (gone >= 0) for (const [, d] of about.slice(gone)) assert.ok(!d.body, JSON.stringify(about));
      }

      // Every copy again: nothing raised, nothing moves.
      const before = raised.length;
      for (const [event, data] of frames) ws.push(event, clone(data));
      assert.equal(raised.length, before);
      assert.deepEqual(client.messages(CHAT), held);
    });
  }

  test("a late edit after a delete is neither raised nor shown", async () => {
    const chat = new Chat();
    const [created, edited, deleted] = [chat.send(1), chat.edit(1, "edited"), chat.delete(1)];
    const { client, ws } = await connected();
    const raised = recordUpdates(client);
    for (const [event, data] of [deleted, created, edited, edited, deleted]) ws.push(event, clone(data));
    assert.deepEqual(raised.map(([n]) => n), ["message:deleted", "message"]);
    const [, message] = raised[1];
    assert.equal(message.deleted, true);
    assert.equal(message.body, null);
    assert.equal(message.version, 3);
    assert.deepEqual(client.messages(CHAT), [message]);
  });

  test("a catch-up merges with what arrived live out of order", async () => {
    const chat = new Chat();
    const created = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [n, chat.send(n)[1]]));
    const [, threeEdited] = chat.edit(3, "three, edited");
    const { client, ws, sockets } = await connected();
    const raised = recordUpdates(client);
    ws.push("message:new", created[3]);
    ws.push("message:new", created[1]);
    ws.drop();

    const synced = new Promise((resolve) => client.on("synced", (s) => s.reconnected && resolve(s)));
    const { ws: ws2, sync } = await greetAgain(client, sockets, 1);
    assert.deepEqual(sync.data, { chats: { [CHAT]: mid(3) } });
    ws2.push("message:new", created[5]); // live during the catch-up: held back
    ws2.push("ack", { chats: { [CHAT]: { messages: [created[4], threeEdited, created[1], created[2]], hasMore: false } },
                      unknown: [] }, sync.requestId);
    await synced;
    ws2.push("message:new", created[4]); // a copy, live

    assert.deepEqual(idsOf(client.messages(CHAT)), [1, 2, 3, 4, 5].map(mid));
    assert.equal(client.getMessage(CHAT, mid(3)).body, "three, edited");
    assert.deepEqual(raised.map(([n, d]) => [n, d.id]), [
      ["message", mid(3)], ["message", mid(1)], // live, as they came
      ["message", mid(2)], ["message:edited", mid(3)], ["message", mid(4)], // the catch-up, in id order
      ["message", mid(5)], // then what was held back
    ]);
  });

  test("answers to our own requests and track() join the list, and raise nothing", async () => {
    const chat = new Chat();
    const [, history] = chat.send(1);
    const [, theirs] = chat.send(3);
    const [, stored] = chat.send(2, "alice");
    const [, edited] = chat.edit(2, "mine, edited");
    const [, reacted] = chat.react(1, "👍", "alice");
    const { client, ws } = await connected();
    const raised = recordUpdates(client);
    ws.push("message:new", theirs);
    const answer = async (action, data) => ws.push("ack", data, (await ws.sentAction(action)).requestId);
    const editing = client.edit(CHAT, mid(2), "mine, edited");
    await answer("message:edit", edited); // the edit's answer first...
    await editing;
    const sending = client.send(CHAT, "message 2");
    await answer("message:send", stored); // ...the send's after: it is older, it changes nothing
    await sending;
    client.track([history]);
    const reacting = client.react(CHAT, mid(1), "👍");
    await answer("message:react", reacted);
    await reacting;
    assert.deepEqual(client.messages(CHAT).map(shown), chat.expected().map(shown));
    assert.deepEqual(raised.map(([n, d]) => [n, d.id]), [["message", mid(3)]]);
  });

  test("messageLimit: the newest messages of each chat", async () => {
    const chat = new Chat();
    const { client, ws } = await connected({ messageLimit: 2 });
    for (const n of [3, 1, 4, 2]) ws.push(...chat.send(n));
    assert.deepEqual(idsOf(client.messages(CHAT)), [mid(3), mid(4)]);
    assert.throws(() => new SwitchboardClient({ url: "ws://x", token: "t", messageLimit: -1 }), TypeError);
  });
});
