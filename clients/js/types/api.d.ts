/**
 * @typedef {import("./protocol.js").Message} Message
 * @typedef {import("./protocol.js").Hello} Hello
 * @typedef {import("./protocol.js").Deleted} Deleted
 * @typedef {import("./protocol.js").ReactionChange} ReactionChange
 * @typedef {import("./protocol.js").ReadPosition} ReadPosition
 * @typedef {import("./protocol.js").Typing} Typing
 * @typedef {import("./protocol.js").TypingList} TypingList
 * @typedef {import("./protocol.js").ChatPresence} ChatPresence
 * @typedef {import("./protocol.js").UserStatus} UserStatus
 * @typedef {import("./protocol.js").Chat} Chat
 * @typedef {import("./protocol.js").HeartbeatAck} HeartbeatAck
 * @typedef {import("./core.js").ClientOptions} ClientOptions
 * @typedef {import("./core.js").State} State
 * @typedef {import("./core.js").StateChange} StateChange
 * @typedef {import("./core.js").Renewed} Renewed
 * @typedef {import("./errors.js").SwitchboardError} SwitchboardError
 * @typedef {{reconnected: boolean, delivered: number, chats: number}} Synced
 */
/**
 * The events and what they carry: the server's (`message:new` is delivered as `message`,
 * once per id) and the client's own (`typing:update`, `connected`, `synced`, `sync:more`,
 * `state`, `heartbeat`, `client:renewed`). `error` is a server error not tied to a request
 * of yours. `client:renewed`: the connection was replaced before API Gateway's cut (no
 * drop: no `state` change, no `connected`, no sync).
 * `message` comes when the first copy of a message arrives, which may be after a newer
 * one (sharded delivery): messages() already holds it, in its place. It and
 * `message:edited` carry the message as messages() holds it. `message:edited`,
 * `message:deleted` and `message:reaction` come only when they changed it: a duplicate,
 * or a copy overtaken by a newer version, is not raised.
 * `sync:more`: more missed messages than sync gave (only without `restUrl`): fetch them
 * with GET /chats/{chatId}/messages?after=
 * @typedef {{
 *   "message": Message,
 *   "message:edited": Message,
 *   "message:deleted": Deleted,
 *   "message:reaction": ReactionChange,
 *   "message:read": ReadPosition,
 *   "chat:created": Chat,
 *   "chat:member-added": {chatId: string, userId: string, role: string, addedBy: string},
 *   "chat:member-removed": {chatId: string, userId: string, removedBy: string},
 *   "user:status": UserStatus,
 *   "typing": Typing,
 *   "typing:update": {chatId: string, userIds: string[]},
 *   "connected": Hello,
 *   "synced": Synced,
 *   "sync:more": {chatId: string, after: string},
 *   "state": StateChange,
 *   "heartbeat": HeartbeatAck,
 *   "client:renewed": Renewed,
 *   "error": SwitchboardError,
 * }} EventMap
 */
