export const TYPING_RENEW_MS: 2000;
export const TYPING_IDLE_MS: 3000;
/** Other users' typing, per chat. Calls `changed(chatId, userIds)` on every change. */
export class TypingIn {
    /** @param {(chatId: string, userIds: string[]) => void} changed */
    constructor(changed: (chatId: string, userIds: string[]) => void);
    _changed: (chatId: string, userIds: string[]) => void;
    /** @type {Map<string, Map<string, any>>} chatId -> userId -> expiry timer */
    _users: Map<string, Map<string, any>>;
    /** Who is typing in a chat now. @param {string} chatId @returns {string[]} */
    users(chatId: string): string[];
    /** A `typing` event. @param {{chatId: string, userId: string, isTyping: boolean, expiresAt?: string | null}} data */
    update(data: {
        chatId: string;
        userId: string;
        isTyping: boolean;
        expiresAt?: string | null;
    }): void;
    /** `userId` stopped typing in `chatId` (e.g. their message arrived). */
    stop(chatId: any, userId: any): void;
    /** Forget a chat's indicators (we left it, or the connection dropped). @param {string} chatId */
    clear(chatId: string): void;
    clearAll(): void;
}
/** Our own typing, per chat: `start(chatId)` and `stop(chatId)` send the actions. */
export class TypingOut {
    /**
     * @param {(chatId: string) => void} start
     * @param {(chatId: string) => void} stop
     */
    constructor(start: (chatId: string) => void, stop: (chatId: string) => void);
    _start: (chatId: string) => void;
    _stop: (chatId: string) => void;
    /** @type {Map<string, {startedAt: number, idle: any}>} */
    _chats: Map<string, {
        startedAt: number;
        idle: any;
    }>;
    /** A keystroke in a chat's composer. @param {string} chatId */
    keystroke(chatId: string): void;
    /** We stopped typing in a chat (idle, sent, or said so): `stop` if we had started.
     * @param {string} chatId */
    done(chatId: string): void;
    /** Forget every chat without sending anything (the connection is gone). */
    reset(): void;
}
