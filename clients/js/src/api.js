// The typed API: one method per action of docs/protocol.md, resolving with the answer's
// data or rejecting with a SwitchboardError carrying the server's code; the typing
// helpers; track() for the messages the app already holds; and messages(), each chat's
// messages in id order (messages.js).

import { ClientCore } from "./core.js";
import { Action } from "./protocol.js";
import { RETRY_OF, Retry } from "./requests.js";

/**
 * @typedef {import("./protocol.js").Message} Message
 * @typedef {import("./protocol.js").Hello} Hello
 * @typedef {import("./protocol.js").Deleted} Deleted
 * @typedef {import("./protocol.js").ReactionChange} ReactionChange
 * @typedef {import("./protocol.js").ReadPosition} ReadPosition
 * @typedef {import("./protocol.js").Typing} Typing
 * @typedef {import("./protocol.js").TypingList} TypingList
 * @typedef {import("./protocol.js").ChatPresence} ChatPresence
 * @typedef {import("./protocol.js").UserStatus} UserStatus
 * @typedef {import("./protocol.js").Chat} Chat
 * @typedef {import("./protocol.js").HeartbeatAck} HeartbeatAck
 * @typedef {import("./core.js").ClientOptions} ClientOptions
 * @typedef {import("./core.js").State} State
 * @typedef {import("./core.js").StateChange} StateChange
 * @typedef {import("./core.js").Renewed} Renewed
 * @typedef {import("./errors.js").SwitchboardError} SwitchboardError
 * @typedef {{reconnected: boolean, delivered: number, chats: number}} Synced
 */

/**
 * The events and what they carry: the server's (`message:new` is delivered as `message`,
 * once per id) and the client's own (`typing:update`, `connected`, `synced`, `sync:more`,
 * `state`, `heartbeat`, `client:renewed`). `error` is a server error not tied to a request
 * of yours. `client:renewed`: the connection was replaced before API Gateway's cut (no
 * drop: no `state` change, no `connected`, no sync).
 * `message` comes when the first copy of a message arrives, which may be after a newer
 * one (sharded delivery): messages() already holds it, in its place. It and
 * `message:edited` carry the message as messages() holds it. `message:edited`,
 * `message:deleted` and `message:reaction` come only when they changed it: a duplicate,
 * or a copy overtaken by a newer version, is not raised.
 * `sync:more`: more missed messages than sync gave (only without `restUrl`): fetch them
 * with GET /chats/{chatId}/messages?after=
 * @typedef {{
 *   "message": Message,
 *   "message:edited": Message,
 *   "message:deleted": Deleted,
 *   "message:reaction": ReactionChange,
 *   "message:read": ReadPosition,
 *   "chat:created": Chat,
 *   "chat:member-added": {chatId: string, userId: string, role: string, addedBy: string},
 *   "chat:member-removed": {chatId: string, userId: string, removedBy: string},
 *   "user:status": UserStatus,
 *   "typing": Typing,
 *   "typing:update": {chatId: string, userIds: string[]},
 *   "connected": Hello,
 *   "synced": Synced,
 *   "sync:more": {chatId: string, after: string},
 *   "state": StateChange,
 *   "heartbeat": HeartbeatAck,
 *   "client:renewed": Renewed,
 *   "error": SwitchboardError,
 * }} EventMap
 */

