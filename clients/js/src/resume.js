// Resume state: what the client holds per chat, so that nothing is delivered twice and
// `sync` after a reconnect asks for exactly what may have been missed.
//
// Per chat: the newest message id held (the cursor) and the ids delivered (bounded).
// When a connection drops, the cursors are snapshot: the next sync starts there, even if
// frames of a new connection arrive before its catch-up is done.
// While a renewal overlaps two connections, FrameCopies drops an event's second copy.

const SEEN_PER_CHAT = 2000;

export class ResumeState {
  constructor() {
    /** @type {Set<string>} chats we are a member of (hello, chat events) */
    this.chats = new Set();
    /** @type {Map<string, string>} chatId -> newest message id we hold */
    this.last = new Map();
    /** @type {Map<string, Set<string>>} chatId -> ids delivered (bounded) */
    this.seen = new Map();
    /** @type {Map<string, string> | null} cursors at the moment the connection dropped */
    this.syncFrom = null;
  }

  /**
   * Note a message as held (dedupe set and newest id); false if it already was.
   * @param {{chatId: string, id: string}} message
   */
  remember(message) {
    const { chatId, id } = message;
    let seen = this.seen.get(chatId);
    if (!seen) this.seen.set(chatId, (seen = new Set()));
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_PER_CHAT) {
      // Forget the oldest ids; sync only ever overlaps the last 30 seconds.
      const sorted = [...seen].sort();
      for (const old of sorted.slice(0, seen.size - SEEN_PER_CHAT / 2)) seen.delete(old);
    }
    const last = this.last.get(chatId);
    if (!last || id > last) this.last.set(chatId, id);
    this.chats.add(chatId);
    return true;
  }

  /** We left the chat (or were removed): nothing of it to sync. @param {string} chatId */
  forget(chatId) {
    this.chats.delete(chatId);
    this.last.delete(chatId);
    this.seen.delete(chatId);
    this.syncFrom?.delete(chatId);
  }

  /** The connection dropped: the next sync starts from what we hold now (kept across
   *  failed attempts until a catch-up completes). */
  dropped() {
    if (!this.syncFrom) this.syncFrom = new Map(this.last);
  }

  /**
   * A new connection said hello: the chats to sync, each from its cursor (null: from its
   * beginning). After a reconnect every chat we know; on a first connection only the
   * chats whose messages the app told us it holds (track()).
   * @param {boolean} reconnected
   * @param {string[]} helloChats
   * @returns {Record<string, string | null>}
   */
  plan(reconnected, helloChats) {
    const cursors = this.syncFrom ?? new Map(this.last);
    const known = new Set([...(reconnected ? this.chats : []), ...helloChats]);
    this.chats = new Set(helloChats);
    /** @type {Record<string, string | null>} */
    const wanted = {};
    for (const chatId of known) {
      if (cursors.has(chatId)) wanted[chatId] = cursors.get(chatId) ?? null;
      else if (reconnected) wanted[chatId] = null;
    }
    return wanted;
  }

  /** The catch-up is delivered: the next drop takes a fresh snapshot. */
  caughtUp() {
    this.syncFrom = null;
  }

  /** @param {string} chatId @returns {string | null} */
  lastMessageId(chatId) {
    return this.last.get(chatId) ?? null;
  }
}

/**
 * While the client has two connections open (a renewal: the next one is greeted before the
 * old one is closed), the server sends every event to both. Messages and updates are
 * deduped by id and version wherever they come from; this drops the other copies (chat
 * events, read positions, statuses, typing, and updates the message list does not hold):
 * the n-th arrival of a frame on one connection is a copy when another connection already
 * brought it n times. Only frames of the overlap are kept, and forgotten when it ends.
 */
export class FrameCopies {
  constructor() {
    /** @type {Map<string, Map<any, number>>} frame text -> connection -> arrivals */
    this.arrivals = new Map();
  }

  /** Note a frame's arrival on `socket`: true if it is a copy of one another connection
   *  brought. @param {any} socket @param {string} text */
  isCopy(socket, text) {
    let bySocket = this.arrivals.get(text);
    if (!bySocket) this.arrivals.set(text, (bySocket = new Map()));
    const before = bySocket.get(socket) || 0;
    bySocket.set(socket, before + 1);
    for (const [other, count] of bySocket) if (other !== socket && count > before) return true;
    return false;
  }

  /** The overlap ended: one connection again. */
  clear() {
    this.arrivals.clear();
  }
}
