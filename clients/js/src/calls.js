// The calls this client is a peer of, and their moves to a new connection.
//
// The server knows a peer by its connection: when that connection goes (a drop, or a
// renewal's switch), the peer stays on it for a grace period (20 s by default), then
// leaves the call (`call:left`, reason dropped). A client that wants to stay in the call
// sends `call:rejoin` {callId, peerId} from its new connection within that time. So the
// client keeps each call it is a peer of (callId -> peerId, learned from the acks of
// invite, accept, join and rejoin; forgotten on leave, cancel, and on `call:ended`,
// `call:cancelled`, or `call:missed` of a call nobody answered) and api.js rejoins them
// on every new connection. What this connection says for a peer (signal, screen, leave,
// cancel) waits until its call is rejoined: sent before, it would be refused (this
// connection is no peer yet).

import { SwitchboardError } from "./errors.js";
import { ErrorCode } from "./protocol.js";

/**
 * @typedef {import("./protocol.js").CallJoined} CallJoined
 * @typedef {{callId: string, chatId: string, peerId: string, answered: boolean}} HeldCall
 *   `answered`: someone answered (the call is not only ringing)
 */

export class ActiveCalls {
  constructor() {
    /** @type {Map<string, HeldCall>} */
    this._calls = new Map();
    /** @type {Map<string, Promise<void>>} a rejoin under way, by callId (never rejects) */
    this._rejoining = new Map();
    /** @type {Map<string, Array<{resolve: () => void, reject: (error: Error) => void}>>}
     *  who waits for the next rejoin of a call */
    this._waiters = new Map();
    /** @type {Map<string, Set<Promise<any>>>} requests of this client's peer in flight, by callId */
    this._sends = new Map();
  }

  /** A request of the call's peer went out (a rejoin waits for it: the server would take
   *  one sent on the old connection after the rejoin as no peer's).
   *  @param {string} callId @param {Promise<any>} request */
  sending(callId, request) {
    let sends = this._sends.get(callId);
    if (!sends) this._sends.set(callId, (sends = new Set()));
    sends.add(request);
    const done = () => {
      sends.delete(request);
      if (!sends.size && this._sends.get(callId) === sends) this._sends.delete(callId);
    };
    request.then(done, done);
  }

  /** When the call's requests in flight now are answered (or failed).
   *  @param {string} callId @returns {Promise<unknown>} */
  settledSends(callId) {
    return Promise.allSettled([...(this._sends.get(callId) || [])]);
  }

  /** An ack that makes (or keeps) this client a peer. @param {CallJoined} joined */
  hold(joined) {
    if (!joined || !joined.peerId || !joined.call) return;
    const { call } = joined;
    const held = this._calls.get(call.callId);
    this._calls.set(call.callId, {
      callId: call.callId,
      chatId: call.chatId,
      peerId: joined.peerId,
      answered: !!held?.answered || call.status === "active",
    });
  }

  /** @param {string} callId @returns {HeldCall | undefined} */
  get(callId) {
    return this._calls.get(callId);
  }

  /** @param {string} callId */
  has(callId) {
    return this._calls.has(callId);
  }

  /** Someone answered the call (a `call:joined`). @param {string} callId */
  answered(callId) {
    const held = this._calls.get(callId);
    if (held) held.answered = true;
  }

  /** The calls held, a copy. @returns {HeldCall[]} */
  list() {
    return [...this._calls.values()].map((held) => ({ ...held }));
  }

  /** No longer a peer: forgotten; whoever waits for its rejoin is told why.
   * @param {string} callId @param {Error} [why] */
  forget(callId, why) {
    this._calls.delete(callId);
    const waiters = this._waiters.get(callId) || [];
    this._waiters.delete(callId);
    const error = why || new SwitchboardError(ErrorCode.NOT_FOUND, "this client is no longer in the call");
    for (const waiter of waiters) waiter.reject(error);
  }

  /** Every call forgotten (the client closed). @param {Error} why */
  clear(why) {
    for (const callId of [...this._calls.keys(), ...this._waiters.keys()]) this.forget(callId, why);
    this._rejoining.clear();
  }

  /** The call was rejoined on the current connection. @param {CallJoined} joined */
  rejoined(joined) {
    this.hold(joined);
    const callId = joined.call.callId;
    const waiters = this._waiters.get(callId) || [];
    this._waiters.delete(callId);
    for (const waiter of waiters) waiter.resolve();
  }

  /** Resolves when the call is next rejoined (on a connection greeted from now on);
   *  rejects when it is forgotten first. @param {string} callId @returns {Promise<void>} */
  nextRejoin(callId) {
    if (!this._calls.has(callId)) {
      return Promise.reject(new SwitchboardError(ErrorCode.NOT_FOUND, "this client is not in the call"));
    }
    return new Promise((resolve, reject) => {
      const waiters = this._waiters.get(callId) || [];
      waiters.push({ resolve, reject });
      this._waiters.set(callId, waiters);
    });
  }

  /** A rejoin of the call is under way: `run` starts after the one before it (if any)
   *  settled, so the last connection's rejoin is the last one the server sees.
   * @param {string} callId @param {() => Promise<void>} run @returns {Promise<void>} it, done */
  chainRejoin(callId, run) {
    const before = this._rejoining.get(callId) || Promise.resolve();
    const done = before.then(run).catch(() => {}).finally(() => {
      if (this._rejoining.get(callId) === done) this._rejoining.delete(callId);
    });
    this._rejoining.set(callId, done);
    return done;
  }

  /** The rejoin under way of a call, if any (it never rejects). @param {string} callId
   *  @returns {Promise<void> | undefined} */
  rejoining(callId) {
    return this._rejoining.get(callId);
  }
}
