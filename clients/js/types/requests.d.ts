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
export function retriesError(req: PendingRequest, code: string, maxRetries: number): boolean;
/** What happens to a request when there is no connection, or when it drops. */
export const Retry: Readonly<{
    /** idempotent: queued while offline, resent after a drop or a lost answer */
    ALWAYS: "always";
    /** queued while offline, but not resent once it went out */
    QUEUE: "queue";
    /** fails at once when not connected (typing, heartbeats, the greeting) */
    NEVER: "never";
}>;
/**
 * The retry mode of each typed action. `message:send` is resent with its clientMessageId
 * (stored once); `message:delete` is not (a second delete is not_found); typing and
 * heartbeats are stale after a drop. `hello` and `sync` belong to one connection.
 * @type {Readonly<Record<string, string>>}
 */
export const RETRY_OF: Readonly<Record<string, string>>;
/** Call actions of this connection's peer that the call helpers send again after a drop,
 *  once the call is rejoined on the next connection (see RETRY_OF).
 * @type {ReadonlySet<string>} */
export const RESENT_AFTER_REJOIN: ReadonlySet<string>;
/** Requests in flight by requestId, and the outbox of those waiting for a connection. */
export class Requests {
    _seq: number;
    /** @type {Map<string, PendingRequest>} requestId -> request in flight */
    pending: Map<string, PendingRequest>;
    /** @type {PendingRequest[]} waiting for a connection */
    outbox: PendingRequest[];
    /** A fresh requestId for `req`, which is now in flight. @param {PendingRequest} req */
    open(req: PendingRequest): string;
    /** The request `requestId` answers, no longer in flight (undefined if none). @param {string} requestId */
    take(requestId: string): PendingRequest;
    /** @param {string} requestId */
    has(requestId: string): boolean;
    /** How many requests in flight were sent on `socket`. @param {any} socket */
    sentOn(socket: any): number;
    /** The requests in flight that `which` picks, no longer in the table.
     * @param {(req: PendingRequest) => boolean} which */
    takeWhere(which: (req: PendingRequest) => boolean): PendingRequest[];
    /** Every request in flight, none left in the table. */
    takeAll(): PendingRequest[];
    /** The outbox, emptied. */
    takeOutbox(): PendingRequest[];
}
export type PendingRequest = {
    action: string;
    data: Record<string, any>;
    /**
     * one of Retry
     */
    retry: string;
    resolve: (value: any) => void;
    reject: (error: Error) => void;
    /**
     * internal_error / rate_limited answers (and lost answers) so far
     */
    failures: number;
    /**
     * it went out on some connection
     */
    sent: boolean;
    requestId?: string;
    timer?: any;
    timeoutMs?: number | null;
    /**
     * the connection it belongs to (hello, sync)
     */
    pinned?: any;
    /**
     * the connection it was last sent on
     */
    socket?: any;
    /**
     * a heartbeat: unanswered, the connection is dead
     */
    probe?: boolean;
};
