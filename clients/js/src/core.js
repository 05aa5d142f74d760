// The connection manager: opens the connection, keeps it open, and resumes after a drop.
//
// Each connection goes through:
// 1. the token (a string, or a function called before every attempt, so it can refresh),
//    then the WebSocket; events pushed from now on are held back;
// 2. `hello`; then the requests waiting in the outbox go out and the keep-alive timer
//    starts (heartbeat.js: the one-way `ping` that `hello` announces, else heartbeats);
// 3. `sync` from the cursors held when the previous connection dropped (on a first
//    connection: only the chats the app track()ed), following `hasMore` over REST when
//    `restUrl` is given; the missed messages are delivered oldest first, each id once;
// 4. the held-back events are delivered (same dedupe), then `synced`;
// 5. when the connection ends, resendable requests in flight go back to the outbox, the
//    others are rejected with `disconnected`; then a reconnect after a backoff delay
//    (at once when the browser comes back online), and 1. again.
//
// Make before break (`renewConnections`): when `hello` announces `renew`, the connection is
// replaced before API Gateway cuts it. `renew.afterSeconds` after it opened, the next one
// is opened (a fresh token) and greeted, without `sync`: both receive every event while
// they overlap, and the copies are dropped (messages by id, updates by version, any other
// event as an exact copy, FrameCopies). Its events are delivered at once. Once greeted it
// becomes the connection: requests go to it, its keep-alive and its own renewal start,
// `client:renewed` is emitted; the old one is closed (1000) when its requests in flight
// are answered and the calls this client is a peer of are rejoined on the new one
// (requestTimeoutMs at most), and its close is no drop. The user is never
// offline, so no contact hears offline-then-online and nothing needs a sync. A failed
// attempt keeps the old connection and is tried again after a backoff delay while the cut
// is still ahead; when the old connection ends first, the attempt is abandoned and the
// client reconnects and syncs as after any drop.
//
// Every copy of a message (live frames, catch-up pages, answers, track()) is also merged
// into the MessageStore (messages.js): the per-chat lists of messages(), in id order and at
// the newest version whatever order the copies arrived in. `message` is emitted once per
// id, carrying the message as the store holds it; an update (edited, deleted, reaction)
// only when it changed what the store holds.

import { reconnectDelay, retryDelay } from "./backoff.js";
import { SwitchboardError } from "./errors.js";
import { Emitter } from "./events.js";
import { Heartbeat, keepAlivePlan, renewPlan } from "./heartbeat.js";
import { messagesAfter } from "./history.js";
import { Change, DEFAULT_MESSAGE_LIMIT, MessageStore } from "./messages.js";
import {
  Action,
  ClientEvent,
  ErrorCode,
  Event,
  LocalErrorCode,
  MAX_SYNC_CHATS,
} from "./protocol.js";
import { Requests, Retry, retriesError } from "./requests.js";
import { FrameCopies, ResumeState } from "./resume.js";
import { decodeFrame, encodeFrame, encodeKeepAlive, urlWithToken, webSocketImpl } from "./transport.js";
import { TypingIn, TypingOut } from "./typing.js";

// Timers in a browser page may be throttled while it is hidden (heartbeat.js).
const IN_A_BROWSER_PAGE = typeof document !== "undefined";

