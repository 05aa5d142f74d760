/** An `error` frame (or a local failure) as an Error: `code` is the protocol's code. */
export class SwitchboardError extends Error {
    /**
     * The error an `error` frame's data stands for.
     * @param {Record<string, any> | null | undefined} data
     * @returns {SwitchboardError}
     */
    static fromReply(data: Record<string, any> | null | undefined): SwitchboardError;
    /**
     * @param {string} code bad_request, forbidden, not_found, conflict, rate_limited,
     *   internal_error, unauthorized, unknown_action, or locally: disconnected, closed, timeout
     * @param {string} message
     * @param {Record<string, any>} [data] the error's whole data (e.g. retryAfterMs)
     */
    constructor(code: string, message: string, data?: Record<string, any>);
    /** @type {string} */
    code: string;
    /** @type {Record<string, any>} */
    data: Record<string, any>;
}