/** A fresh id of the protocol's alphabet (works outside secure contexts too). */
export function newId(prefix = "c") {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class SwitchboardClient extends ClientCore {
  /** @param {ClientOptions} options */
  constructor(options) {
    super(options);
  }

  // ------------------------------------------------------------------ events

  /**
   * Listen to an event (see EventMap). Returns a function that removes the listener.
   * @template {keyof EventMap} K
   * @param {K} event
   * @param {(data: EventMap[K]) => void} handler
   * @returns {() => void}
   */
  on(event, handler) {
    return super.on(event, handler);
  }

  /**
   * @template {keyof EventMap} K
   * @param {K} event
   * @param {(data: EventMap[K]) => void} handler
   */
  off(event, handler) {
    super.off(event, handler);
  }

  // ------------------------------------------------------------------ held messages

  /**
   * Tell the client about messages the app already holds (e.g. history from the REST
   * API): they are never delivered again, and the newest one per chat is where the next
   * sync starts. They join messages() (merged by version with what is held).
   * @param {Message | Message[] | null | undefined} messages
   */
  track(messages) {
    for (const message of /** @type {Message[]} */ ([]).concat(messages || [])) {
      if (message && message.id) {
        this._resume.remember(message);
        this._messages.put(message);
      }
    }
  }

  /**
   * A chat's messages, in id order (creation order) whatever order they arrived in, each
   * id once, each at the newest version received of it: live, from sync and REST pages
   * after a drop, the answers to this client's own requests, and track(). The newest
   * `messageLimit` (1000) per chat are kept. A new array each call; treat its messages as
   * read-only (a change makes a new object, it never alters one handed out).
   * @param {string} chatId
   * @returns {Message[]}
   */
  messages(chatId) {
    return this._messages.messages(chatId);
  }

  /** One message as messages() holds it, or null. @param {string} chatId @param {string} messageId
   *  @returns {Message | null} */
  getMessage(chatId, messageId) {
    return this._messages.get(chatId, messageId);
  }

  /** The newest message id the client holds of a chat. @param {string} chatId @returns {string | null} */
  lastMessageId(chatId) {
    return this._resume.lastMessageId(chatId);
  }

  // ------------------------------------------------------------------ requests

  /**
   * Send any action; resolves with the reply's data (ack or connection:success).
   * @param {string} action
   * @param {Record<string, any>} [data]
   * @param {{retry?: "always" | "queue" | "never"}} [options]
   * @returns {Promise<any>}
   */
  request(action, data = {}, options = {}) {
    return this._request(action, data, options.retry || Retry.QUEUE);
  }

  /**
   * Send a message. Resolves with the stored message. The clientMessageId (generated
   * when not given) makes retries safe: a resend after a drop stores nothing twice.
   * @param {string} chatId
   * @param {string} body
   * @param {{clientMessageId?: string}} [options]
   * @returns {Promise<Message>}
   */
  async send(chatId, body, options = {}) {
    const clientMessageId = options.clientMessageId || newId("m");
    this.stopTyping(chatId);
    this._sending.set(clientMessageId, (this._sending.get(clientMessageId) || 0) + 1);
    let message;
    try {
      message = await this._request(Action.MESSAGE_SEND, { chatId, body, clientMessageId },
        RETRY_OF[Action.MESSAGE_SEND]);
    } finally {
      const left = this._sending.get(clientMessageId) - 1;
      if (left) this._sending.set(clientMessageId, left);
      else this._sending.delete(clientMessageId);
    }
    this._resume.remember(message);
    this._messages.put(message);
    return message;
  }

  /** The answer (the edited message) also goes into messages().
   * @param {string} chatId @param {string} messageId @param {string} body @returns {Promise<Message>} */
  async edit(chatId, messageId, body) {
    /** @type {Message} */
    const message = await this._request(Action.MESSAGE_EDIT, { chatId, messageId, body }, RETRY_OF[Action.MESSAGE_EDIT]);
    this._messages.put(message);
    return message;
  }

  /** The answer also goes into messages() (a tombstone).
   * @param {string} chatId @param {string} messageId @returns {Promise<Deleted>} */
  async deleteMessage(chatId, messageId) {
    /** @type {Deleted} */
    const deleted = await this._request(Action.MESSAGE_DELETE, { chatId, messageId }, RETRY_OF[Action.MESSAGE_DELETE]);
    this._messages.deleted(deleted);
    return deleted;
  }

  /** The answer also goes into messages().
   * @param {string} chatId @param {string} messageId @param {string} emoji @returns {Promise<ReactionChange>} */
  async react(chatId, messageId, emoji) {
    /** @type {ReactionChange} */
    const change = await this._request(Action.MESSAGE_REACT, { chatId, messageId, emoji }, RETRY_OF[Action.MESSAGE_REACT]);
    this._messages.reaction(change);
    return change;
  }

  /** The answer also goes into messages().
   * @param {string} chatId @param {string} messageId @param {string} emoji @returns {Promise<ReactionChange>} */
  async unreact(chatId, messageId, emoji) {
    /** @type {ReactionChange} */
    const change = await this._request(Action.MESSAGE_UNREACT, { chatId, messageId, emoji }, RETRY_OF[Action.MESSAGE_UNREACT]);
    this._messages.reaction(change);
    return change;
  }

  /** Read up to a message. @param {string} chatId @param {string} messageId @returns {Promise<ReadPosition>} */
  markRead(chatId, messageId) {
    return this._request(Action.MESSAGE_READ, { chatId, messageId }, RETRY_OF[Action.MESSAGE_READ]);
  }

  /** @param {string} chatId @returns {Promise<ReadPosition>} */
  readAll(chatId) {
    return this._request(Action.CHAT_READ_ALL, { chatId }, RETRY_OF[Action.CHAT_READ_ALL]);
  }

  /** @param {"online" | "away" | "busy"} status @param {string} [text] @returns {Promise<UserStatus>} */
  setPresence(status, text) {
    return this._request(Action.PRESENCE_SET, text ? { status, text } : { status }, RETRY_OF[Action.PRESENCE_SET]);
  }

  /**
   * Who is online in a chat. A small chat (`announced`: its members also hear each
   * `user:status`) answers all its online members; a large one (no `user:status` or
   * `typing` from it) up to 100 and the `cursor` to ask the next page with, null at the
   * end. onlineMembers() follows the cursor.
   * @param {string} chatId
   * @param {string | null} [cursor] the `cursor` of the previous answer
   * @returns {Promise<ChatPresence>}
   */
  chatPresence(chatId, cursor) {
    const data = cursor == null ? { chatId } : { chatId, cursor };
    return this._request(Action.CHAT_PRESENCE, data, RETRY_OF[Action.CHAT_PRESENCE]);
  }

  /**
   * Every online member of a chat: chatPresence() page after page until its `cursor` is
   * null, as one answer: the `users` of every page, each user once (a large chat's pages
   * may repeat one: the later page's status is kept), the last page's `onlineCount`,
   * `cursor` null. A `degraded` page ends the walk and is kept in the answer: its `users`
   * are then only those of the pages before.
   * @param {string} chatId
   * @returns {Promise<ChatPresence>}
   */
  async onlineMembers(chatId) {
    /** @type {Map<string, ChatPresence["users"][number]>} */
    const users = new Map();
    let cursor = null;
    for (;;) {
      const page = await this.chatPresence(chatId, cursor);
      for (const entry of page.users || []) users.set(entry.userId, entry);
      cursor = page.cursor ?? null;
      if (cursor === null) return { ...page, users: [...users.values()] };
    }
  }

  /** @param {string} chatId @returns {Promise<Typing>} */
  typingStart(chatId) {
    return this._request(Action.TYPING_START, { chatId }, RETRY_OF[Action.TYPING_START]);
  }

  /** @param {string} chatId @returns {Promise<Typing>} */
  typingStop(chatId) {
    return this._request(Action.TYPING_STOP, { chatId }, RETRY_OF[Action.TYPING_STOP]);
  }

  /** Who is typing in a chat now (also fed to typingUsers() and `typing:update`).
   * @param {string} chatId @returns {Promise<TypingList>} */
  async typingList(chatId) {
    /** @type {TypingList} */
    const list = await this._request(Action.TYPING_LIST, { chatId }, RETRY_OF[Action.TYPING_LIST]);
    for (const { userId, expiresAt } of list.typing || []) {
      if (userId !== this.userId) this._typingIn.update({ chatId, userId, isTyping: true, expiresAt });
    }
    return list;
  }

  // ------------------------------------------------------------------ typing helpers

  /**
   * Call on every keystroke in a chat's composer: typing:start now and every 2 s while
   * it goes on, typing:stop after 3 s without a keystroke (or on send / stopTyping()).
   * @param {string} chatId
   */
  typing(chatId) {
    if (this.state !== "open") return;
    this._typingOut.keystroke(chatId);
  }

  /** @param {string} chatId */
  stopTyping(chatId) {
    this._typingOut.done(chatId);
  }

  /** Who is typing in a chat now (other users). @param {string} chatId @returns {string[]} */
  typingUsers(chatId) {
    return this._typingIn.users(chatId);
  }
}
