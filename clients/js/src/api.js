// The typed API: one method per action of docs/protocol.md, resolving with the answer's
// data or rejecting with a SwitchboardError carrying the server's code; the typing
// helpers; track() for the messages the app already holds; and messages(), each chat's
// messages in id order (messages.js); attachments (attachments.js: REST and S3); and
// calls: one helper per call action, and the calls this client is a peer of, rejoined on
// every new connection (calls.js).

import { freshUrl, upload } from "./attachments.js";
import { ActiveCalls } from "./calls.js";
import { ClientCore } from "./core.js";
import { SwitchboardError } from "./errors.js";
import { Action, ClientEvent, ErrorCode, Event, LocalErrorCode } from "./protocol.js";
import { RESENT_AFTER_REJOIN, RETRY_OF, Retry } from "./requests.js";

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
 * @typedef {import("./protocol.js").Attachment} Attachment
 * @typedef {import("./protocol.js").UploadGrant} UploadGrant
 * @typedef {import("./protocol.js").CallMedia} CallMedia
 * @typedef {import("./protocol.js").CallJoined} CallJoined
 * @typedef {import("./protocol.js").CallInvited} CallInvited
 * @typedef {import("./protocol.js").CallRinging} CallRinging
 * @typedef {import("./protocol.js").CallUser} CallUser
 * @typedef {import("./protocol.js").CallPeerJoined} CallPeerJoined
 * @typedef {import("./protocol.js").CallCancelled} CallCancelled
 * @typedef {import("./protocol.js").CallMissed} CallMissed
 * @typedef {import("./protocol.js").CallLeft} CallLeft
 * @typedef {import("./protocol.js").CallLeave} CallLeave
 * @typedef {import("./protocol.js").CallEnded} CallEnded
 * @typedef {import("./protocol.js").CallSignal} CallSignal
 * @typedef {import("./protocol.js").SignalKind} SignalKind
 * @typedef {import("./protocol.js").SignalSent} SignalSent
 * @typedef {import("./protocol.js").ScreenShare} ScreenShare
 * @typedef {import("./attachments.js").FileData} FileData
 * @typedef {import("./calls.js").HeldCall} HeldCall
 * @typedef {{callId: string, peerId: string, error: SwitchboardError}} CallRejoinFailed
 * @typedef {import("./core.js").ClientOptions} ClientOptions
 * @typedef {import("./core.js").State} State
 * @typedef {import("./core.js").StateChange} StateChange
 * @typedef {import("./core.js").Renewed} Renewed
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
 * `client:call-rejoined` (the rejoin's ack) and `client:call-lost` are the client's own: a call
 * this client is a peer of was moved to its new connection after a renewal or a
 * reconnect, or could not be (the grace period passed, or the call ended): it is
 * forgotten, and the other peers hear `call:left` (reason dropped).
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
 *   "call:ringing": CallRinging,
 *   "call:answered-elsewhere": CallUser,
 *   "call:joined": CallPeerJoined,
 *   "call:declined": CallUser,
 *   "call:cancelled": CallCancelled,
 *   "call:missed": CallMissed,
 *   "call:left": CallLeft,
 *   "call:ended": CallEnded,
 *   "call:signal": CallSignal,
 *   "call:screen": ScreenShare,
 *   "client:call-rejoined": CallJoined,
 *   "client:call-lost": CallRejoinFailed,
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
    this._calls = new ActiveCalls();
    // The calls held follow the connection: rejoined on every new one (a reconnect's here, a
    // renewal's in _switched(), before the old one closes), forgotten when they end. These listeners come
    // before any of the app's, so the app's see the calls already updated.
    super.on(ClientEvent.CONNECTED, () => this._rejoinCalls());
    super.on(Event.CALL_JOINED, (/** @type {CallPeerJoined} */ data) => this._calls.answered(data.callId));
    const over = (/** @type {string} */ what) => new SwitchboardError(ErrorCode.NOT_FOUND, `the call ${what}`);
    super.on(Event.CALL_ENDED, (/** @type {CallEnded} */ data) => this._calls.forget(data.callId, over("ended")));
    super.on(Event.CALL_CANCELLED,
             (/** @type {CallCancelled} */ data) => this._calls.forget(data.callId, over("was cancelled")));
    // Missed: the end of a call nobody answered; an answered group call goes on without
    // whoever missed it.
    super.on(Event.CALL_MISSED, (/** @type {CallMissed} */ data) => {
      const held = this._calls.get(data.callId);
      if (held && !held.answered) this._calls.forget(data.callId, over("was missed"));
    });
  }

  /** Close for good (see ClientCore.close). Calls are not left: the server drops this
   *  client's peers after the grace period; leaveCall() first to hang up at once. */
  close() {
    super.close();
    this._calls.clear(new SwitchboardError(LocalErrorCode.CLOSED, "the client was closed"));
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
   * `attachments`: ids of files uploaded to this chat (uploadAttachment()'s
   * `attachmentId`); with at least one, the body may be null or "" (none is sent).
   * @param {string} chatId
   * @param {string | null | undefined} body
   * @param {{clientMessageId?: string, attachments?: string[]}} [options]
   * @returns {Promise<Message>}
   */
  async send(chatId, body, options = {}) {
    const clientMessageId = options.clientMessageId || newId("m");
    const attachments = options.attachments || [];
    /** @type {Record<string, any>} */
    const data = { chatId, body, clientMessageId };
    if (attachments.length) {
      data.attachments = [...attachments];
      if (body == null || body === "") delete data.body;
    }
    this.stopTyping(chatId);
    this._sending.set(clientMessageId, (this._sending.get(clientMessageId) || 0) + 1);
    let message;
    try {
      message = await this._request(Action.MESSAGE_SEND, data, RETRY_OF[Action.MESSAGE_SEND]);
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

  // ------------------------------------------------------------------ attachments

  /**
   * Upload a file to a chat: the REST API grants the upload (with the token, a fresh one
   * when `token` is a function), then the file goes straight to S3. Resolves with the
   * grant: send its `attachmentId` with send(chatId, body, {attachments: [...]}) before
   * its `expiresAt`. Rejects with a SwitchboardError of the API's code (bad_request for a
   * type that is not allowed or an empty file, not_found outside the chat; 413's too
   * large is bad_request, `data.status` 413), or an UploadError (code upload_failed,
   * `status` S3's HTTP status) when S3 refuses the file. Needs `restUrl`.
   * @param {string} chatId
   * @param {FileData} file a File, Blob, ArrayBuffer or typed array (Uint8Array, Buffer)
   * @param {{name?: string, contentType?: string, signal?: AbortSignal}} [options]
   *   `name` and `contentType` default to a File's name and type
   * @returns {Promise<UploadGrant>}
   */
  async uploadAttachment(chatId, file, options = {}) {
    return upload(this._restUrl(), await this._restToken(), chatId, file, options);
  }

  /**
   * An attached file with a fresh download URL (the `url` a message carries expires at
   * its `urlExpiresAt`). not_found outside the chat, or for a file no message carries.
   * @param {string} chatId @param {string} attachmentId @param {{signal?: AbortSignal}} [options]
   * @returns {Promise<Attachment>}
   */
  async attachment(chatId, attachmentId, options = {}) {
    return freshUrl(this._restUrl(), await this._restToken(), chatId, attachmentId, options);
  }

  _restUrl() {
    if (!this.options.restUrl) throw new TypeError("attachments need the REST API: give the client a restUrl");
    return this.options.restUrl;
  }

  /** The token for a REST call: a fresh one when `token` is a function. */
  async _restToken() {
    const token = this.options.token;
    return typeof token === "function" ? await token() : token;
  }

  // ------------------------------------------------------------------ calls
  //
  // Each helper resolves with the ack's data. What may go out again after a drop
  // (requests.js, RETRY_OF): decline as is; leave, cancel and screen once the call is
  // rejoined on the next connection (they name this connection's peer); never invite,
  // accept, join nor signal. The calls this client is a peer of (activeCalls()) are
  // rejoined on every new connection: after a reconnect and after a renewal, before the
  // old connection closes (`client:call-rejoined`, or `client:call-lost` and forgotten); a
  // signal, screen, leave or cancel of a call being rejoined waits for it.

  /**
   * Ring a chat's other members (or `userIds`, at most 3). The ack's `busy` are those not
   * rung (in another call); when everybody is, the call is over at once (`call.status`
   * "ended", no `peerId`). Otherwise this device is the call's first peer.
   * @param {string} chatId
   * @param {{media: CallMedia, userIds?: string[]}} options
   * @returns {Promise<CallInvited>}
   */
  inviteCall(chatId, { media, userIds } = /** @type {any} */ ({})) {
    const data = userIds ? { chatId, media, userIds: [...userIds] } : { chatId, media };
    return this._becomePeer(Action.CALL_INVITE, data);
  }

  /** Answer a call ringing for you, on this device: it becomes a peer; send an offer to
   *  each of the ack's `call.peers`. @param {string} callId @returns {Promise<CallJoined>} */
  acceptCall(callId) {
    return this._becomePeer(Action.CALL_ACCEPT, { callId });
  }

  /** Decline a call ringing for you (on all your devices). @param {string} callId
   *  @returns {Promise<CallUser>} */
  declineCall(callId) {
    return this._request(Action.CALL_DECLINE, { callId }, RETRY_OF[Action.CALL_DECLINE]);
  }

  /** The caller hangs up before anyone answered (from the device that invited).
   *  not_found after a drop may mean the first cancel went through.
   *  @param {string} callId @returns {Promise<CallCancelled>} */
  async cancelCall(callId) {
    /** @type {CallCancelled} */
    const cancelled = await this._peerAction(Action.CALL_CANCEL, { callId }, [ErrorCode.NOT_FOUND]);
    this._calls.forget(callId);
    return cancelled;
  }

  /** Join an answered call of one of your chats (accepts it if it rings for you).
   *  @param {string} callId @returns {Promise<CallJoined>} */
  joinCall(callId) {
    return this._becomePeer(Action.CALL_JOIN, { callId });
  }

  /** Hang up this device's peer (`ended`: the call ended with it). not_found after a drop
   *  may mean the first leave went through. @param {string} callId @returns {Promise<CallLeave>} */
  async leaveCall(callId) {
    /** @type {CallLeave} */
    const left = await this._peerAction(Action.CALL_LEAVE, { callId }, [ErrorCode.NOT_FOUND]);
    this._calls.forget(callId);
    return left;
  }

  /** Move your peer of a call to this connection (the client does it by itself for the
   *  calls it holds; this is for a peer it does not know, e.g. from a previous page).
   *  @param {string} callId @param {string} peerId @returns {Promise<CallJoined>} */
  async rejoinCall(callId, peerId) {
    /** @type {CallJoined} */
    const joined = await this._request(Action.CALL_REJOIN, { callId, peerId }, RETRY_OF[Action.CALL_REJOIN]);
    this._calls.rejoined(joined);
    return joined;
  }

  /**
   * Relay an offer, answer or ICE candidate to one peer of the call (`to`: its peerId).
   * `payload`: `{sdp}` of an RTCSessionDescription, or an RTCIceCandidate's toJSON(); at
   * most 32 KB. The ack's `delivered` says whether the peer's connection took it.
   * @param {string} callId @param {string} to @param {SignalKind} kind @param {Record<string, any>} payload
   * @returns {Promise<SignalSent>}
   */
  signal(callId, to, kind, payload) {
    return this._peerAction(Action.CALL_SIGNAL, { callId, to, kind, payload });
  }

  /** Announce that you start or stop sharing your screen (renegotiate the track itself
   *  with signal()). @param {string} callId @param {boolean} sharing @returns {Promise<ScreenShare>} */
  shareScreen(callId, sharing) {
    return this._peerAction(Action.CALL_SCREEN, { callId, sharing: !!sharing });
  }

  /** The calls this client is a peer of (and rejoins on a new connection).
   * @returns {HeldCall[]} */
  activeCalls() {
    return this._calls.list();
  }

  /**
   * An action of this connection's peer: it waits for the call's rejoin under way (on a
   * new connection the peer is not there before); resent once the call is rejoined on the
   * next connection when the connection dropped under it (RESENT_AFTER_REJOIN); an
   * answer with a code of `forgetOn` means this client is no peer of the call.
   * @param {string} action @param {{callId: string} & Record<string, any>} data
   * @param {string[]} [forgetOn]
   */
  async _peerAction(action, data, forgetOn = []) {
    const { callId } = data;
    const resend = RESENT_AFTER_REJOIN.has(action);
    for (let attempt = 0; ; attempt++) {
      const rejoining = this._calls.rejoining(callId);
      if (rejoining) await rejoining;
      const sent = this._request(action, data, RETRY_OF[action]);
      this._calls.sending(callId, sent);
      try {
        return await sent;
      } catch (error) {
        const code = /** @type {SwitchboardError} */ (error).code;
        if (forgetOn.includes(code)) this._calls.forget(callId, /** @type {Error} */ (error));
        const lost = code === LocalErrorCode.DISCONNECTED;
        if (!resend || !lost || !this._calls.has(callId) || attempt >= this.options.maxRetries) throw error;
        // Rejoined on the next connection (or forgotten: the call is over for us).
        await this._calls.nextRejoin(callId);
      }
    }
  }

  /** A renewal's switch: the calls held are rejoined on the new connection; the old one
   *  stays open until they are. @returns {Promise<unknown>[]} */
  _switched() {
    return this._rejoinCalls();
  }

  /** Rejoin calls held (all of them, or `callIds`) on the current connection, each after
   *  the requests for it still in flight on the one before, and any rejoin before it.
   *  @param {string[]} [callIds] @returns {Promise<void>[]} the rejoins (never rejecting) */
  _rejoinCalls(callIds) {
    const ws = this._ws;
    return (callIds || this._calls.list().map((held) => held.callId))
      .map((callId) => this._calls.chainRejoin(callId, () => this._rejoinOn(callId, ws)));
  }

  /** A request that makes this device a peer (invite, accept, join): the call is held; if
   *  the connection was replaced while it was answered, the peer is on the old one: it is
   *  rejoined on the new one. @param {string} action @param {Record<string, any>} data */
  async _becomePeer(action, data) {
    const answer = this._request(action, data, RETRY_OF[action]);
    const sentOn = this._ws;
    const joined = await answer;
    if (joined && joined.peerId && joined.call) {
      this._calls.hold(joined);
      if (this._ws && sentOn !== this._ws && this.state === "open") this._rejoinCalls([joined.call.callId]);
    }
    return joined;
  }

  /** @param {string} callId @param {any} ws the connection it was due on */
  async _rejoinOn(callId, ws) {
    await this._calls.settledSends(callId);
    const held = this._calls.get(callId);
    // Forgotten meanwhile, or a newer connection's rejoin comes next.
    if (!held || !ws || ws !== this._ws) return;
    try {
      /** @type {CallJoined} */
      const joined = await this._request(Action.CALL_REJOIN, { callId, peerId: held.peerId },
                                         RETRY_OF[Action.CALL_REJOIN], { onSocket: ws });
      if (!this._calls.has(callId)) return;
      this._calls.rejoined(joined);
      this.emit(ClientEvent.CALL_REJOINED, joined);
    } catch (error) {
      const failure = /** @type {SwitchboardError} */ (error);
      // The connection went (or the client closed): the next one rejoins.
      if (/** @type {string[]} */ (Object.values(LocalErrorCode)).includes(failure.code)) return;
      this._calls.forget(callId, failure);
      this.emit(ClientEvent.CALL_LOST, { callId, peerId: held.peerId, error: failure });
    }
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
