// The messages the client holds, per chat, in id order, each at its newest version.
//
// Delivery is at least once and, with sharded fan-out, in no particular order: a chat's
// `message:new` frames, and the `message:edited` / `message:deleted` / `message:reaction`
// frames of its messages, can arrive late, early or twice. Every copy the client gets
// (live frames, `sync` and REST pages, the answers to its own requests, and what the app
// passes to track()) is merged here, so that:
// - a chat's list is in id order (ids are ULIDs: string order is creation order) whatever
//   order the copies arrived in, and holds each id once;
// - each part of a message keeps the newest version received of it. A message has two
//   parts that change independently: its text (`body`, `editedAt`, `deleted`, `attachments`
//   and a call message's `call`), set by the message itself, edits, the delete and a call's
//   progress, and its `reactions`, set by the message, edits,
//   reactions and the delete (to {}). A part is replaced only by a copy of a higher
//   `version`: a duplicate, or a copy overtaken by a newer one, changes nothing (a late
//   `message:edited` v2 after `message:deleted` v3 does not bring the body back), while an
//   edit overtaken by a reaction still brings its body (the reaction carried none);
// - an update of a message not received yet is kept (not listed) and applied when the
//   message arrives; nothing is fetched.
// Memory is bounded: per chat, the newest `limit` messages (a copy older than all of a full
// list is not taken) and the updates of at most PENDING_LIMIT messages not received yet.
// A message object is never changed once handed out: a merge makes a new one.

/** @typedef {import("./protocol.js").Message} Message */

export const DEFAULT_MESSAGE_LIMIT = 1000; // messages kept per chat
export const PENDING_LIMIT = 1000; // messages per chat whose updates wait for the message

/** What a copy did to the store (and so whether its event is raised). */
export const Change = Object.freeze({
  CHANGED: "changed", // it brought something newer (or a message not held before)
  STALE: "stale", // nothing newer than what is held: a duplicate, or overtaken
  UNTRACKED: "untracked", // outside what the store keeps (a full list, limit 0): cannot tell
});

const TEXT = ["body", "editedAt", "deleted", "attachments", "call"];

/** A version as sent (a positive integer), else null. @param {any} value @returns {number | null} */
export function versionOf(value) {
  return Number.isInteger(value) && value > 0 ? value : null;
}

// Without a version a copy cannot be ordered: it is taken in arrival order.
/** @param {number | null} version @param {number} held */
function isNewer(version, held) {
  return version === null || version > held;
}

/** @param {string[]} sorted @param {string} id */
function position(sorted, id) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle] < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * @typedef {Object} Held
 * @property {Record<string, any>} message the merged copy (only the updated parts while not complete)
 * @property {boolean} complete a whole message was received, not only updates of it
 * @property {number} textVersion the version its text is known at (0: unknown)
 * @property {number} reactionsVersion
 */

/** One chat: its messages in id order, and the updates waiting for their message. */
export class ChatMessages {
  /** @param {string} chatId @param {number} limit */
  constructor(chatId, limit) {
    this.chatId = chatId;
    this.limit = limit;
    /** @type {Map<string, Held>} complete and pending, by id */
    this.held = new Map();
    /** @type {string[]} the ids of the complete ones, ascending */
    this.order = [];
    /** @type {string[]} the ids of the pending ones, ascending */
    this.pending = [];
  }

  /** @returns {Message[]} */
  list() {
    return this.order.map((id) => /** @type {Message} */ (this.held.get(id).message));
  }

  /** @param {string} id @returns {Message | null} */
  get(id) {
    const held = this.held.get(id);
    return held && held.complete ? /** @type {Message} */ (held.message) : null;
  }

  /** True when a message of this id would not be kept: limit 0, or older than every
   *  message of a full list (it would be the first one dropped). @param {string} id */
  outside(id) {
    if (!(this.limit > 0)) return true;
    return this.order.length >= this.limit && id < this.order[0];
  }

  /**
   * Merge a whole message (`message:new` or `message:edited`, an answer, a page).
   * @param {Record<string, any>} message
   * @returns {{message: Message, change: string}}
   */
  put(message) {
    const id = message.id;
    const version = versionOf(message.version);
    const held = this.held.get(id);
    if (!held && this.outside(id)) return { message: /** @type {Message} */ ({ ...message }), change: Change.UNTRACKED };
    if (!held || !held.complete) {
      const merged = { ...message };
      const known = version ?? 1;
      let textVersion = known;
      let reactionsVersion = known;
      if (held) {
        // Updates that came before the message.
        if (held.textVersion > known) {
          for (const key of TEXT) if (key in held.message) merged[key] = held.message[key];
          textVersion = held.textVersion;
        }
        if (held.reactionsVersion > known) {
          merged.reactions = held.message.reactions;
          reactionsVersion = held.reactionsVersion;
        }
        this.pending.splice(position(this.pending, id), 1);
      }
      merged.version = Math.max(textVersion, reactionsVersion);
      this.held.set(id, { message: merged, complete: true, textVersion, reactionsVersion });
      this.order.splice(position(this.order, id), 0, id);
      this._trim();
      return { message: /** @type {Message} */ (merged), change: Change.CHANGED };
    }
    const merged = { ...held.message };
    let { textVersion, reactionsVersion } = held;
    let changed = false;
    if (isNewer(version, textVersion)) {
      for (const key of TEXT) if (key in message) merged[key] = message[key];
      textVersion = version ?? textVersion;
      changed = true;
    }
    if (isNewer(version, reactionsVersion)) {
      merged.reactions = message.reactions || {};
      reactionsVersion = version ?? reactionsVersion;
      changed = true;
    }
    if (!changed) return { message: /** @type {Message} */ (held.message), change: Change.STALE };
    merged.version = Math.max(textVersion, reactionsVersion, held.message.version || 0);
    this.held.set(id, { message: merged, complete: true, textVersion, reactionsVersion });
    return { message: /** @type {Message} */ (merged), change: Change.CHANGED };
  }

