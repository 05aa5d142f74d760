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
