// Switchboard browser client: one ES module, no dependencies, no build step.
//
//   import { SwitchboardClient } from "./switchboard.js";
//   const client = new SwitchboardClient({ url: "ws://127.0.0.1:3001/local", token, restUrl });
//   client.on("message", (m) => console.log(m.senderId, m.body));
//   await client.connect();
//   const stored = await client.send(chatId, "hello");
//
// What it does for you (docs/protocol.md is the contract):
// - reconnects after any drop with exponential backoff (doubling from `initialDelayMs` up
//   to `maxDelayMs`) and jitter (each delay drawn between half and all of that), and at
//   once when the browser comes back online;
// - resumes: after a reconnect it sends `sync` with the newest message id it had of every
//   chat when the connection dropped, delivers what was missed oldest first (following
//   `hasMore` over the REST API when `restUrl` is given), then what arrived live meanwhile,
//   and never delivers a message id twice;
// - typed actions return a Promise of the `ack` data, or reject with a SwitchboardError
//   carrying the server's error code; sends keep their clientMessageId across retries and
//   reconnects (queued while offline, resent after reconnecting, paced on rate_limited);
// - heartbeats every `heartbeatSeconds` (from `hello`), and at once when the browser says
//   it went offline: a heartbeat (or the greeting, or the catch-up) left unanswered for
//   `requestTimeoutMs` means the connection is dead, and it is dropped and reopened; any
//   other request left unanswered is resent if that is safe (sends, reactions, reads),
//   else rejected with `timeout`, and the connection is probed;
// - typing: `typing(chatId)` on every keystroke sends typing:start at most every 2 s and
//   typing:stop after 3 s idle; incoming indicators expire at `expiresAt`.

/**
 * @typedef {{count: number, users: string[]}} Reaction
 * @typedef {{
 *   id: string, chatId: string, senderId: string, body: string | null, createdAt: string,
 *   clientMessageId?: string | null, version?: number, editedAt?: string | null,
 *   deleted?: boolean, reactions?: Record<string, Reaction>
 * }} Message
 * @typedef {{connectionId: string, userId: string, chats: string[], heartbeatSeconds?: number}} Hello
 * @typedef {{chatId: string, messageId: string, deletedBy: string, deletedAt: string, version: number}} Deleted
 * @typedef {{chatId: string, messageId: string, emoji: string, userId: string, added: boolean,
 *            reactions: Record<string, Reaction>, version: number}} ReactionChange
 * @typedef {{chatId: string, userId: string, messageId: string | null, readAt: string | null}} ReadPosition
 * @typedef {{chatId: string, userId: string, isTyping: boolean, expiresAt: string | null}} Typing
 * @typedef {{userId: string, status: "online" | "away" | "busy" | "offline", text: string | null,
 *            lastSeen: string | null}} UserStatus
 * @typedef {{id: string, name: string | null, createdBy: string, createdAt: string, members: string[]}} Chat
 * @typedef {"idle" | "connecting" | "open" | "reconnecting" | "closed"} State
 * @typedef {{state: State, attempt: number, delayMs?: number, retryAt?: number, reason?: string}} StateChange
 * @typedef {{reconnected: boolean, delivered: number, chats: number}} Synced
 *
 * @typedef {Object} ClientOptions
 * @property {string} url WebSocket URL of the stage, e.g. ws://127.0.0.1:3001/local
 * @property {string | (() => string | Promise<string>)} token a JWT, or a function returning
 *   one (called before every connection attempt, so it can refresh)
 * @property {string} [restUrl] REST base (e.g. http://127.0.0.1:3001/api): lets sync fetch
 *   the rest of a chat when the server says `hasMore`
 * @property {number} [initialDelayMs=500] first reconnect delay (before jitter)
 * @property {number} [maxDelayMs=30000] cap of the reconnect delay
 * @property {number} [requestTimeoutMs=20000] how long an answer may take (see above)
 * @property {number} [maxRetries=5] internal_error / rate_limited retries of one request
 * @property {typeof WebSocket} [WebSocket] a WebSocket implementation (default: the global)
 */

