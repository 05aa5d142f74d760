// Requests and their answers: request ids, the table of requests in flight, the outbox of
// requests waiting for a connection, and which requests may be sent again.
//
// Every action is answered on the sending connection by exactly one frame carrying its
// `requestId` (`ack`, `connection:success` or `error`).

import { Action, ErrorCode } from "./protocol.js";

/** What happens to a request when there is no connection, or when it drops. */
export const Retry = Object.freeze({
  /** idempotent: queued while offline, resent after a drop or a lost answer */
  ALWAYS: "always",
  /** queued while offline, but not resent once it went out */
  QUEUE: "queue",
  /** fails at once when not connected (typing, heartbeats, the greeting) */
  NEVER: "never",
});

/**
 * The retry mode of each typed action. `message:send` is resent with its clientMessageId
 * (stored once); `message:delete` is not (a second delete is not_found); typing and
 * heartbeats are stale after a drop. `hello` and `sync` belong to one connection.
 * @type {Readonly<Record<string, string>>}
 */
export const RETRY_OF = Object.freeze({
  [Action.HELLO]: Retry.NEVER,
  [Action.SYNC]: Retry.NEVER,
  [Action.MESSAGE_SEND]: Retry.ALWAYS,
  [Action.MESSAGE_EDIT]: Retry.ALWAYS,
  [Action.MESSAGE_DELETE]: Retry.QUEUE,
  [Action.MESSAGE_REACT]: Retry.ALWAYS,
  [Action.MESSAGE_UNREACT]: Retry.ALWAYS,
  [Action.MESSAGE_READ]: Retry.ALWAYS,
  [Action.CHAT_READ_ALL]: Retry.ALWAYS,
  [Action.CHAT_PRESENCE]: Retry.QUEUE,
  [Action.PRESENCE_SET]: Retry.ALWAYS,
  [Action.PRESENCE_HEARTBEAT]: Retry.NEVER,
  [Action.TYPING_START]: Retry.NEVER,
  [Action.TYPING_STOP]: Retry.NEVER,
  [Action.TYPING_LIST]: Retry.QUEUE,
});

/**
 * @typedef {Object} PendingRequest
 * @property {string} action
 * @property {Record<string, any>} data
 * @property {string} retry one of Retry
 * @property {(value: any) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {number} failures internal_error / rate_limited answers (and lost answers) so far
 * @property {boolean} sent it went out on some connection
 * @property {string} [requestId]
 * @property {any} [timer]
 * @property {number | null} [timeoutMs]
 * @property {any} [pinned] the connection it belongs to (hello, sync)
 * @property {any} [socket] the connection it was last sent on
 * @property {boolean} [probe] a heartbeat: unanswered, the connection is dead
 */

/**
 * An `error` answer worth a retry after a pause: internal_error or rate_limited (which
 * were not carried out, or may be safely repeated), for a request that may be resent or
 * belongs to its connection's start-up, at most `maxRetries` times.
 * @param {PendingRequest} req
 * @param {string} code
 * @param {number} maxRetries
 */
export function retriesError(req, code, maxRetries) {
  return (req.retry !== Retry.NEVER || !!req.pinned) && req.failures < maxRetries &&
    (code === ErrorCode.RATE_LIMITED || code === ErrorCode.INTERNAL_ERROR);
}

/** Requests in flight by requestId, and the outbox of those waiting for a connection. */
export class Requests {
  constructor() {
    this._seq = 0;
    /** @type {Map<string, PendingRequest>} requestId -> request in flight */
    this.pending = new Map();
    /** @type {PendingRequest[]} waiting for a connection */
    this.outbox = [];
  }

  /** A fresh requestId for `req`, which is now in flight. @param {PendingRequest} req */
  open(req) {
    const requestId = `r${++this._seq}`;
    req.requestId = requestId;
    this.pending.set(requestId, req);
    return requestId;
  }

  /** The request `requestId` answers, no longer in flight (undefined if none). @param {string} requestId */
  take(requestId) {
    const req = this.pending.get(requestId);
    this.pending.delete(requestId);
    return req;
  }

  /** @param {string} requestId */
  has(requestId) {
    return this.pending.has(requestId);
  }

  /** How many requests in flight were sent on `socket`. @param {any} socket */
  sentOn(socket) {
    let count = 0;
    for (const req of this.pending.values()) if (req.socket === socket) count++;
    return count;
  }

  /** The requests in flight that `which` picks, no longer in the table.
   * @param {(req: PendingRequest) => boolean} which */
  takeWhere(which) {
    const taken = [...this.pending.values()].filter(which);
    for (const req of taken) this.pending.delete(/** @type {string} */ (req.requestId));
    return taken;
  }

  /** Every request in flight, none left in the table. */
  takeAll() {
    const all = [...this.pending.values()];
    this.pending.clear();
    return all;
  }

  /** The outbox, emptied. */
  takeOutbox() {
    const queue = this.outbox;
    this.outbox = [];
    return queue;
  }
}
