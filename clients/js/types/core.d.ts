export class ClientCore extends Emitter {
    /** @param {ClientOptions} options */
    constructor(options: ClientOptions);
    options: {
        /**
         * WebSocket URL of the stage, e.g. ws://127.0.0.1:3001/local
         */
        url: string;
        /**
         * a JWT, or a function returning
         * one (called before every connection attempt, so it can refresh)
         */
        token: string | (() => string | Promise<string>);
        /**
         * REST base (e.g. http://127.0.0.1:3001/api): lets sync fetch
         * the rest of a chat when the server says `hasMore`
         */
        restUrl?: string;
        /**
         * first reconnect delay (before jitter)
         */
        initialDelayMs: number;
        /**
         * cap of the reconnect delay
         */
        maxDelayMs: number;
        /**
         * how long an answer may take
         */
        requestTimeoutMs: number;
        /**
         * internal_error / rate_limited retries of one request
         */
        maxRetries: number;
        /**
         * between keep-alive frames, replacing what
         * `hello` announces (default: its `keepAlive.intervalSeconds` between pings; from a
         * server without `keepAlive`, its heartbeatSeconds between heartbeats, else 65 s)
         */
        heartbeatIntervalMs?: number;
        /**
         * a WebSocket implementation (default: the
         * global one; on Node 20 pass `ws`'s)
         */
        WebSocket?: SocketConstructor;
        /**
         * messages kept per chat by messages() (the newest;
         * Infinity keeps all, 0 none)
         */
        messageLimit?: number;
        /**
         * replace each connection before API Gateway
         * cuts it, when `hello` announces `renew` (make before break: no drop, no sync); false
         * waits for the cut, then reconnects and syncs
         */
        renewConnections: boolean;
        /**
         * how long a replaced connection stays open after the
         * switch (and its requests answered): posts addressed to it before the new connection was
         * in the rooms may still be on their way
         */
        renewDrainMs: number;
    };
    /** @type {State} */
    state: State;
    /** @type {string | null} the user id the server greeted us as */
    userId: string | null;
    /** @type {string | null} */
    connectionId: string | null;
    /** @type {KeepAlivePlan | null} what keeps the connection open, from the last `hello` */
    keepAlive: KeepAlivePlan | null;
    /** @type {Socket | null} */
    _ws: Socket | null;
    /** @type {string | undefined} the token of the current connection (REST paging) */
    _token: string | undefined;
    _generation: number;
    _attempt: number;
    _everGreeted: boolean;
    /** connections greeted so far (`client:renewed`'s connectionNumber) */
    _greetings: number;
    /** @type {Renewal | null} the next connection, while it opens */
    _renewal: Renewal | null;
    /** @type {any} the next renewal attempt */
    _renewTimer: any;
    /** the current connection is due for replacement */
    _renewDue: boolean;
    /** failed renewal attempts of the current connection (their backoff) */
    _renewFailures: number;
    /** when API Gateway cuts the current connection (Date.now() ms; 0: not known) */
    _cutAt: number;
    /** @type {Map<Socket, {timers: any[], drained: boolean, moving: boolean}>} replaced
     *  connections, closed once their requests are answered, what moves from them is done
     *  and renewDrainMs has passed (-> the timers) */
    _retiring: Map<Socket, {
        timers: any[];
        drained: boolean;
        moving: boolean;
    }>;
    _copies: FrameCopies;
    /** @type {any} */
    _reconnectTimer: any;
    _probing: boolean;
    _requests: Requests;
    _resume: ResumeState;
    _messages: MessageStore;
    /** @type {Map<string, number>} clientMessageIds of our sends waiting for their answer */
    _sending: Map<string, number>;
    _heartbeat: Heartbeat;
    _syncing: boolean;
    /** @type {Array<[string, any]>} events held back while catching up */
    _held: Array<[string, any]>;
    _typingIn: TypingIn;
    _typingOut: TypingOut;
    /** @type {Promise<Hello> | null} */
    _firstHello: Promise<Hello> | null;
    /** @type {((hello: Hello) => void) | null} */
    _resolveFirst: ((hello: Hello) => void) | null;
    /** @type {((error: Error) => void) | null} */
    _rejectFirst: ((error: Error) => void) | null;
    _onOnline: () => void;
    _onOffline: () => void;
    /**
     * Open the connection (and keep it open until close()). Resolves with the first
     * greeting; rejects only if close() is called before one.
     * @returns {Promise<Hello>}
     */
    connect(): Promise<Hello>;
    /** Close for good: no reconnect; requests waiting are rejected with `closed`. */
    close(): void;
    /** Drop the current connection as if the network had (it reconnects). For tests and
     *  for an app that knows better, e.g. after waking from sleep. */
    reconnect(): void;
    /** @returns {boolean} */
    _isClosed(): boolean;
    /** @param {StateChange} change */
    _setState(change: StateChange): void;
    _open(): Promise<void>;
    /** A socket's events, taken by what it is when they come: the connection, the next one
     *  (a renewal) or a replaced one being retired; those of a forgotten one are ignored.
     *  @param {Socket} ws @param {() => void} opened */
    _listen(ws: Socket, opened: () => void): void;
    /** One of the client's connections (not a forgotten one). @param {Socket | null | undefined} ws */
    _isOpen(ws: Socket | null | undefined): boolean;
    /** More than one connection open: a renewal's overlap, when events come twice. */
    _overlapping(): boolean;
    /** The greeting, then outbox and catch-up.
     * @param {Socket} ws @param {number} generation @param {number} openedAt when it was opened (Date.now()) */
    _greet(ws: Socket, generation: number, openedAt: number): Promise<void>;
    /** @param {Record<string, string | null>} wanted @param {Socket} ws */
    _catchUp(wanted: Record<string, string | null>, ws: Socket): Promise<number>;
    /** The rest of a chat after a sync with hasMore, over REST (oldest first).
     * @param {string} chatId @param {string} after @param {Socket} ws */
    _fetchRest(chatId: string, after: string, ws: Socket): Promise<number>;
    /** The connection ended (a renewal under way is abandoned: reconnect and sync instead).
     * @param {string} reason */
    _onClosed(reason: string): void;
    /** Close the socket ourselves (dead, or told to) and go through the reconnect path.
     * @param {string} reason */
    _drop(reason: string): void;
    /** Requests in flight whose connection is gone: the resendable ones to the outbox (first),
     *  the others rejected with `disconnected`.
     * @param {(req: PendingRequest) => boolean} which @param {string} reason */
    _settle(which: (req: PendingRequest) => boolean, reason: string): void;
    /** A new connection's renewal: due `renew.afterSeconds` after it was opened, if the
     *  option and its greeting say so. @param {Hello} hello @param {number} openedAt */
    _scheduleRenewal(hello: Hello, openedAt: number): void;
    /** No renewal any more: its timer cleared, the next connection (if opening) closed.
     * @param {string} reason */
    _stopRenewing(reason: string): void;
    /** Open the next connection (the current one stays until it is greeted). Waits while
     *  the current one catches up: that catch-up is its own. */
    _renew(): Promise<void>;
    /** `hello` on the next connection (no sync: it received what the old one did), then
     *  the switch. @param {Renewal} renewal */
    _greetRenewal(renewal: Renewal): Promise<void>;
    /** The connection was just replaced (a renewal): what must be done on the new one
     *  before the old one closes (api.js: rejoin the calls; the server knows a call's peer
     *  by its connection). @returns {Promise<unknown>[]} */
    _switched(): Promise<unknown>[];
    /** A renewal attempt failed: the current connection stays, and the next attempt comes
     *  after a backoff delay if the cut is still ahead then (else the cut is handled as any
     *  drop). @param {Renewal} renewal @param {string} reason */
    _renewFailed(renewal: Renewal, reason: string): void;
    /** A renewal given up: its socket closed, the greeting sent on it settled.
     * @param {Renewal} renewal @param {string} reason */
    _discard(renewal: Renewal, reason: string): void;
    /** The replaced connection: closed (1000) once the requests sent on it are answered,
     *  `moving` (what moves from it to the new one) is done and renewDrainMs has passed
     *  (posts a fan-out addressed to it before the new connection was in the rooms may still
     *  be on their way), at most requestTimeoutMs from now; until then its frames are read
     *  as the others'. @param {Socket} ws @param {Promise<unknown>[]} [moving] */
    _retire(ws: Socket, moving?: Promise<unknown>[]): void;
    /** @param {Socket} ws */
    _retireIfDone(ws: Socket): void;
    /** A replaced connection is done (its requests answered, the wait over, or it closed):
     *  closed, no drop; a request still unanswered on it is resent on the current one if it
     *  may be, else rejected. @param {Socket} ws @param {string} reason */
    _retired(ws: Socket, reason: string): void;
    /** A request sent on a replaced connection was answered (or given up): the last one
     *  lets it close. @param {Socket | undefined} ws */
    _answeredOn(ws: Socket | undefined): void;
    /** An `unauthorized` answer or error: the connection it came on is refused (the current
     *  one is dropped and reopened with a fresh token). @param {Socket | null | undefined} ws */
    _refused(ws: Socket | null | undefined): void;
    /** @param {string} reason */
    _scheduleReconnect(reason: string): void;
    _reconnectNow(): void;
    /** The keep-alive timer: the one-way frame `hello` announced, else a heartbeat. */
    _keepAliveTick(): void;
    /** One keep-alive frame: no requestId, nothing awaited (nothing answers it). Never
     *  throws: a send that fails means the socket is going away, so it is dropped (and
     *  reopened). @param {string} action */
    _ping(action: string): void;
    /** A timer heartbeat: `heartbeat` with its ack; unanswered, the connection is dropped. */
    _beat(): void;
    /**
     * One presence:heartbeat now: an end-to-end check of the connection (the timer sends
     * one-way pings instead when `hello` announces `keepAlive`). Unanswered within
     * `timeoutMs` (default requestTimeoutMs), the connection is taken for dead: dropped
     * and reopened.
     * @param {number} [timeoutMs]
     * @returns {Promise<HeartbeatAck>}
     */
    heartbeat(timeoutMs?: number): Promise<HeartbeatAck>;
    /** @param {any} raw @param {Socket} [ws] the connection it came on */
    _onFrame(raw: any, ws?: Socket): void;
    /** @param {string} event @param {any} data */
    _dispatch(event: string, data: any): void;
    /** Deliver a message once, as the store holds it (updates that overtook it applied):
     *  false if its id was delivered (or tracked) before. @param {any} message */
    _deliver(message: any): boolean;
    /** A message of a catch-up page: delivered once; a copy of one delivered before that
     *  changed it (edited, reacted to or deleted during the drop) is `message:edited`.
     *  @param {any} message */
    _deliverSynced(message: any): boolean;
    /** @param {any} message @returns {{delivered: boolean, merged?: any, change?: string}} */
    _deliverCopy(message: any): {
        delivered: boolean;
        merged?: any;
        change?: string;
    };
    /** A message of one of our sends still waiting for its answer (stored, but the answer
     *  was lost in a drop, and the catch-up found it): taken as delivered, not emitted; the
     *  send resolves with it when the resend is answered. @param {any} message */
    _ownInFlight(message: any): boolean;
    /** @param {string} chatId */
    _forgetChat(chatId: string): void;
    /**
     * @param {string} action
     * @param {Record<string, any>} data
     * @param {string} retry one of Retry
     * @param {{onSocket?: Socket | null, timeoutMs?: number | null, probe?: boolean}} [options]
     * @returns {Promise<any>}
     */
    _request(action: string, data: Record<string, any>, retry: string, { onSocket, timeoutMs, probe }?: {
        onSocket?: Socket | null;
        timeoutMs?: number | null;
        probe?: boolean;
    }): Promise<any>;
    /** @param {PendingRequest} req @param {Socket} ws */
    _transmit(req: PendingRequest, ws: Socket): void;
    /** Is the connection alive? A heartbeat unanswered in time drops it. @param {number} [timeoutMs] */
    _probe(timeoutMs?: number): void;
    _flushOutbox(): void;
    /** A reply to one of our requests. @param {string} requestId @param {string} event @param {any} data */
    _answer(requestId: string, event: string, data: any): void;
}
export type Socket = import("./transport.js").Socket;
export type SocketConstructor = import("./transport.js").SocketConstructor;
export type PendingRequest = import("./requests.js").PendingRequest;
export type State = "idle" | "connecting" | "open" | "reconnecting" | "closed";
export type StateChange = {
    state: State;
    attempt: number;
    delayMs?: number;
    retryAt?: number;
    reason?: string;
};
export type Hello = import("./protocol.js").Hello;
export type HeartbeatAck = import("./protocol.js").HeartbeatAck;
export type KeepAlivePlan = import("./heartbeat.js").KeepAlivePlan;
/**
 * `connectionNumber`: the connections greeted so far, this one included (1 is the first)
 */
