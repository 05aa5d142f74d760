/**
 * The plan of one connection, from its greeting; `overrideMs` (the `heartbeatIntervalMs`
 * option) replaces the announced interval either way. A `keepAlive` without a usable
 * action or interval is taken as absent (heartbeats always work). `throttled`: the timers
 * run in a browser page, which may fire them late (see THROTTLE_SLACK_MS); the announced
 * ping interval is shortened by the slack, to no less than half of it.
 * @param {any} hello @param {number} [overrideMs] @param {boolean} [throttled]
 * @returns {KeepAlivePlan}
 */
export function keepAlivePlan(hello: any, overrideMs?: number, throttled?: boolean): KeepAlivePlan;
/**
 * When to replace a connection, from its greeting's `renew`; null when absent or unusable
 * (an older server: the client reconnects and syncs after the cut instead).
 * @param {any} hello @returns {RenewPlan | null}
 */
export function renewPlan(hello: any): RenewPlan | null;
export const THROTTLE_SLACK_MS: 60000;
export class Heartbeat {
    /** @param {() => void} beat */
    constructor(beat: () => void);
    _beat: () => void;
    /** @type {any} */
    _timer: any;
    /** (Re)start the timer. @param {number} intervalMs */
    start(intervalMs: number): void;
    stop(): void;
    get running(): boolean;
}
/**
 * every `intervalMs`:
 *   the one-way frame `{"action": ping}`, or (`ping` null, a server without `keepAlive`)
 *   an acked presence:heartbeat
 */
export type KeepAlivePlan = {
    intervalMs: number;
    ping: string | null;
};
/**
 * `afterMs` after a connection
 *   opened, open the next one; API Gateway cuts it `maxMs` after it opened
 */
export type RenewPlan = {
    afterMs: number;
    maxMs: number;
};