  /** A `message:deleted` (or the answer to our delete): a tombstone from `version`.
   * @param {string} id @param {number | null} version @returns {string} */
  deleted(id, version) {
    return this._update(id, version, { body: null, deleted: true }, { reactions: {} });
  }

  /** A `message:reaction` (or the answer to our react/unreact): the whole reaction state
   *  at `version`. @param {string} id @param {number | null} version @param {any} reactions
   *  @returns {string} */
  reaction(id, version, reactions) {
    const state = reactions && typeof reactions === "object" ? { ...reactions } : {};
    return this._update(id, version, null, { reactions: state });
  }

  /**
   * @param {string} id @param {number | null} version
   * @param {Record<string, any> | null} text @param {Record<string, any>} reactions
   * @returns {string}
   */
  _update(id, version, text, reactions) {
    let held = this.held.get(id);
    if (!held) {
      if (this.outside(id)) return Change.UNTRACKED;
      held = { message: { id, chatId: this.chatId }, complete: false, textVersion: 0, reactionsVersion: 0 };
      this.pending.splice(position(this.pending, id), 0, id);
    }
    const merged = { ...held.message };
    let { textVersion, reactionsVersion } = held;
    let changed = false;
    if (text && isNewer(version, textVersion)) {
      Object.assign(merged, text);
      textVersion = version ?? textVersion;
      changed = true;
    }
    if (isNewer(version, reactionsVersion)) {
      Object.assign(merged, reactions);
      reactionsVersion = version ?? reactionsVersion;
      changed = true;
    }
    if (!changed) return Change.STALE;
    merged.version = Math.max(textVersion, reactionsVersion, merged.version || 0);
    this.held.set(id, { message: merged, complete: held.complete, textVersion, reactionsVersion });
    this._trim();
    return Change.CHANGED;
  }

  _trim() {
    while (this.order.length > this.limit) this.held.delete(this.order.shift());
    while (this.pending.length > PENDING_LIMIT || (this.pending.length && this.outside(this.pending[0]))) {
      this.held.delete(this.pending.shift());
    }
  }
}

/** @param {any} data @param {string} idKey @returns {data is Record<string, any>} */
function identifies(data, idKey) {
  return !!data && typeof data === "object" && typeof data.chatId === "string" && typeof data[idKey] === "string";
}

/** Every chat's messages (see the header). `limit`: messages kept per chat (Infinity: all;
 *  0: none, and every copy is `untracked`). */
export class MessageStore {
  /** @param {number} [limit] */
  constructor(limit = DEFAULT_MESSAGE_LIMIT) {
    if (typeof limit !== "number" || Number.isNaN(limit) || limit < 0) {
      throw new TypeError("SwitchboardClient: messageLimit must be a number >= 0 (Infinity keeps all)");
    }
    this.limit = limit;
    /** @type {Map<string, ChatMessages>} */
    this.chats = new Map();
  }

  /** @param {string} chatId @returns {ChatMessages} */
  chat(chatId) {
    let chat = this.chats.get(chatId);
    if (!chat) this.chats.set(chatId, (chat = new ChatMessages(chatId, this.limit)));
    return chat;
  }

  /** @param {string} chatId @returns {Message[]} */
  messages(chatId) {
    return this.chats.get(chatId)?.list() ?? [];
  }

  /** @param {string} chatId @param {string} messageId @returns {Message | null} */
  get(chatId, messageId) {
    return this.chats.get(chatId)?.get(messageId) ?? null;
  }

  /** @param {string} chatId */
  forget(chatId) {
    this.chats.delete(chatId);
  }

  /** Merge a whole message; anything without a string `chatId` and `id` comes back as
   *  is, `untracked`. @param {any} message @returns {{message: any, change: string}} */
  put(message) {
    if (!identifies(message, "id")) return { message, change: Change.UNTRACKED };
    return this.chat(message.chatId).put(message);
  }

  /** A `message:deleted` payload ({chatId, messageId, version, ...}). @param {any} data @returns {string} */
  deleted(data) {
    if (!identifies(data, "messageId")) return Change.UNTRACKED;
    return this.chat(data.chatId).deleted(data.messageId, versionOf(data.version));
  }

  /** A `message:reaction` payload ({chatId, messageId, reactions, version, ...}). @param {any} data @returns {string} */
  reaction(data) {
    if (!identifies(data, "messageId")) return Change.UNTRACKED;
    return this.chat(data.chatId).reaction(data.messageId, versionOf(data.version), data.reactions);
  }
}