/**
 * @typedef {Object} EventMap
 * @property {Message} message a new message (live or missed), each id once
 * @property {Message} message:edited
 * @property {Deleted} message:deleted
 * @property {ReactionChange} message:reaction
 * @property {ReadPosition} message:read
 * @property {Chat} chat:created
 * @property {{chatId: string, userId: string, role: string, addedBy: string}} chat:member-added
 * @property {{chatId: string, userId: string, removedBy: string}} chat:member-removed
 * @property {UserStatus} user:status
 * @property {Typing} typing the raw typing event
 * @property {{chatId: string, userIds: string[]}} typing:update who is typing now in a chat
 * @property {Hello} connected every successful greeting (first connection and reconnects)
 * @property {Synced} synced after the catch-up that follows a connection
 * @property {{chatId: string, after: string}} sync:more more missed messages than sync gave
 *   (only without `restUrl`): fetch them with GET /chats/{chatId}/messages?after=
 * @property {StateChange} state connection state changes
 * @property {SwitchboardError} error a server error not tied to a request of yours
 */

const RETRY_ALWAYS = "always"; // idempotent: queued offline, resent after a drop
const RETRY_QUEUE = "queue"; // queued while offline, but not resent once it went out
const RETRY_NEVER = "never"; // fails at once when not connected (typing, heartbeats)
const SYNC_CHATS_PER_REQUEST = 100;
const SEEN_PER_CHAT = 2000;
const TYPING_RENEW_MS = 2000;
const TYPING_IDLE_MS = 3000;

/** An `error` frame (or a local failure) as an Error: `code` is the protocol's code. */
export class SwitchboardError extends Error {
  /**
   * @param {string} code bad_request, forbidden, not_found, conflict, rate_limited,
   *   internal_error, unauthorized, unknown_action, or locally: disconnected, closed, timeout
   * @param {string} message
   * @param {Record<string, any>} [data] the error's whole data (e.g. retryAfterMs)
   */
  constructor(code, message, data = {}) {
    super(message);
    this.name = "SwitchboardError";
    this.code = code;
    this.data = data;
  }
}

