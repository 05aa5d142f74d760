export class ResumeState {
    /** @type {Set<string>} chats we are a member of (hello, chat events) */
    chats: Set<string>;
    /** @type {Map<string, string>} chatId -> newest message id we hold */
    last: Map<string, string>;
    /** @type {Map<string, Set<string>>} chatId -> ids delivered (bounded) */
    seen: Map<string, Set<string>>;
    /** @type {Map<string, string> | null} cursors at the moment the connection dropped */
    syncFrom: Map<string, string> | null;
    /**
     * Note a message as held (dedupe set and newest id); false if it already was.
     * @param {{chatId: string, id: string}} message
     */
    remember(message: {
        chatId: string;
        id: string;
    }): boolean;
    /** We left the chat (or were removed): nothing of it to sync. @param {string} chatId */
    forget(chatId: string): void;
    /** The connection dropped: the next sync starts from what we hold now (kept across
     *  failed attempts until a catch-up completes). */
    dropped(): void;
    /**
     * A new connection said hello: the chats to sync, each from its cursor (null: from its
     * beginning). After a reconnect every chat we know; on a first connection only the
     * chats whose messages the app told us it holds (track()).
     * @param {boolean} reconnected
     * @param {string[]} helloChats
     * @returns {Record<string, string | null>}
     */
    plan(reconnected: boolean, helloChats: string[]): Record<string, string | null>;
    /** The catch-up is delivered: the next drop takes a fresh snapshot. */
    caughtUp(): void;
    /** @param {string} chatId @returns {string | null} */
    lastMessageId(chatId: string): string | null;
}
/**
 * While the client has two connections open (a renewal: the next one is greeted before the
 * old one is closed), the server sends every event to both. Messages and updates are
 * deduped by id and version wherever they come from; this drops the other copies (chat
 * events, read positions, statuses, typing, and updates the message list does not hold):
 * the n-th arrival of a frame on one connection is a copy when another connection already
 * brought it n times. Only frames of the overlap are kept, and forgotten when it ends.
 */
export class FrameCopies {
    /** @type {Map<string, Map<any, number>>} frame text -> connection -> arrivals */
    arrivals: Map<string, Map<any, number>>;
    /** Note a frame's arrival on `socket`: true if it is a copy of one another connection
     *  brought. @param {any} socket @param {string} text */
    isCopy(socket: any, text: string): boolean;
    /** The overlap ended: one connection again. */
    clear(): void;
}
