/**
 * @typedef {import("./protocol.js").CallJoined} CallJoined
 * @typedef {{callId: string, chatId: string, peerId: string, answered: boolean}} HeldCall
 *   `answered`: someone answered (the call is not only ringing)
 */
export class ActiveCalls {
    /** @type {Map<string, HeldCall>} */
    _calls: Map<string, HeldCall>;
    /** @type {Map<string, Promise<void>>} a rejoin under way, by callId (never rejects) */
    _rejoining: Map<string, Promise<void>>;
    /** @type {Map<string, Array<{resolve: () => void, reject: (error: Error) => void}>>}
     *  who waits for the next rejoin of a call */
    _waiters: Map<string, Array<{
        resolve: () => void;
        reject: (error: Error) => void;
    }>>;
    /** @type {Map<string, Set<Promise<any>>>} requests of this client's peer in flight, by callId */
    _sends: Map<string, Set<Promise<any>>>;
    /** A request of the call's peer went out (a rejoin waits for it: the server would take
     *  one sent on the old connection after the rejoin as no peer's).
     *  @param {string} callId @param {Promise<any>} request */
    sending(callId: string, request: Promise<any>): void;
    /** When the call's requests in flight now are answered (or failed).
     *  @param {string} callId @returns {Promise<unknown>} */
    settledSends(callId: string): Promise<unknown>;
    /** An ack that makes (or keeps) this client a peer. @param {CallJoined} joined */
    hold(joined: CallJoined): void;
    /** @param {string} callId @returns {HeldCall | undefined} */
    get(callId: string): HeldCall | undefined;
    /** @param {string} callId */
    has(callId: string): boolean;
    /** Someone answered the call (a `call:joined`). @param {string} callId */
    answered(callId: string): void;
    /** The calls held, a copy. @returns {HeldCall[]} */
    list(): HeldCall[];
    /** No longer a peer: forgotten; whoever waits for its rejoin is told why.
     * @param {string} callId @param {Error} [why] */
    forget(callId: string, why?: Error): void;
    /** Every call forgotten (the client closed). @param {Error} why */
    clear(why: Error): void;
    /** The call was rejoined on the current connection. @param {CallJoined} joined */
    rejoined(joined: CallJoined): void;
    /** Resolves when the call is next rejoined (on a connection greeted from now on);
     *  rejects when it is forgotten first. @param {string} callId @returns {Promise<void>} */
    nextRejoin(callId: string): Promise<void>;
    /** A rejoin of the call is under way: `run` starts after the one before it (if any)
     *  settled, so the last connection's rejoin is the last one the server sees.
     * @param {string} callId @param {() => Promise<void>} run @returns {Promise<void>} it, done */
    chainRejoin(callId: string, run: () => Promise<void>): Promise<void>;
    /** The rejoin under way of a call, if any (it never rejects). @param {string} callId
     *  @returns {Promise<void> | undefined} */
    rejoining(callId: string): Promise<void> | undefined;
}
export type CallJoined = import("./protocol.js").CallJoined;
/**
 * `answered`: someone answered (the call is not only ringing)
 */
export type HeldCall = {
    callId: string;
    chatId: string;
    peerId: string;
    answered: boolean;
};
