// Errors: the server's `error` frames and the client's own failures, as one Error class
// whose `code` is the protocol's (ErrorCode) or the client's own (LocalErrorCode).

import { ErrorCode } from "./protocol.js";

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
    /** @type {string} */
    this.code = code;
    /** @type {Record<string, any>} */
    this.data = data;
  }

  /**
   * The error an `error` frame's data stands for.
   * @param {Record<string, any> | null | undefined} data
   * @returns {SwitchboardError}
   */
  static fromReply(data) {
    const code = data?.code || ErrorCode.INTERNAL_ERROR;
    return new SwitchboardError(code, data?.message || `the server answered ${code}`, data || {});
  }
}