export type Renewed = {
    connectionId: string;
    previousConnectionId: string | null;
    connectionNumber: number;
};
/**
 * the next
 * connection, opening (ws null while its token is fetched)
 */
export type Renewal = {
    ws: Socket | null;
    token: string | undefined;
    openedAt: number;
};
export type ClientOptions = {
    /**
     * WebSocket URL of the stage, e.g. ws://127.0.0.1:3001/local
     */
    url: string;
    /**
     * a JWT, or a function returning
     * one (called before every connection attempt, so it can refresh)
     */
    token: string | (() => string | Promise<string>);
    /**
     * REST base (e.g. http://127.0.0.1:3001/api): lets sync fetch
     * the rest of a chat when the server says `hasMore`
     */
    restUrl?: string;
    /**
     * first reconnect delay (before jitter)
     */
    initialDelayMs?: number;
    /**
     * cap of the reconnect delay
     */
    maxDelayMs?: number;
    /**
     * how long an answer may take
     */
    requestTimeoutMs?: number;
    /**
     * internal_error / rate_limited retries of one request
     */
    maxRetries?: number;
    /**
     * between keep-alive frames, replacing what
     * `hello` announces (default: its `keepAlive.intervalSeconds` between pings; from a
     * server without `keepAlive`, its heartbeatSeconds between heartbeats, else 65 s)
     */
    heartbeatIntervalMs?: number;
    /**
     * a WebSocket implementation (default: the
     * global one; on Node 20 pass `ws`'s)
     */
    WebSocket?: SocketConstructor;
    /**
     * messages kept per chat by messages() (the newest;
     * Infinity keeps all, 0 none)
     */
    messageLimit?: number;
    /**
     * replace each connection before API Gateway
     * cuts it, when `hello` announces `renew` (make before break: no drop, no sync); false
     * waits for the cut, then reconnects and syncs
     */
    renewConnections?: boolean;
    /**
     * how long a replaced connection stays open after the
     * switch (and its requests answered): posts addressed to it before the new connection was
     * in the rooms may still be on their way
     */
    renewDrainMs?: number;
};
import { Emitter } from "./events.js";
import { FrameCopies } from "./resume.js";
import { Requests } from "./requests.js";
import { ResumeState } from "./resume.js";
import { MessageStore } from "./messages.js";
import { Heartbeat } from "./heartbeat.js";
import { TypingIn } from "./typing.js";
import { TypingOut } from "./typing.js";
