// messages() under sharded delivery: a chat's frames (`message:new` and the
// `message:edited` / `message:deleted` / `message:reaction` of its messages) arriving in any
// order and any number of times. The list is in id order, each id once, each message at its
// newest version; an event is raised for a copy only when it changed something.
//
// No emulator (it delivers in order): frames go straight into the store (src/messages.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Change, MessageStore, PENDING_LIMIT } from "../src/messages.js";

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
