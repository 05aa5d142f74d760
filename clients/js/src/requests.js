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
  // Calls. The server knows a peer by its connection: after a drop the new connection is
  // no peer until call:rejoin moves the peer there (api.js does, for every call held).
  // - decline names the user, not the connection: resent as is (a second one answers
  //   not_found, nothing rings for you any more; nothing happens twice).
  // - leave, cancel and screen name this connection's peer: resent on the old connection
  //   they would be fine, on a new one refused (not_found / forbidden) until the rejoin.
  //   So not here: the call helpers send them again once the call is rejoined on the
  //   next connection (RESENT_AFTER_REJOIN). A second leave or cancel answers not_found
  //   (which then means "done already"); a second screen announces the same state.
  // - invite is never queued nor resent: a ring must not go out late, and a second
  //   invite answers conflict (you are in a call: the first one's, its peerId lost).
  // - accept and join may wait for a connection but are not resent: the first may have
  //   made a peer on the dropped connection (a second answers conflict, and that peer
  //   leaves after the grace period).
  // - signal is never queued nor resent: an offer, answer or candidate is one step of a
  //   negotiation, which a late or repeated one would confuse; after a drop, renegotiate.
  // - rejoin belongs to one connection (sent by the client itself, like hello).
  [Action.CALL_INVITE]: Retry.NEVER,
  [Action.CALL_ACCEPT]: Retry.QUEUE,
  [Action.CALL_DECLINE]: Retry.ALWAYS,
  [Action.CALL_CANCEL]: Retry.NEVER,
  [Action.CALL_JOIN]: Retry.QUEUE,
  [Action.CALL_LEAVE]: Retry.NEVER,
  [Action.CALL_REJOIN]: Retry.NEVER,
  [Action.CALL_SIGNAL]: Retry.NEVER,
  [Action.CALL_SCREEN]: Retry.NEVER,
});

/** Call actions of this connection's peer that the call helpers send again after a drop,
 *  once the call is rejoined on the next connection (see RETRY_OF).
 * @type {ReadonlySet<string>} */
export const RESENT_AFTER_REJOIN = Object.freeze(new Set([Action.CALL_LEAVE, Action.CALL_CANCEL, Action.CALL_SCREEN]));

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