/**
 * @typedef {import("./transport.js").Socket} Socket
 * @typedef {import("./transport.js").SocketConstructor} SocketConstructor
 * @typedef {import("./requests.js").PendingRequest} PendingRequest
 * @typedef {"idle" | "connecting" | "open" | "reconnecting" | "closed"} State
 * @typedef {{state: State, attempt: number, delayMs?: number, retryAt?: number, reason?: string}} StateChange
 * @typedef {import("./protocol.js").Hello} Hello
 * @typedef {import("./protocol.js").HeartbeatAck} HeartbeatAck
 * @typedef {import("./heartbeat.js").KeepAlivePlan} KeepAlivePlan
 * @typedef {{connectionId: string, previousConnectionId: string | null, connectionNumber: number}} Renewed
 *   `connectionNumber`: the connections greeted so far, this one included (1 is the first)
 * @typedef {{ws: Socket | null, token: string | undefined, openedAt: number}} Renewal the next
 *   connection, opening (ws null while its token is fetched)
 *
 * @typedef {Object} ClientOptions
 * @property {string} url WebSocket URL of the stage, e.g. ws://127.0.0.1:3001/local
 * @property {string | (() => string | Promise<string>)} token a JWT, or a function returning
 *   one (called before every connection attempt, so it can refresh)
 * @property {string} [restUrl] REST base (e.g. http://127.0.0.1:3001/api): lets sync fetch
 *   the rest of a chat when the server says `hasMore`
 * @property {number} [initialDelayMs=500] first reconnect delay (before jitter)
 * @property {number} [maxDelayMs=30000] cap of the reconnect delay
 * @property {number} [requestTimeoutMs=20000] how long an answer may take
 * @property {number} [maxRetries=5] internal_error / rate_limited retries of one request
 * @property {number} [heartbeatIntervalMs] between keep-alive frames, replacing what
 *   `hello` announces (default: its `keepAlive.intervalSeconds` between pings; from a
 *   server without `keepAlive`, its heartbeatSeconds between heartbeats, else 65 s)
 * @property {SocketConstructor} [WebSocket] a WebSocket implementation (default: the
 *   global one; on Node 20 pass `ws`'s)
 * @property {number} [messageLimit=1000] messages kept per chat by messages() (the newest;
 *   Infinity keeps all, 0 none)
 * @property {boolean} [renewConnections=true] replace each connection before API Gateway
 *   cuts it, when `hello` announces `renew` (make before break: no drop, no sync); false
 *   waits for the cut, then reconnects and syncs
 * @property {number} [renewDrainMs=5000] how long a replaced connection stays open after the
 *   switch (and its requests answered): posts addressed to it before the new connection was
 *   in the rooms may still be on their way
 */

/** The messages of a page (those with an id), oldest first: the server's order, made sure of.
 * @param {any[] | undefined} messages @returns {any[]} */
