/**
 * The wait before reconnect attempt `attempt` (0 for the first after a drop): a random
 * time between half and all of min(maxDelayMs, initialDelayMs * 2^attempt), so clients
 * dropped together spread out, and no wait exceeds `maxDelayMs`.
 * @param {number} attempt
 * @param {{initialDelayMs: number, maxDelayMs: number}} options
 * @param {() => number} [random] uniform in [0, 1)
 * @returns {number} milliseconds
 */
export function reconnectDelay(attempt: number, { initialDelayMs, maxDelayMs }: {
    initialDelayMs: number;
    maxDelayMs: number;
}, random?: () => number): number;
/**
 * The pause before resending a request refused with `code` for the `failures`-th time:
 * the server's retryAfterMs for rate_limited, else exponential from initialDelayMs.
 * @param {string} code
 * @param {Record<string, any>} data the error's data
 * @param {number} failures
 * @param {{initialDelayMs: number, maxDelayMs: number}} options
 * @returns {number} milliseconds
 */
export function retryDelay(code: string, data: Record<string, any>, failures: number, { initialDelayMs, maxDelayMs }: {
    initialDelayMs: number;
    maxDelayMs: number;
}): number;
