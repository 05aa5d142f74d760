// Delays: reconnects (capped exponential backoff with "equal jitter") and the pause
// before retrying a request the server answered with internal_error or rate_limited.

import { ErrorCode } from "./protocol.js";

/**
 * The wait before reconnect attempt `attempt` (0 for the first after a drop): a random
 * time between half and all of min(maxDelayMs, initialDelayMs * 2^attempt), so clients
 * dropped together spread out, and no wait exceeds `maxDelayMs`.
 * @param {number} attempt
 * @param {{initialDelayMs: number, maxDelayMs: number}} options
 * @param {() => number} [random] uniform in [0, 1)
 * @returns {number} milliseconds
 */
export function reconnectDelay(attempt, { initialDelayMs, maxDelayMs }, random = Math.random) {
  const cap = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + random() * (cap / 2));
}

/**
 * The pause before resending a request refused with `code` for the `failures`-th time:
 * the server's retryAfterMs for rate_limited, else exponential from initialDelayMs.
 * @param {string} code
 * @param {Record<string, any>} data the error's data
 * @param {number} failures
 * @param {{initialDelayMs: number, maxDelayMs: number}} options
 * @returns {number} milliseconds
 */
export function retryDelay(code, data, failures, { initialDelayMs, maxDelayMs }) {
  if (code === ErrorCode.RATE_LIMITED) return Number(data.retryAfterMs) || 250;
  return Math.min(maxDelayMs, initialDelayMs * 2 ** failures);
}