/** A fresh id of the protocol's alphabet (works outside secure contexts too). */
export function newId(prefix?: string): string;
export class SwitchboardClient extends ClientCore {
    /**
     * Listen to an event (see EventMap). Returns a function that removes the listener.
     * @template {keyof EventMap} K
     * @param {K} event
     * @param {(data: EventMap[K]) => void} handler
     * @returns {() => void}
     */
    on<K extends keyof EventMap>(event: K, handler: (data: EventMap[K]) => void): () => void;
    /**
     * @template {keyof EventMap} K
     * @param {K} event
     * @param {(data: EventMap[K]) => void} handler
     */
    off<K extends keyof EventMap>(event: K, handler: (data: EventMap[K]) => void): void;
    /**
     * Tell the client about messages the app already holds (e.g. history from the REST
     * API): they are never delivered again, and the newest one per chat is where the next
     * sync starts. They join messages() (merged by version with what is held).
     * @param {Message | Message[] | null | undefined} messages
     */
    track(messages: Message | Message[] | null | undefined): void;
    /**
     * A chat's messages, in id order (creation order) whatever order they arrived in, each
     * id once, each at the newest version received of it: live, from sync and REST pages
     * after a drop, the answers to this client's own requests, and track(). The newest
     * `messageLimit` (1000) per chat are kept. A new array each call; treat its messages as
     * read-only (a change makes a new object, it never alters one handed out).
     * @param {string} chatId
     * @returns {Message[]}
     */
    messages(chatId: string): Message[];
    /** One message as messages() holds it, or null. @param {string} chatId @param {string} messageId
     *  @returns {Message | null} */
    getMessage(chatId: string, messageId: string): Message | null;
    /** The newest message id the client holds of a chat. @param {string} chatId @returns {string | null} */
    lastMessageId(chatId: string): string | null;
    /**
     * Send any action; resolves with the reply's data (ack or connection:success).
     * @param {string} action
     * @param {Record<string, any>} [data]
     * @param {{retry?: "always" | "queue" | "never"}} [options]
     * @returns {Promise<any>}
     */
    request(action: string, data?: Record<string, any>, options?: {
        retry?: "always" | "queue" | "never";
    }): Promise<any>;
    /**
     * Send a message. Resolves with the stored message. The clientMessageId (generated
     * when not given) makes retries safe: a resend after a drop stores nothing twice.
     * @param {string} chatId
     * @param {string} body
     * @param {{clientMessageId?: string}} [options]
     * @returns {Promise<Message>}
     */
    send(chatId: string, body: string, options?: {
        clientMessageId?: string;
    }): Promise<Message>;
    /** The answer (the edited message) also goes into messages().
     * @param {string} chatId @param {string} messageId @param {string} body @returns {Promise<Message>} */
    edit(chatId: string, messageId: string, body: string): Promise<Message>;
    /** The answer also goes into messages() (a tombstone).
     * @param {string} chatId @param {string} messageId @returns {Promise<Deleted>} */
    deleteMessage(chatId: string, messageId: string): Promise<Deleted>;
    /** The answer also goes into messages().
     * @param {string} chatId @param {string} messageId @param {string} emoji @returns {Promise<ReactionChange>} */
    react(chatId: string, messageId: string, emoji: string): Promise<ReactionChange>;
    /** The answer also goes into messages().
     * @param {string} chatId @param {string} messageId @param {string} emoji @returns {Promise<ReactionChange>} */
    unreact(chatId: string, messageId: string, emoji: string): Promise<ReactionChange>;
    /** Read up to a message. @param {string} chatId @param {string} messageId @returns {Promise<ReadPosition>} */
    markRead(chatId: string, messageId: string): Promise<ReadPosition>;
    /** @param {string} chatId @returns {Promise<ReadPosition>} */
    readAll(chatId: string): Promise<ReadPosition>;
    /** @param {"online" | "away" | "busy"} status @param {string} [text] @returns {Promise<UserStatus>} */
    setPresence(status: "online" | "away" | "busy", text?: string): Promise<UserStatus>;
    /**
     * Who is online in a chat. A small chat (`announced`: its members also hear each
     * `user:status`) answers all its online members; a large one (no `user:status` or
     * `typing` from it) up to 100 and the `cursor` to ask the next page with, null at the
     * end. onlineMembers() follows the cursor.
     * @param {string} chatId
     * @param {string | null} [cursor] the `cursor` of the previous answer
     * @returns {Promise<ChatPresence>}
     */
    chatPresence(chatId: string, cursor?: string | null): Promise<ChatPresence>;
    /**
     * Every online member of a chat: chatPresence() page after page until its `cursor` is
     * null, as one answer: the `users` of every page, each user once (a large chat's pages
     * may repeat one: the later page's status is kept), the last page's `onlineCount`,
     * `cursor` null. A `degraded` page ends the walk and is kept in the answer: its `users`
     * are then only those of the pages before.
     * @param {string} chatId
     * @returns {Promise<ChatPresence>}
     */
    onlineMembers(chatId: string): Promise<ChatPresence>;
    /** @param {string} chatId @returns {Promise<Typing>} */
    typingStart(chatId: string): Promise<Typing>;
    /** @param {string} chatId @returns {Promise<Typing>} */
    typingStop(chatId: string): Promise<Typing>;
    /** Who is typing in a chat now (also fed to typingUsers() and `typing:update`).
     * @param {string} chatId @returns {Promise<TypingList>} */
    typingList(chatId: string): Promise<TypingList>;
    /**
     * Call on every keystroke in a chat's composer: typing:start now and every 2 s while
     * it goes on, typing:stop after 3 s without a keystroke (or on send / stopTyping()).
     * @param {string} chatId
     */
    typing(chatId: string): void;
    /** @param {string} chatId */
    stopTyping(chatId: string): void;
    /** Who is typing in a chat now (other users). @param {string} chatId @returns {string[]} */
    typingUsers(chatId: string): string[];
}
export type Message = import("./protocol.js").Message;
export type Hello = import("./protocol.js").Hello;
export type Deleted = import("./protocol.js").Deleted;
export type ReactionChange = import("./protocol.js").ReactionChange;
export type ReadPosition = import("./protocol.js").ReadPosition;
export type Typing = import("./protocol.js").Typing;
export type TypingList = import("./protocol.js").TypingList;
export type ChatPresence = import("./protocol.js").ChatPresence;
export type UserStatus = import("./protocol.js").UserStatus;
export type Chat = import("./protocol.js").Chat;
export type HeartbeatAck = import("./protocol.js").HeartbeatAck;
export type ClientOptions = import("./core.js").ClientOptions;
export type State = import("./core.js").State;
export type StateChange = import("./core.js").StateChange;
export type Renewed = import("./core.js").Renewed;
export type SwitchboardError = import("./errors.js").SwitchboardError;
export type Synced = {
    reconnected: boolean;
    delivered: number;
    chats: number;
};
/**
 * The events and what they carry: the server's (`message:new` is delivered as `message`,
 * once per id) and the client's own (`typing:update`, `connected`, `synced`, `sync:more`,
 * `state`, `heartbeat`, `client:renewed`). `error` is a server error not tied to a request
 * of yours. `client:renewed`: the connection was replaced before API Gateway's cut (no
 * drop: no `state` change, no `connected`, no sync).
 * `message` comes when the first copy of a message arrives, which may be after a newer
 * one (sharded delivery): messages() already holds it, in its place. It and
 * `message:edited` carry the message as messages() holds it. `message:edited`,
 * `message:deleted` and `message:reaction` come only when they changed it: a duplicate,
 * or a copy overtaken by a newer version, is not raised.
 * `sync:more`: more missed messages than sync gave (only without `restUrl`): fetch them
 * with GET /chats/{chatId}/messages?after=
 */
export type EventMap = {
    "message": Message;
    "message:edited": Message;
    "message:deleted": Deleted;
    "message:reaction": ReactionChange;
    "message:read": ReadPosition;
    "chat:created": Chat;
    "chat:member-added": {
        chatId: string;
        userId: string;
        role: string;
        addedBy: string;
    };
    "chat:member-removed": {
        chatId: string;
        userId: string;
        removedBy: string;
    };
    "user:status": UserStatus;
    "typing": Typing;
    "typing:update": {
        chatId: string;
        userIds: string[];
    };
    "connected": Hello;
    "synced": Synced;
    "sync:more": {
        chatId: string;
        after: string;
    };
    "state": StateChange;
    "heartbeat": HeartbeatAck;
    "client:renewed": Renewed;
    "error": SwitchboardError;
};
import { ClientCore } from "./core.js";
