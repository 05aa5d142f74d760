/** A version as sent (a positive integer), else null. @param {any} value @returns {number | null} */
export function versionOf(value: any): number | null;
/** @typedef {import("./protocol.js").Message} Message */
export const DEFAULT_MESSAGE_LIMIT: 1000;
export const PENDING_LIMIT: 1000;
/** What a copy did to the store (and so whether its event is raised). */
export const Change: Readonly<{
    CHANGED: "changed";
    STALE: "stale";
    UNTRACKED: "untracked";
}>;
/**
 * @typedef {Object} Held
 * @property {Record<string, any>} message the merged copy (only the updated parts while not complete)
 * @property {boolean} complete a whole message was received, not only updates of it
 * @property {number} textVersion the version its text is known at (0: unknown)
 * @property {number} reactionsVersion
 */
/** One chat: its messages in id order, and the updates waiting for their message. */
export class ChatMessages {
    /** @param {string} chatId @param {number} limit */
    constructor(chatId: string, limit: number);
    chatId: string;
    limit: number;
    /** @type {Map<string, Held>} complete and pending, by id */
    held: Map<string, Held>;
    /** @type {string[]} the ids of the complete ones, ascending */
    order: string[];
    /** @type {string[]} the ids of the pending ones, ascending */
    pending: string[];
    /** @returns {Message[]} */
    list(): Message[];
    /** @param {string} id @returns {Message | null} */
    get(id: string): Message | null;
    /** True when a message of this id would not be kept: limit 0, or older than every
     *  message of a full list (it would be the first one dropped). @param {string} id */
    outside(id: string): boolean;
    /**
     * Merge a whole message (`message:new` or `message:edited`, an answer, a page).
     * @param {Record<string, any>} message
     * @returns {{message: Message, change: string}}
     */
    put(message: Record<string, any>): {
        message: Message;
        change: string;
    };
    /** A `message:deleted` (or the answer to our delete): a tombstone from `version`.
     * @param {string} id @param {number | null} version @returns {string} */
    deleted(id: string, version: number | null): string;
    /** A `message:reaction` (or the answer to our react/unreact): the whole reaction state
     *  at `version`. @param {string} id @param {number | null} version @param {any} reactions
     *  @returns {string} */
    reaction(id: string, version: number | null, reactions: any): string;
    /**
     * @param {string} id @param {number | null} version
     * @param {Record<string, any> | null} text @param {Record<string, any>} reactions
     * @returns {string}
     */
    _update(id: string, version: number | null, text: Record<string, any> | null, reactions: Record<string, any>): string;
    _trim(): void;
}
/** Every chat's messages (see the header). `limit`: messages kept per chat (Infinity: all;
 *  0: none, and every copy is `untracked`). */
export class MessageStore {
    /** @param {number} [limit] */
    constructor(limit?: number);
    limit: number;
    /** @type {Map<string, ChatMessages>} */
    chats: Map<string, ChatMessages>;
    /** @param {string} chatId @returns {ChatMessages} */
    chat(chatId: string): ChatMessages;
    /** @param {string} chatId @returns {Message[]} */
    messages(chatId: string): Message[];
    /** @param {string} chatId @param {string} messageId @returns {Message | null} */
    get(chatId: string, messageId: string): Message | null;
    /** @param {string} chatId */
    forget(chatId: string): void;
    /** Merge a whole message; anything without a string `chatId` and `id` comes back as
     *  is, `untracked`. @param {any} message @returns {{message: any, change: string}} */
    put(message: any): {
        message: any;
        change: string;
    };
    /** A `message:deleted` payload ({chatId, messageId, version, ...}). @param {any} data @returns {string} */
    deleted(data: any): string;
    /** A `message:reaction` payload ({chatId, messageId, reactions, version, ...}). @param {any} data @returns {string} */
    reaction(data: any): string;
}
export type Message = import("./protocol.js").Message;
export type Held = {
    /**
     * the merged copy (only the updated parts while not complete)
     */
    message: Record<string, any>;
    /**
     * a whole message was received, not only updates of it
     */
    complete: boolean;
    /**
     * the version its text is known at (0: unknown)
     */
    textVersion: number;
    reactionsVersion: number;
};