/** A fresh id of the protocol's alphabet (works outside secure contexts too). */
export function newId(prefix = "c") {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * @typedef {Object} PendingRequest
 * @property {string} action
 * @property {Record<string, any>} data
 * @property {string} retry
 * @property {(value: any) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {number} failures internal_error / rate_limited answers so far
 * @property {boolean} sent it went out on some connection
 * @property {string} [requestId]
 * @property {any} [timer]
 * @property {number | null} [timeoutMs]
 * @property {WebSocket | null} [pinned] the connection it belongs to (hello, sync)
 * @property {boolean} [probe] a heartbeat: unanswered, the connection is dead
 */

export class SwitchboardClient {
  /** @param {ClientOptions} options */
  constructor(options) {
    if (!options || !options.url) throw new TypeError("SwitchboardClient: url is required");
    this.options = {
      initialDelayMs: 500,
      maxDelayMs: 30000,
      requestTimeoutMs: 20000,
      maxRetries: 5,
      ...options,
    };
    /** @type {State} */
    this.state = "idle";
    /** @type {string | null} the user id the server greeted us as */
    this.userId = null;
    /** @type {string | null} */
    this.connectionId = null;
    /** @type {Map<string, Set<Function>>} */
    this._handlers = new Map();
    /** @type {WebSocket | null} */
    this._ws = null;
    this._generation = 0;
    this._attempt = 0;
    this._seq = 0;
    this._everGreeted = false;
    this._reconnectTimer = null;
    this._heartbeatTimer = null;
    this._probing = false;
    /** @type {Map<string, PendingRequest>} requestId -> request in flight */
    this._pending = new Map();
    /** @type {PendingRequest[]} waiting for a connection */
    this._outbox = [];
    /** @type {Set<string>} chats we are a member of (hello, chat events) */
    this._chats = new Set();
    /** @type {Map<string, string>} chatId -> newest message id we hold */
    this._last = new Map();
    /** @type {Map<string, Set<string>>} chatId -> ids delivered (bounded) */
    this._seen = new Map();
    /** @type {Map<string, string> | null} cursors at the moment the connection dropped */
    this._syncFrom = null;
    this._syncing = false;
    /** @type {Array<[string, any]>} events held back while catching up */
    this._held = [];
    /** @type {Map<string, Map<string, any>>} chatId -> userId -> expiry timer */
    this._typingIn = new Map();
    /** @type {Map<string, {startedAt: number, idle: any}>} our own typing per chat */
    this._typingOut = new Map();
    /** @type {Promise<Hello> | null} */
    this._firstHello = null;
    this._resolveFirst = null;
    this._rejectFirst = null;
    this._onOnline = () => {
      if (this.state === "reconnecting" && !this._ws) this._reconnectNow("online");
    };
    this._onOffline = () => {
      // The socket may be dead without knowing it yet: probe it now instead of waiting
      // for the next heartbeat.
      this._probe(Math.min(5000, this.options.requestTimeoutMs));
    };
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
    let set = this._handlers.get(event);
    if (!set) this._handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => this.off(event, handler);
  }

  /**
   * @template {keyof EventMap} K
   * @param {K} event
   * @param {(data: EventMap[K]) => void} handler
   */
  off(event, handler) {
    this._handlers.get(event)?.delete(handler);
  }

  /** @param {string} event @param {any} data */
  _emit(event, data) {
    for (const handler of [...(this._handlers.get(event) || [])]) {
      try {
        handler(data);
      } catch (error) {
        console.error(`switchboard: a ${event} listener threw`, error);
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Open the connection (and keep it open until close()). Resolves with the first
   * greeting; rejects only if close() is called before one.
   * @returns {Promise<Hello>}
   */
  connect() {
    if (this._firstHello) return this._firstHello;
    this._firstHello = new Promise((resolve, reject) => {
      this._resolveFirst = resolve;
      this._rejectFirst = reject;
    });
    if (typeof window !== "undefined") {
      window.addEventListener("online", this._onOnline);
      window.addEventListener("offline", this._onOffline);
    }
    this._open();
    return this._firstHello;
  }

  /** Close for good: no reconnect; requests waiting are rejected with `closed`. */
  close() {
    if (this.state === "closed") return;
    this._setState({ state: "closed", attempt: this._attempt });
    clearTimeout(this._reconnectTimer);
    this._stopHeartbeats();
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this._onOnline);
      window.removeEventListener("offline", this._onOffline);
    }
    const ws = this._ws;
    this._ws = null;
    this._generation++;
    if (ws) {
      try {
        ws.close(1000, "client closed");
      } catch {
        /* already closing */
      }
    }
    const error = new SwitchboardError("closed", "the client was closed");
    for (const req of [...this._pending.values(), ...this._outbox]) {
      clearTimeout(req.timer);
      req.reject(error);
    }
    this._pending.clear();
    this._outbox = [];
    for (const chatId of this._typingIn.keys()) this._clearTyping(chatId);
    for (const { idle } of this._typingOut.values()) clearTimeout(idle);
    this._typingOut.clear();
    this._rejectFirst?.(error);
  }

  /** Drop the current connection as if the network had (it reconnects). For tests and
   *  for an app that knows better, e.g. after waking from sleep. */
  reconnect() {
    if (this._ws) this._drop("reconnect requested");
    else if (this.state === "reconnecting") this._reconnectNow("reconnect requested");
  }

  /** @param {StateChange} change */
  _setState(change) {
    this.state = change.state;
    this._emit("state", change);
  }

  async _open() {
    if (this.state === "closed") return;
    const generation = ++this._generation;
    this._setState({ state: this._everGreeted ? "reconnecting" : "connecting", attempt: this._attempt,
                     reason: "connecting" });
    let token;
    try {
      token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
    } catch (error) {
      if (generation === this._generation) this._scheduleReconnect(`token: ${error}`);
      return;
    }
    if (generation !== this._generation || this.state === "closed") return;
    this._token = token;
    const Impl = this.options.WebSocket || globalThis.WebSocket;
    const sep = this.options.url.includes("?") ? "&" : "?";
    let ws;
    try {
      ws = new Impl(`${this.options.url}${sep}token=${encodeURIComponent(token)}`);
    } catch (error) {
      this._scheduleReconnect(String(error));
      return;
    }
    this._ws = ws;
    // Hold back events until the catch-up is done (they are delivered after it, in order).
    this._syncing = true;
    this._held = [];
    ws.onopen = () => {
      if (ws !== this._ws) return;
      this._greet(ws, generation);
    };
    ws.onmessage = (event) => {
      if (ws !== this._ws) return;
      this._onFrame(event.data);
    };
    ws.onclose = (event) => {
      if (ws !== this._ws) return;
      this._onClosed(`closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`);
    };
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  /** The greeting, then outbox and catch-up. */
  async _greet(ws, generation) {
    let hello;
    try {
      hello = await this._request("hello", {}, RETRY_NEVER, { onSocket: ws });
    } catch (error) {
      if (ws === this._ws) this._drop(`hello failed: ${error.message}`);
      return;
    }
    if (ws !== this._ws || generation !== this._generation) return;
    const reconnected = this._everGreeted;
    this._everGreeted = true;
    this._attempt = 0;
    this.userId = hello.userId;
    this.connectionId = hello.connectionId;
    const cursors = this._syncFrom ?? new Map(this._last);
    const known = new Set([...(reconnected ? this._chats : []), ...hello.chats]);
    this._chats = new Set(hello.chats);
    this._setState({ state: "open", attempt: 0 });
    this._startHeartbeats(hello.heartbeatSeconds || 65);
    this._emit("connected", hello);
    this._resolveFirst?.(hello);
    this._resolveFirst = null;
    this._flushOutbox();
    // The catch-up: after a reconnect every chat we know (null: from its beginning); on a
    // first connection only the chats whose messages the app told us it holds (track()).
    /** @type {Record<string, string | null>} */
    const wanted = {};
    for (const chatId of known) {
      if (cursors.has(chatId)) wanted[chatId] = cursors.get(chatId) ?? null;
      else if (reconnected) wanted[chatId] = null;
    }
    let delivered = 0;
    try {
      delivered = await this._catchUp(wanted, ws);
    } catch (error) {
      if (ws === this._ws) this._drop(`sync failed: ${error.message}`);
      return; // the snapshot is kept: the next connection syncs from the same place
    }
    if (ws !== this._ws) return;
    this._syncFrom = null;
    this._syncing = false;
    const held = this._held;
    this._held = [];
    for (const [event, data] of held) this._dispatch(event, data);
    this._emit("synced", { reconnected, delivered, chats: Object.keys(wanted).length });
  }

  /** @param {Record<string, string | null>} wanted @param {WebSocket} ws */
  async _catchUp(wanted, ws) {
    const entries = Object.entries(wanted);
    let delivered = 0;
    for (let i = 0; i < entries.length; i += SYNC_CHATS_PER_REQUEST) {
      const chats = Object.fromEntries(entries.slice(i, i + SYNC_CHATS_PER_REQUEST));
      const answer = await this._request("sync", { chats }, RETRY_NEVER, { onSocket: ws });
      if (ws !== this._ws) return delivered;
      for (const chatId of answer.unknown || []) this._forgetChat(chatId);
      for (const [chatId, result] of Object.entries(answer.chats || {})) {
        const messages = result.messages || [];
        for (const message of messages) if (this._deliver(message)) delivered++;
        if (result.hasMore && messages.length) {
          delivered += await this._fetchRest(chatId, messages[messages.length - 1].id, ws);
        }
      }
    }
    return delivered;
  }

  /** The rest of a chat after a sync with hasMore, over REST (oldest first). */
  async _fetchRest(chatId, after, ws) {
    if (!this.options.restUrl) {
      this._emit("sync:more", { chatId, after });
      return 0;
    }
    let delivered = 0;
    let cursor = after;
    while (cursor && ws === this._ws) {
      const url = `${this.options.restUrl}/chats/${encodeURIComponent(chatId)}/messages` +
        `?limit=100&after=${encodeURIComponent(cursor)}`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${this._token}` } });
      if (!response.ok) throw new SwitchboardError("internal_error", `history: HTTP ${response.status}`);
      const page = await response.json();
      for (const message of page.messages || []) if (this._deliver(message)) delivered++;
      cursor = page.nextCursor;
    }
    return delivered;
  }

  _onClosed(reason) {
    this._ws = null;
    this._generation++;
    this._stopHeartbeats();
    // What we held when the connection dropped: the next sync starts there (kept across
    // failed attempts until a catch-up completes).
    if (this._everGreeted && !this._syncFrom) this._syncFrom = new Map(this._last);
    this._held = [];
    this._syncing = false;
    const lost = new SwitchboardError("disconnected", `connection lost: ${reason}`);
    const requeue = [];
    for (const req of this._pending.values()) {
      clearTimeout(req.timer);
      if (req.retry === RETRY_ALWAYS) requeue.push(req);
      else req.reject(lost);
    }
    this._pending.clear();
    this._outbox = [...requeue, ...this._outbox];
    for (const chatId of [...this._typingIn.keys()]) this._clearTyping(chatId);
    for (const { idle } of this._typingOut.values()) clearTimeout(idle);
    this._typingOut.clear();
    if (this.state !== "closed") this._scheduleReconnect(reason);
  }

  /** Close the socket ourselves (dead, or told to) and go through the reconnect path. */
  _drop(reason) {
    const ws = this._ws;
    if (!ws) return;
    try {
      ws.close(4000, "client reconnecting");
    } catch {
      /* ignore */
    }
    this._onClosed(reason);
  }

  _scheduleReconnect(reason) {
    clearTimeout(this._reconnectTimer);
    const { initialDelayMs, maxDelayMs } = this.options;
    const cap = Math.min(maxDelayMs, initialDelayMs * 2 ** this._attempt);
    const delayMs = Math.round(cap / 2 + Math.random() * (cap / 2)); // "equal jitter"
    this._attempt++;
    this._setState({ state: "reconnecting", attempt: this._attempt, delayMs, retryAt: Date.now() + delayMs,
                     reason });
    this._reconnectTimer = setTimeout(() => this._open(), delayMs);
  }

  _reconnectNow(reason) {
    if (this.state === "closed") return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._open();
  }

  _startHeartbeats(seconds) {
    this._stopHeartbeats();
    this._heartbeatTimer = setInterval(() => this.heartbeat().catch(() => {}), seconds * 1000);
  }

  _stopHeartbeats() {
    clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = null;
  }

  // ------------------------------------------------------------------ frames

  _onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object") return;
    const { event, requestId, data } = frame;
    if (event === undefined && typeof frame.message === "string") {
      // API Gateway's own answer when a route's function failed ({"message": "Internal
      // server error", ...}): it names no request of ours; their timeouts deal with it.
      this._emit("error", new SwitchboardError("internal_error", `gateway: ${frame.message}`, frame));
      return;
    }
    if (requestId !== undefined && requestId !== null && this._pending.has(String(requestId))) {
      this._answer(String(requestId), event, data || {});
      return;
    }
    if (event === "error") {
      const error = new SwitchboardError(data?.code || "internal_error", data?.message || "error", data || {});
      if (error.code === "unauthorized") this._drop("unauthorized");
      this._emit("error", error);
      return;
    }
    if (this._syncing && event !== "typing" && event !== "user:status") {
      this._held.push([event, data]);
      return;
    }
    this._dispatch(event, data);
  }

  _dispatch(event, data) {
    switch (event) {
      case "message:new":
        this._deliver(data);
        return;
      case "chat:created":
        this._chats.add(data.id);
        break;
      case "chat:member-added":
        if (data.userId === this.userId) this._chats.add(data.chatId);
        break;
      case "chat:member-removed":
        if (data.userId === this.userId) this._forgetChat(data.chatId);
        break;
      case "typing":
        this._onTyping(data);
        break;
      default:
        break;
    }
    this._emit(event, data);
  }

  /** Deliver a message once: false if its id was delivered (or tracked) before. */
  _deliver(message) {
    if (!message || !message.id || !message.chatId) return false;
    if (!this._remember(message)) return false;
    // A message ends its author's typing.
    this._stopTypingOf(message.chatId, message.senderId);
    this._emit("message", message);
    return true;
  }

  /** Note a message as held (dedupe set and newest id); false if it already was. */
  _remember(message) {
    const { chatId, id } = message;
    let seen = this._seen.get(chatId);
    if (!seen) this._seen.set(chatId, (seen = new Set()));
    if (seen.has(id)) return false;
    seen.add(id);
    if (seen.size > SEEN_PER_CHAT) {
      // Forget the oldest ids; sync only ever overlaps the last 30 seconds.
      const sorted = [...seen].sort();
      for (const old of sorted.slice(0, seen.size - SEEN_PER_CHAT / 2)) seen.delete(old);
    }
    const last = this._last.get(chatId);
    if (!last || id > last) this._last.set(chatId, id);
    this._chats.add(chatId);
    return true;
  }

  _forgetChat(chatId) {
    this._chats.delete(chatId);
    this._last.delete(chatId);
    this._seen.delete(chatId);
    this._syncFrom?.delete(chatId);
    this._clearTyping(chatId);
  }

  /**
   * Tell the client about messages the app already holds (e.g. history from the REST
   * API): they are never delivered again, and the newest one per chat is where the next
   * sync starts.
   * @param {Message | Message[] | null | undefined} messages
   */
  track(messages) {
    for (const message of [].concat(messages || [])) if (message && message.id) this._remember(message);
  }

  /** The newest message id the client holds of a chat. @param {string} chatId */
  lastMessageId(chatId) {
    return this._last.get(chatId) ?? null;
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
    return this._request(action, data, options.retry || RETRY_QUEUE);
  }

  /** @returns {Promise<any>} */
  _request(action, data, retry, { onSocket = null, timeoutMs = null, probe = false } = {}) {
    return new Promise((resolve, reject) => {
      /** @type {PendingRequest} */
      const req = { action, data, retry, resolve, reject, failures: 0, sent: false, timeoutMs,
                    pinned: onSocket, probe };
      if (onSocket) {
        this._transmit(req, onSocket);
      } else if (this.state === "open" && this._ws) {
        this._transmit(req, this._ws);
      } else if (this.state === "closed") {
        reject(new SwitchboardError("closed", "the client is closed"));
      } else if (retry === RETRY_NEVER) {
        reject(new SwitchboardError("disconnected", `not connected (${action} not sent)`));
      } else {
        this._outbox.push(req);
      }
    });
  }

  /** @param {PendingRequest} req @param {WebSocket} ws */
  _transmit(req, ws) {
    const requestId = `r${++this._seq}`;
    req.requestId = requestId;
    this._pending.set(requestId, req);
    try {
      ws.send(JSON.stringify({ action: req.action, requestId, data: req.data }));
    } catch (error) {
      this._pending.delete(requestId);
      if (req.retry === RETRY_NEVER) req.reject(new SwitchboardError("disconnected", String(error)));
      else this._outbox.push(req);
      return;
    }
    req.sent = true;
    const timeoutMs = req.timeoutMs || this.options.requestTimeoutMs;
    req.timer = setTimeout(() => {
      if (this._pending.get(requestId) !== req) return;
      this._pending.delete(requestId);
      const silent = `no answer to ${req.action} in ${timeoutMs} ms`;
      if (req.probe || req.pinned) {
        // Every action is answered: a heartbeat, greeting or catch-up left unanswered
        // means the connection is dead (the network went away without a close).
        req.reject(new SwitchboardError("timeout", silent));
        if (ws === this._ws) this._drop(silent);
        return;
      }
      // One answer went missing (a function that timed out answers nothing the client can
      // match): resend what is safe to resend, and check the connection is alive.
      if (req.retry === RETRY_ALWAYS && req.failures < this.options.maxRetries) {
        req.failures++;
        if (this.state === "open" && this._ws) this._transmit(req, this._ws);
        else this._outbox.push(req);
      } else {
        req.reject(new SwitchboardError("timeout", silent));
      }
      if (ws === this._ws) this._probe();
    }, timeoutMs);
  }

  /** Is the connection alive? A heartbeat unanswered in time drops it. */
  _probe(timeoutMs) {
    if (this._probing || this.state !== "open") return;
    this._probing = true;
    this.heartbeat(timeoutMs).catch(() => {}).finally(() => { this._probing = false; });
  }

  _flushOutbox() {
    const queue = this._outbox;
    this._outbox = [];
    for (const req of queue) {
      if (this._ws && this.state === "open") this._transmit(req, this._ws);
      else this._outbox.push(req);
    }
  }

  /** A reply to one of our requests. */
  _answer(requestId, event, data) {
    const req = this._pending.get(requestId);
    this._pending.delete(requestId);
    clearTimeout(req.timer);
    if (event !== "error") {
      req.resolve(data);
      return;
    }
    const error = new SwitchboardError(data.code || "internal_error", data.message || "error", data);
    // Retried after a pause: what may be resent (and requests of the connection's own
    // start-up, hello and sync, on that same connection).
    const retryable = (req.retry !== RETRY_NEVER || req.pinned) && req.failures < this.options.maxRetries &&
      (error.code === "rate_limited" || error.code === "internal_error");
    if (retryable) {
      req.failures++;
      const waitMs = error.code === "rate_limited"
        ? Number(data.retryAfterMs) || 250
        : Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** req.failures);
      setTimeout(() => {
        if (this.state === "closed") req.reject(new SwitchboardError("closed", "the client was closed"));
        else if (req.pinned) {
          if (req.pinned === this._ws) this._transmit(req, req.pinned);
          else req.reject(new SwitchboardError("disconnected", "connection lost"));
        } else if (this.state === "open" && this._ws) this._transmit(req, this._ws);
        else this._outbox.push(req);
      }, waitMs);
      return;
    }
    if (error.code === "unauthorized") this._drop("unauthorized");
    req.reject(error);
  }

  // ------------------------------------------------------------------ typed actions

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
    const message = await this._request("message:send", { chatId, body, clientMessageId }, RETRY_ALWAYS);
    this._remember(message);
    return message;
  }

  /** @param {string} chatId @param {string} messageId @param {string} body @returns {Promise<Message>} */
  edit(chatId, messageId, body) {
    return this._request("message:edit", { chatId, messageId, body }, RETRY_ALWAYS);
  }

  /** @param {string} chatId @param {string} messageId @returns {Promise<Deleted>} */
  deleteMessage(chatId, messageId) {
    return this._request("message:delete", { chatId, messageId }, RETRY_QUEUE);
  }

  /** @param {string} chatId @param {string} messageId @param {string} emoji @returns {Promise<ReactionChange>} */
  react(chatId, messageId, emoji) {
    return this._request("message:react", { chatId, messageId, emoji }, RETRY_ALWAYS);
  }

  /** @param {string} chatId @param {string} messageId @param {string} emoji @returns {Promise<ReactionChange>} */
  unreact(chatId, messageId, emoji) {
    return this._request("message:unreact", { chatId, messageId, emoji }, RETRY_ALWAYS);
  }

  /** Read up to a message. @param {string} chatId @param {string} messageId @returns {Promise<ReadPosition>} */
  markRead(chatId, messageId) {
    return this._request("message:read", { chatId, messageId }, RETRY_ALWAYS);
  }

  /** @param {string} chatId @returns {Promise<ReadPosition>} */
  readAll(chatId) {
    return this._request("chat:read-all", { chatId }, RETRY_ALWAYS);
  }

  /** @param {"online" | "away" | "busy"} status @param {string} [text] @returns {Promise<UserStatus>} */
  setPresence(status, text) {
    return this._request("presence:set", text ? { status, text } : { status }, RETRY_ALWAYS);
  }

  /** @param {number} [timeoutMs] @returns {Promise<{ttlSeconds: number, heartbeatSeconds: number, presence: string}>} */
  heartbeat(timeoutMs) {
    return this._request("presence:heartbeat", {}, RETRY_NEVER, { timeoutMs, probe: true });
  }

  /** @param {string} chatId @returns {Promise<Typing>} */
  typingStart(chatId) {
    return this._request("typing:start", { chatId }, RETRY_NEVER);
  }

  /** @param {string} chatId @returns {Promise<Typing>} */
  typingStop(chatId) {
    return this._request("typing:stop", { chatId }, RETRY_NEVER);
  }

  /** Who is typing in a chat now (also fed to typingUsers() and `typing:update`).
   * @param {string} chatId @returns {Promise<{chatId: string, typing: {userId: string, expiresAt: string}[]}>} */
  async typingList(chatId) {
    const list = await this._request("typing:list", { chatId }, RETRY_QUEUE);
    for (const { userId, expiresAt } of list.typing || []) {
      if (userId !== this.userId) this._onTyping({ chatId, userId, isTyping: true, expiresAt });
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
    const now = Date.now();
    let mine = this._typingOut.get(chatId);
    if (!mine) this._typingOut.set(chatId, (mine = { startedAt: 0, idle: null }));
    if (now - mine.startedAt >= TYPING_RENEW_MS) {
      mine.startedAt = now;
      this.typingStart(chatId).catch(() => {});
    }
    clearTimeout(mine.idle);
    mine.idle = setTimeout(() => this.stopTyping(chatId), TYPING_IDLE_MS);
  }

  /** @param {string} chatId */
  stopTyping(chatId) {
    const mine = this._typingOut.get(chatId);
    if (!mine) return;
    clearTimeout(mine.idle);
    this._typingOut.delete(chatId);
    if (this.state === "open") this.typingStop(chatId).catch(() => {});
  }

  /** Who is typing in a chat now (other users). @param {string} chatId @returns {string[]} */
  typingUsers(chatId) {
    return [...(this._typingIn.get(chatId)?.keys() || [])].sort();
  }

  /** @param {Typing} data */
  _onTyping(data) {
    const { chatId, userId } = data;
    let users = this._typingIn.get(chatId);
    if (!users) this._typingIn.set(chatId, (users = new Map()));
    clearTimeout(users.get(userId));
    if (data.isTyping) {
      // Hide at expiresAt unless renewed (a clock far off from the server's: after 3.5 s).
      let ms = data.expiresAt ? Date.parse(data.expiresAt) - Date.now() : NaN;
      if (!(ms > 0 && ms < 10000)) ms = 3500;
      users.set(userId, setTimeout(() => this._stopTypingOf(chatId, userId), ms + 250));
    } else {
      users.delete(userId);
    }
    this._emit("typing:update", { chatId, userIds: this.typingUsers(chatId) });
  }

  _stopTypingOf(chatId, userId) {
    const users = this._typingIn.get(chatId);
    if (!users || !users.has(userId)) return;
    clearTimeout(users.get(userId));
    users.delete(userId);
    this._emit("typing:update", { chatId, userIds: this.typingUsers(chatId) });
  }

  _clearTyping(chatId) {
    const users = this._typingIn.get(chatId);
    if (!users) return;
    const had = users.size > 0;
    for (const timer of users.values()) clearTimeout(timer);
    this._typingIn.delete(chatId);
    if (had) this._emit("typing:update", { chatId, userIds: [] });
  }
}