function inIdOrder(messages) {
  return (messages || []).filter((m) => m && typeof m.id === "string").sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export class ClientCore extends Emitter {
  /** @param {ClientOptions} options */
  constructor(options) {
    super();
    if (!options || !options.url) throw new TypeError("SwitchboardClient: url is required");
    this.options = {
      initialDelayMs: 500,
      maxDelayMs: 30000,
      requestTimeoutMs: 20000,
      maxRetries: 5,
      renewConnections: true,
      renewDrainMs: 5000,
      ...options,
    };
    /** @type {State} */
    this.state = "idle";
    /** @type {string | null} the user id the server greeted us as */
    this.userId = null;
    /** @type {string | null} */
    this.connectionId = null;
    /** @type {KeepAlivePlan | null} what keeps the connection open, from the last `hello` */
    this.keepAlive = null;
    /** @type {Socket | null} */
    this._ws = null;
    /** @type {string | undefined} the token of the current connection (REST paging) */
    this._token = undefined;
    this._generation = 0;
    this._attempt = 0;
    this._everGreeted = false;
    /** connections greeted so far (`client:renewed`'s connectionNumber) */
    this._greetings = 0;
    /** @type {Renewal | null} the next connection, while it opens */
    this._renewal = null;
    /** @type {any} the next renewal attempt */
    this._renewTimer = null;
    /** the current connection is due for replacement */
    this._renewDue = false;
    /** failed renewal attempts of the current connection (their backoff) */
    this._renewFailures = 0;
    /** when API Gateway cuts the current connection (Date.now() ms; 0: not known) */
    this._cutAt = 0;
    /** @type {Map<Socket, {timers: any[], drained: boolean, moving: boolean}>} replaced
     *  connections, closed once their requests are answered, what moves from them is done
     *  and renewDrainMs has passed (-> the timers) */
    this._retiring = new Map();
    this._copies = new FrameCopies();
    /** @type {any} */
    this._reconnectTimer = null;
    this._probing = false;
    this._requests = new Requests();
    this._resume = new ResumeState();
    this._messages = new MessageStore(this.options.messageLimit ?? DEFAULT_MESSAGE_LIMIT);
    /** @type {Map<string, number>} clientMessageIds of our sends waiting for their answer */
    this._sending = new Map();
    this._heartbeat = new Heartbeat(() => this._keepAliveTick());
    this._syncing = false;
    /** @type {Array<[string, any]>} events held back while catching up */
    this._held = [];
    this._typingIn = new TypingIn((chatId, userIds) => this.emit(ClientEvent.TYPING_UPDATE, { chatId, userIds }));
    this._typingOut = new TypingOut(
      (chatId) => this._request(Action.TYPING_START, { chatId }, Retry.NEVER).catch(() => {}),
      (chatId) => {
        if (this.state === "open") this._request(Action.TYPING_STOP, { chatId }, Retry.NEVER).catch(() => {});
      },
    );
    /** @type {Promise<Hello> | null} */
    this._firstHello = null;
    /** @type {((hello: Hello) => void) | null} */
    this._resolveFirst = null;
    /** @type {((error: Error) => void) | null} */
    this._rejectFirst = null;
    this._onOnline = () => {
      if (this.state === "reconnecting" && !this._ws) this._reconnectNow();
    };
    this._onOffline = () => {
      // The socket may be dead without knowing it yet: probe it now (a heartbeat, acked)
      // instead of waiting for the OS to notice.
      this._probe(Math.min(5000, this.options.requestTimeoutMs));
    };
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
    this._heartbeat.stop();
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this._onOnline);
      window.removeEventListener("offline", this._onOffline);
    }
    const ws = this._ws;
    this._ws = null;
    this._generation++;
    const error = new SwitchboardError(LocalErrorCode.CLOSED, "the client was closed");
    for (const req of [...this._requests.takeAll(), ...this._requests.takeOutbox()]) {
      clearTimeout(req.timer);
      req.reject(error);
    }
    this._stopRenewing("client closed");
    for (const [old, retiring] of this._retiring) {
      retiring.timers.forEach(clearTimeout);
      closeQuietly(old, 1000, "client closed");
    }
    this._retiring.clear();
    this._copies.clear();
    if (ws) closeQuietly(ws, 1000, "client closed");
    this._typingIn.clearAll();
    this._typingOut.reset();
    this._rejectFirst?.(error);
  }

  /** Drop the current connection as if the network had (it reconnects). For tests and
   *  for an app that knows better, e.g. after waking from sleep. */
  reconnect() {
    if (this._ws) this._drop("reconnect requested");
    else if (this.state === "reconnecting") this._reconnectNow();
  }

  /** @returns {boolean} */
  _isClosed() {
    return this.state === "closed";
  }

  /** @param {StateChange} change */
  _setState(change) {
    this.state = change.state;
    this.emit(ClientEvent.STATE, change);
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
    // (close() meanwhile moved the generation on.)
    if (generation !== this._generation || this._isClosed()) return;
    this._token = token;
    /** @type {Socket} */
    let ws;
    const openedAt = Date.now();
    try {
      const Impl = webSocketImpl(this.options.WebSocket);
      ws = new Impl(urlWithToken(this.options.url, token));
    } catch (error) {
      this._scheduleReconnect(String(error));
      return;
    }
    this._ws = ws;
    // Hold back events until the catch-up is done (they are delivered after it, in order).
    this._syncing = true;
    this._held = [];
    this._listen(ws, () => {
      if (ws === this._ws) this._greet(ws, generation, openedAt);
    });
  }

  /** A socket's events, taken by what it is when they come: the connection, the next one
   *  (a renewal) or a replaced one being retired; those of a forgotten one are ignored.
   *  @param {Socket} ws @param {() => void} opened */
  _listen(ws, opened) {
    ws.onopen = () => opened();
    ws.onmessage = (event) => {
      if (this._isOpen(ws)) this._onFrame(event.data, ws);
    };
    ws.onclose = (event) => {
      const reason = `closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`;
      if (ws === this._ws) this._onClosed(reason);
      else if (this._renewal && ws === this._renewal.ws) this._renewFailed(this._renewal, reason);
      else if (this._retiring.has(ws)) this._retired(ws, reason);
    };
    ws.onerror = () => {
      /* a close event follows */
    };
  }

  /** One of the client's connections (not a forgotten one). @param {Socket | null | undefined} ws */
  _isOpen(ws) {
    return !!ws && (ws === this._ws || ws === this._renewal?.ws || this._retiring.has(ws));
  }

  /** More than one connection open: a renewal's overlap, when events come twice. */
  _overlapping() {
    return (this._ws ? 1 : 0) + (this._renewal?.ws ? 1 : 0) + this._retiring.size > 1;
  }

  /** The greeting, then outbox and catch-up.
   * @param {Socket} ws @param {number} generation @param {number} openedAt when it was opened (Date.now()) */
  async _greet(ws, generation, openedAt) {
    /** @type {Hello} */
    let hello;
    try {
      hello = await this._request(Action.HELLO, {}, Retry.NEVER, { onSocket: ws });
    } catch (error) {
      if (ws === this._ws) this._drop(`hello failed: ${/** @type {Error} */ (error).message}`);
      return;
    }
    if (ws !== this._ws || generation !== this._generation) return;
    const reconnected = this._everGreeted;
    this._everGreeted = true;
    this._attempt = 0;
    this.userId = hello.userId;
    this.connectionId = hello.connectionId;
    this._greetings++;
    const wanted = this._resume.plan(reconnected, hello.chats);
    this._setState({ state: "open", attempt: 0 });
    this.keepAlive = keepAlivePlan(hello, this.options.heartbeatIntervalMs, IN_A_BROWSER_PAGE);
    this._heartbeat.start(this.keepAlive.intervalMs);
    this._scheduleRenewal(hello, openedAt);
    this.emit(ClientEvent.CONNECTED, hello);
    this._resolveFirst?.(hello);
    this._resolveFirst = null;
    this._flushOutbox();
    let delivered = 0;
    try {
      delivered = await this._catchUp(wanted, ws);
    } catch (error) {
      if (ws === this._ws) this._drop(`sync failed: ${/** @type {Error} */ (error).message}`);
      return; // the snapshot is kept: the next connection syncs from the same place
    }
    if (ws !== this._ws) return;
    this._resume.caughtUp();
    this._syncing = false;
    const held = this._held;
    this._held = [];
    for (const [event, data] of held) this._dispatch(event, data);
    this.emit(ClientEvent.SYNCED, { reconnected, delivered, chats: Object.keys(wanted).length });
    // A renewal that fell due during a long catch-up (which belongs to this connection).
    if (this._renewDue && ws === this._ws) this._renew();
  }

  /** @param {Record<string, string | null>} wanted @param {Socket} ws */
  async _catchUp(wanted, ws) {
    const entries = Object.entries(wanted);
    let delivered = 0;
    for (let i = 0; i < entries.length; i += MAX_SYNC_CHATS) {
      const chats = Object.fromEntries(entries.slice(i, i + MAX_SYNC_CHATS));
      const answer = await this._request(Action.SYNC, { chats }, Retry.NEVER, { onSocket: ws });
      if (ws !== this._ws) return delivered;
      for (const chatId of answer.unknown || []) this._forgetChat(chatId);
      for (const [chatId, result] of Object.entries(answer.chats || {})) {
        const messages = inIdOrder(result.messages);
        for (const message of messages) if (this._deliverSynced(message)) delivered++;
        if (result.hasMore && messages.length) {
          delivered += await this._fetchRest(chatId, messages[messages.length - 1].id, ws);
        }
      }
    }
    return delivered;
  }

  /** The rest of a chat after a sync with hasMore, over REST (oldest first).
   * @param {string} chatId @param {string} after @param {Socket} ws */
  async _fetchRest(chatId, after, ws) {
    if (!this.options.restUrl) {
      this.emit(ClientEvent.SYNC_MORE, { chatId, after });
      return 0;
    }
    let delivered = 0;
    /** @type {string | null} */
    let cursor = after;
    while (cursor && ws === this._ws) {
      const page = await messagesAfter(this.options.restUrl, String(this._token), chatId, cursor);
      for (const message of inIdOrder(page.messages)) if (this._deliverSynced(message)) delivered++;
      cursor = page.nextCursor;
    }
    return delivered;
  }

  /** The connection ended (a renewal under way is abandoned: reconnect and sync instead).
   * @param {string} reason */
  _onClosed(reason) {
    this._ws = null;
    this._generation++;
    this._heartbeat.stop();
    this._stopRenewing(`the connection ended first: ${reason}`);
    this._cutAt = 0;
    if (this._everGreeted) this._resume.dropped();
    this._held = [];
    this._syncing = false;
    // What went out on it (a replaced connection still open answers its own).
    this._settle((req) => !this._isOpen(req.socket), reason);
    this._typingIn.clearAll();
    this._typingOut.reset();
    if (this.state !== "closed") this._scheduleReconnect(reason);
  }

  /** Close the socket ourselves (dead, or told to) and go through the reconnect path.
   * @param {string} reason */
  _drop(reason) {
    const ws = this._ws;
    if (!ws) return;
    closeQuietly(ws, 4000, "client reconnecting");
    this._onClosed(reason);
  }

  /** Requests in flight whose connection is gone: the resendable ones to the outbox (first),
   *  the others rejected with `disconnected`.
   * @param {(req: PendingRequest) => boolean} which @param {string} reason */
  _settle(which, reason) {
    const lost = new SwitchboardError(LocalErrorCode.DISCONNECTED, `connection lost: ${reason}`);
    const requeue = [];
    for (const req of this._requests.takeWhere(which)) {
      clearTimeout(req.timer);
      if (req.retry === Retry.ALWAYS) requeue.push(req);
      else req.reject(lost);
    }
    this._requests.outbox = [...requeue, ...this._requests.outbox];
  }

  // ------------------------------------------------------------------ renewal

  /** A new connection's renewal: due `renew.afterSeconds` after it was opened, if the
   *  option and its greeting say so. @param {Hello} hello @param {number} openedAt */
  _scheduleRenewal(hello, openedAt) {
    this._stopRenewing("a new connection");
    this._renewFailures = 0;
    const plan = this.options.renewConnections === false ? null : renewPlan(hello);
    this._cutAt = plan ? openedAt + plan.maxMs : 0;
    if (!plan) return;
    this._renewTimer = setTimeout(() => {
      this._renewTimer = null;
      this._renewDue = true;
      this._renew();
    }, Math.max(0, openedAt + plan.afterMs - Date.now()));
  }

  /** No renewal any more: its timer cleared, the next connection (if opening) closed.
   * @param {string} reason */
  _stopRenewing(reason) {
    clearTimeout(this._renewTimer);
    this._renewTimer = null;
    this._renewDue = false;
    const renewal = this._renewal;
    this._renewal = null;
    if (renewal) this._discard(renewal, reason);
  }

  /** Open the next connection (the current one stays until it is greeted). Waits while
   *  the current one catches up: that catch-up is its own. */
  async _renew() {
    if (!this._renewDue || this._renewal || this.state !== "open" || !this._ws || this._syncing) return;
    /** @type {Renewal} */
    const renewal = { ws: null, token: undefined, openedAt: 0 };
    this._renewal = renewal;
    let token;
    try {
      token = typeof this.options.token === "function" ? await this.options.token() : this.options.token;
    } catch (error) {
      this._renewFailed(renewal, `token: ${error}`);
      return;
    }
    if (this._renewal !== renewal) return; // abandoned meanwhile (a drop, or close())
    try {
      const Impl = webSocketImpl(this.options.WebSocket);
      renewal.openedAt = Date.now();
      renewal.token = token;
      renewal.ws = new Impl(urlWithToken(this.options.url, token));
    } catch (error) {
      this._renewFailed(renewal, String(error));
      return;
    }
    const ws = renewal.ws;
    this._listen(ws, () => {
      if (this._renewal === renewal) this._greetRenewal(renewal);
    });
  }

  /** `hello` on the next connection (no sync: it received what the old one did), then
   *  the switch. @param {Renewal} renewal */
  async _greetRenewal(renewal) {
    /** @type {Hello} */
    let hello;
    try {
      hello = await this._request(Action.HELLO, {}, Retry.NEVER, { onSocket: renewal.ws });
    } catch (error) {
      this._renewFailed(renewal, `hello failed: ${/** @type {Error} */ (error).message}`);
      return;
    }
    if (this._renewal !== renewal || !this._ws) return;
    this._renewal = null;
    const previous = this._ws;
    const previousConnectionId = this.connectionId;
    this._ws = /** @type {Socket} */ (renewal.ws);
    this._token = renewal.token;
    this.userId = hello.userId;
    this.connectionId = hello.connectionId;
    this._greetings++;
    for (const chatId of hello.chats || []) this._resume.chats.add(chatId);
    this.keepAlive = keepAlivePlan(hello, this.options.heartbeatIntervalMs, IN_A_BROWSER_PAGE);
    this._heartbeat.start(this.keepAlive.intervalMs);
    this._scheduleRenewal(hello, renewal.openedAt);
    const moving = this._switched();
    this.emit(ClientEvent.RENEWED, { connectionId: hello.connectionId, previousConnectionId,
                                     connectionNumber: this._greetings });
    this._flushOutbox();
    this._retire(previous, moving);
  }

  /** The connection was just replaced (a renewal): what must be done on the new one
   *  before the old one closes (api.js: rejoin the calls; the server knows a call's peer
   *  by its connection). @returns {Promise<unknown>[]} */
  _switched() {
    return [];
  }

  /** A renewal attempt failed: the current connection stays, and the next attempt comes
   *  after a backoff delay if the cut is still ahead then (else the cut is handled as any
   *  drop). @param {Renewal} renewal @param {string} reason */
  _renewFailed(renewal, reason) {
    if (this._renewal !== renewal) return;
    this._renewal = null;
    this._discard(renewal, reason);
    const delayMs = reconnectDelay(this._renewFailures, this.options);
    this._renewFailures++;
    if (this.state !== "open" || !this._ws || Date.now() + delayMs >= this._cutAt) {
      this._renewDue = false;
      return;
    }
    clearTimeout(this._renewTimer);
    this._renewTimer = setTimeout(() => {
      this._renewTimer = null;
      this._renew();
    }, delayMs);
  }

  /** A renewal given up: its socket closed, the greeting sent on it settled.
   * @param {Renewal} renewal @param {string} reason */
  _discard(renewal, reason) {
    const ws = renewal.ws;
    if (!ws) return;
    closeQuietly(ws, 1000, "renewal abandoned");
    this._settle((req) => req.socket === ws, `renewal abandoned: ${reason}`);
  }

  /** The replaced connection: closed (1000) once the requests sent on it are answered,
   *  `moving` (what moves from it to the new one) is done and renewDrainMs has passed
   *  (posts a fan-out addressed to it before the new connection was in the rooms may still
   *  be on their way), at most requestTimeoutMs from now; until then its frames are read
   *  as the others'. @param {Socket} ws @param {Promise<unknown>[]} [moving] */
  _retire(ws, moving = []) {
    const drainMs = Math.max(0, this.options.renewDrainMs ?? 5000);
    const retiring = { timers: /** @type {any[]} */ ([]), drained: drainMs === 0, moving: moving.length > 0 };
    this._retiring.set(ws, retiring);
    if (retiring.moving) {
      Promise.allSettled(moving).then(() => { retiring.moving = false; this._retireIfDone(ws); });
    }
    if (!retiring.drained) {
      // The timer says when the drain is over (Date.now() may read a millisecond short).
      retiring.timers.push(setTimeout(() => { retiring.drained = true; this._retireIfDone(ws); },
                                      drainMs));
    }
    retiring.timers.push(setTimeout(() => this._retired(ws, "replaced (requests unanswered)"),
                                    Math.max(drainMs, this.options.requestTimeoutMs)));
    this._retireIfDone(ws);
  }

  /** @param {Socket} ws */
  _retireIfDone(ws) {
    const retiring = this._retiring.get(ws);
    if (retiring && retiring.drained && !retiring.moving && !this._requests.sentOn(ws)) {
      this._retired(ws, "replaced");
    }
  }

  /** A replaced connection is done (its requests answered, the wait over, or it closed):
   *  closed, no drop; a request still unanswered on it is resent on the current one if it
   *  may be, else rejected. @param {Socket} ws @param {string} reason */
  _retired(ws, reason) {
    this._retiring.get(ws)?.timers.forEach(clearTimeout);
    this._retiring.delete(ws);
    closeQuietly(ws, 1000, "replaced");
    this._settle((req) => req.socket === ws, reason);
    if (this.state === "open") this._flushOutbox();
  }

  /** A request sent on a replaced connection was answered (or given up): the last one
   *  lets it close. @param {Socket | undefined} ws */
  _answeredOn(ws) {
    if (ws) this._retireIfDone(ws);
  }

  /** An `unauthorized` answer or error: the connection it came on is refused (the current
   *  one is dropped and reopened with a fresh token). @param {Socket | null | undefined} ws */
  _refused(ws) {
    const reason = "token refused (unauthorized)";
    if (ws === this._ws) this._drop(reason);
    else if (this._renewal && ws === this._renewal.ws) this._renewFailed(this._renewal, reason);
    else if (ws && this._retiring.has(ws)) this._retired(ws, reason);
  }

  /** @param {string} reason */
  _scheduleReconnect(reason) {
    clearTimeout(this._reconnectTimer);
    const delayMs = reconnectDelay(this._attempt, this.options);
    this._attempt++;
    this._setState({ state: "reconnecting", attempt: this._attempt, delayMs, retryAt: Date.now() + delayMs,
                     reason });
    this._reconnectTimer = setTimeout(() => this._open(), delayMs);
  }

  _reconnectNow() {
    if (this.state === "closed") return;
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._open();
  }

  /** The keep-alive timer: the one-way frame `hello` announced, else a heartbeat. */
  _keepAliveTick() {
    const ping = this.keepAlive && this.keepAlive.ping;
    if (ping) this._ping(ping);
    else this._beat();
  }

  /** One keep-alive frame: no requestId, nothing awaited (nothing answers it). Never
   *  throws: a send that fails means the socket is going away, so it is dropped (and
   *  reopened). @param {string} action */
  _ping(action) {
    const ws = this._ws;
    if (!ws || this.state !== "open") return;
    try {
      ws.send(encodeKeepAlive(action));
    } catch (error) {
      this._drop(`keep-alive not sent: ${error}`);
    }
  }

  /** A timer heartbeat: `heartbeat` with its ack; unanswered, the connection is dropped. */
  _beat() {
    this.heartbeat().then((ack) => this.emit(ClientEvent.HEARTBEAT, ack), () => {});
  }

  /**
   * One presence:heartbeat now: an end-to-end check of the connection (the timer sends
   * one-way pings instead when `hello` announces `keepAlive`). Unanswered within
   * `timeoutMs` (default requestTimeoutMs), the connection is taken for dead: dropped
   * and reopened.
   * @param {number} [timeoutMs]
   * @returns {Promise<HeartbeatAck>}
   */
  heartbeat(timeoutMs) {
    return this._request(Action.PRESENCE_HEARTBEAT, {}, Retry.NEVER, { timeoutMs, probe: true });
  }

  // ------------------------------------------------------------------ frames

  /** @param {any} raw @param {Socket} [ws] the connection it came on */
  _onFrame(raw, ws) {
    const frame = decodeFrame(raw);
    if (!frame) return;
    const { event, requestId, data } = frame;
    if (event === undefined && typeof frame.message === "string") {
      // API Gateway's own answer when a route's function failed ({"message": "Internal
      // server error", ...}): it names no request of ours; their timeouts deal with it.
      this.emit(Event.ERROR, new SwitchboardError(ErrorCode.INTERNAL_ERROR, `gateway: ${frame.message}`, frame));
      return;
    }
    if (requestId !== undefined && requestId !== null && this._requests.has(String(requestId))) {
      this._answer(String(requestId), event, data || {});
      return;
    }
    if (event === Event.ERROR) {
      const error = SwitchboardError.fromReply(data);
      if (error.code === ErrorCode.UNAUTHORIZED) this._refused(ws ?? this._ws);
      this.emit(Event.ERROR, error);
      return;
    }
    if (!this._overlapping()) this._copies.clear();
    else if (this._copies.isCopy(ws, typeof raw === "string" ? raw : String(raw))) return;
    if (this._syncing && event !== Event.TYPING && event !== Event.USER_STATUS) {
      this._held.push([event, data]);
      return;
    }
    this._dispatch(event, data);
  }

  /** @param {string} event @param {any} data */
  _dispatch(event, data) {
    switch (event) {
      case Event.MESSAGE_NEW:
        this._deliver(data);
        return;
      // Updates: raised when they changed what the store holds (a duplicate, or a copy
      // overtaken by newer ones, did not); outside what it keeps, passed on as they come.
      case Event.MESSAGE_EDITED: {
        const { message, change } = this._messages.put(data);
        if (change === Change.STALE) return;
        data = message;
        break;
      }
      case Event.MESSAGE_DELETED:
        if (this._messages.deleted(data) === Change.STALE) return;
        break;
      case Event.MESSAGE_REACTION:
        if (this._messages.reaction(data) === Change.STALE) return;
        break;
      case Event.CHAT_CREATED:
        this._resume.chats.add(data.id);
        break;
      case Event.CHAT_MEMBER_ADDED:
        if (data.userId === this.userId) this._resume.chats.add(data.chatId);
        break;
      case Event.CHAT_MEMBER_REMOVED:
        if (data.userId === this.userId) this._forgetChat(data.chatId);
        break;
      case Event.TYPING:
        this._typingIn.update(data);
        break;
      default:
        break;
    }
    this.emit(event, data);
  }

  /** Deliver a message once, as the store holds it (updates that overtook it applied):
   *  false if its id was delivered (or tracked) before. @param {any} message */
  _deliver(message) {
    return this._deliverCopy(message).delivered;
  }

  /** A message of a catch-up page: delivered once; a copy of one delivered before that
   *  changed it (edited, reacted to or deleted during the drop) is `message:edited`.
   *  @param {any} message */
  _deliverSynced(message) {
    const { delivered, merged, change } = this._deliverCopy(message);
    if (!delivered && change === Change.CHANGED) this.emit(Event.MESSAGE_EDITED, merged);
    return delivered;
  }

  /** @param {any} message @returns {{delivered: boolean, merged?: any, change?: string}} */
  _deliverCopy(message) {
    if (!message || !message.id || !message.chatId) return { delivered: false };
    const { message: merged, change } = this._messages.put(message);
    if (this._ownInFlight(message)) return { delivered: false };
    if (!this._resume.remember(message)) return { delivered: false, merged, change };
    // A message ends its author's typing.
    this._typingIn.stop(message.chatId, message.senderId);
    this.emit(ClientEvent.MESSAGE, merged);
    return { delivered: true, merged, change };
  }

  /** A message of one of our sends still waiting for its answer (stored, but the answer
   *  was lost in a drop, and the catch-up found it): taken as delivered, not emitted; the
   *  send resolves with it when the resend is answered. @param {any} message */
  _ownInFlight(message) {
    if (message.senderId !== this.userId || !this._sending.has(message.clientMessageId)) return false;
    this._resume.remember(message);
    return true;
  }

  /** @param {string} chatId */
  _forgetChat(chatId) {
    this._resume.forget(chatId);
    this._messages.forget(chatId);
    this._typingIn.clear(chatId);
  }

  // ------------------------------------------------------------------ requests

  /**
   * @param {string} action
   * @param {Record<string, any>} data
   * @param {string} retry one of Retry
   * @param {{onSocket?: Socket | null, timeoutMs?: number | null, probe?: boolean}} [options]
   * @returns {Promise<any>}
   */
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
        reject(new SwitchboardError(LocalErrorCode.CLOSED, "the client is closed"));
      } else if (retry === Retry.NEVER) {
        reject(new SwitchboardError(LocalErrorCode.DISCONNECTED, `not connected (${action} not sent)`));
      } else {
        this._requests.outbox.push(req);
      }
    });
  }

  /** @param {PendingRequest} req @param {Socket} ws */
  _transmit(req, ws) {
    req.socket = ws;
    const requestId = this._requests.open(req);
    try {
      ws.send(encodeFrame(req.action, requestId, req.data));
    } catch (error) {
      this._requests.take(requestId);
      if (req.retry === Retry.NEVER) req.reject(new SwitchboardError(LocalErrorCode.DISCONNECTED, String(error)));
      else this._requests.outbox.push(req);
      return;
    }
    req.sent = true;
    const timeoutMs = req.timeoutMs || this.options.requestTimeoutMs;
    req.timer = setTimeout(() => {
      if (this._requests.pending.get(requestId) !== req) return;
      this._requests.take(requestId);
      const silent = `no answer to ${req.action} in ${timeoutMs} ms`;
      if (req.probe || req.pinned) {
        // Every action is answered: a heartbeat, greeting or catch-up left unanswered
        // means the connection is dead (the network went away without a close).
        req.reject(new SwitchboardError(LocalErrorCode.TIMEOUT, silent));
        if (ws === this._ws) this._drop(silent);
        else this._answeredOn(ws);
        return;
      }
      // One answer went missing (a function that timed out answers nothing the client can
      // match): resend what is safe to resend, and check the connection is alive.
      if (req.retry === Retry.ALWAYS && req.failures < this.options.maxRetries) {
        req.failures++;
        if (this.state === "open" && this._ws) this._transmit(req, this._ws);
        else this._requests.outbox.push(req);
      } else {
        req.reject(new SwitchboardError(LocalErrorCode.TIMEOUT, silent));
      }
      if (ws === this._ws) this._probe();
      this._answeredOn(ws);
    }, timeoutMs);
  }

  /** Is the connection alive? A heartbeat unanswered in time drops it. @param {number} [timeoutMs] */
  _probe(timeoutMs) {
    if (this._probing || this.state !== "open") return;
    this._probing = true;
    this.heartbeat(timeoutMs).catch(() => {}).finally(() => { this._probing = false; });
  }

  _flushOutbox() {
    for (const req of this._requests.takeOutbox()) {
      if (this._ws && this.state === "open") this._transmit(req, this._ws);
      else this._requests.outbox.push(req);
    }
  }

  /** A reply to one of our requests. @param {string} requestId @param {string} event @param {any} data */
  _answer(requestId, event, data) {
    const req = /** @type {PendingRequest} */ (this._requests.take(requestId));
    clearTimeout(req.timer);
    this._answeredOn(req.socket);
    if (event !== Event.ERROR) {
      req.resolve(data);
      return;
    }
    const error = SwitchboardError.fromReply(data);
    // Retried after a pause: what may be resent (and requests of the connection's own
    // start-up, hello and sync, on that same connection).
    if (retriesError(req, error.code, this.options.maxRetries)) {
      req.failures++;
      const waitMs = retryDelay(error.code, data, req.failures, this.options);
      setTimeout(() => {
        if (this.state === "closed") req.reject(new SwitchboardError(LocalErrorCode.CLOSED, "the client was closed"));
        else if (req.pinned) {
          if (req.pinned === this._ws || req.pinned === this._renewal?.ws) this._transmit(req, req.pinned);
          else req.reject(new SwitchboardError(LocalErrorCode.DISCONNECTED, "connection lost"));
        } else if (this.state === "open" && this._ws) this._transmit(req, this._ws);
        else this._requests.outbox.push(req);
      }, waitMs);
      return;
    }
    if (error.code === ErrorCode.UNAUTHORIZED) this._refused(req.socket);
    req.reject(error);
  }
}

/** Close a socket, ignoring one that is closing already. @param {Socket} ws @param {number} code @param {string} reason */
function closeQuietly(ws, code, reason) {
  try {
    ws.close(code, reason);
  } catch {
    /* already closing */
  }
}
