// Keeping an idle connection open: what to send and how often (`keepAlivePlan`, from
// `hello`), and the timer that sends it (`Heartbeat`: `beat()` every `intervalMs` until
// stopped, one per client, restarted by every greeting). And when to replace the
// connection before API Gateway's 2-hour cut (`renewPlan`, from `hello`'s `renew`).
//
// A server that announces `keepAlive` in `hello` gets the one-way frame it names
// (`{"action": "ping"}`: API Gateway answers it without running a function, and nothing
// comes back) every `keepAlive.intervalSeconds`. An older server gets presence:heartbeat
// every `heartbeatSeconds`, acked: a heartbeat left unanswered drops the connection (a
// dead one is then noticed within the interval plus requestTimeoutMs; with one-way pings,
// only when the socket reports it closed, or a request or probe goes unanswered).

import { DEFAULT_HEARTBEAT_SECONDS } from "./protocol.js";

/**
 * @typedef {{intervalMs: number, ping: string | null}} KeepAlivePlan every `intervalMs`:
 *   the one-way frame `{"action": ping}`, or (`ping` null, a server without `keepAlive`)
 *   an acked presence:heartbeat
 * @typedef {{afterMs: number, maxMs: number}} RenewPlan `afterMs` after a connection
 *   opened, open the next one; API Gateway cuts it `maxMs` after it opened
 */

/** @param {any} value @returns {number | null} */
function positive(value) {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

// A browser may run a hidden page's repeating timers up to a minute late (Chrome's
// intensive throttling aligns them to the minute once a page has been hidden 5 minutes):
// there, pings go this much earlier than announced, so that a late one still beats API
// Gateway's 10-minute idle timeout (the announced 540 s leaves exactly one minute).
export const THROTTLE_SLACK_MS = 60000;

/**
 * The plan of one connection, from its greeting; `overrideMs` (the `heartbeatIntervalMs`
 * option) replaces the announced interval either way. A `keepAlive` without a usable
 * action or interval is taken as absent (heartbeats always work). `throttled`: the timers
 * run in a browser page, which may fire them late (see THROTTLE_SLACK_MS); the announced
 * ping interval is shortened by the slack, to no less than half of it.
 * @param {any} hello @param {number} [overrideMs] @param {boolean} [throttled]
 * @returns {KeepAlivePlan}
 */
export function keepAlivePlan(hello, overrideMs, throttled = false) {
  const keepAlive = hello && typeof hello.keepAlive === "object" ? hello.keepAlive : null;
  const action = keepAlive && typeof keepAlive.action === "string" && keepAlive.action ? keepAlive.action : null;
  const seconds = keepAlive ? positive(keepAlive.intervalSeconds) : null;
  if (action && seconds && !overrideMs && throttled) {
    const announced = seconds * 1000;
    return { intervalMs: Math.max(announced / 2, announced - THROTTLE_SLACK_MS), ping: action };
  }
  if (action && seconds) return { intervalMs: overrideMs || seconds * 1000, ping: action };
  const heartbeat = positive(hello && hello.heartbeatSeconds) || DEFAULT_HEARTBEAT_SECONDS;
  return { intervalMs: overrideMs || heartbeat * 1000, ping: null };
}

/**
 * When to replace a connection, from its greeting's `renew`; null when absent or unusable
 * (an older server: the client reconnects and syncs after the cut instead).
 * @param {any} hello @returns {RenewPlan | null}
 */
export function renewPlan(hello) {
  const renew = hello && hello.renew && typeof hello.renew === "object" ? hello.renew : null;
  const after = renew ? positive(renew.afterSeconds) : null;
  const max = renew ? positive(renew.maxSeconds) : null;
  if (!after || !max || after >= max) return null;
  return { afterMs: after * 1000, maxMs: max * 1000 };
}

export class Heartbeat {
  /** @param {() => void} beat */
  constructor(beat) {
    this._beat = beat;
    /** @type {any} */
    this._timer = null;
  }

  /** (Re)start the timer. @param {number} intervalMs */
  start(intervalMs) {
    this.stop();
    // A timer that is no longer the current one never beats (a beat that drops the
    // connection clears its own interval, which some fake clocks do not honour).
    const timer = setInterval(() => {
      if (this._timer === timer) this._beat();
      else clearInterval(timer);
    }, intervalMs);
    this._timer = timer;
  }

  stop() {
    clearInterval(this._timer);
    this._timer = null;
  }

  get running() {
    return this._timer !== null;
  }
}
