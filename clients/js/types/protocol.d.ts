/** Client -> server actions. */
export const Action: Readonly<{
    HELLO: "hello";
    PING: "ping";
    SYNC: "sync";
    MESSAGE_SEND: "message:send";
    MESSAGE_EDIT: "message:edit";
    MESSAGE_DELETE: "message:delete";
    MESSAGE_REACT: "message:react";
    MESSAGE_UNREACT: "message:unreact";
    MESSAGE_READ: "message:read";
    CHAT_READ_ALL: "chat:read-all";
    CHAT_PRESENCE: "chat:presence";
    PRESENCE_HEARTBEAT: "presence:heartbeat";
    PRESENCE_SET: "presence:set";
    TYPING_START: "typing:start";
    TYPING_STOP: "typing:stop";
    TYPING_LIST: "typing:list";
}>;
/** Server -> client events. */
export const Event: Readonly<{
    ACK: "ack";
    ERROR: "error";
    CONNECTION_SUCCESS: "connection:success";
    MESSAGE_NEW: "message:new";
    MESSAGE_EDITED: "message:edited";
    MESSAGE_DELETED: "message:deleted";
    MESSAGE_REACTION: "message:reaction";
    MESSAGE_READ: "message:read";
    CHAT_CREATED: "chat:created";
    CHAT_MEMBER_ADDED: "chat:member-added";
    CHAT_MEMBER_REMOVED: "chat:member-removed";
    USER_STATUS: "user:status";
    TYPING: "typing";
}>;
/** The `code` of an `error` frame. */
export const ErrorCode: Readonly<{
    BAD_REQUEST: "bad_request";
    UNKNOWN_ACTION: "unknown_action";
    UNAUTHORIZED: "unauthorized";
    FORBIDDEN: "forbidden";
    NOT_FOUND: "not_found";
    CONFLICT: "conflict";
    RATE_LIMITED: "rate_limited";
    INTERNAL_ERROR: "internal_error";
}>;
/** Codes of the client's own failures (never sent by the server). */
export const LocalErrorCode: Readonly<{
    DISCONNECTED: "disconnected";
    CLOSED: "closed";
    TIMEOUT: "timeout";
}>;
/**
 * Events the client itself emits, on the same bus as the server's (which keep their
 * names, except `message:new`, delivered as `message` once per id).
 */
export const ClientEvent: Readonly<{
    MESSAGE: "message";
    CONNECTED: "connected";
    SYNCED: "synced";
    SYNC_MORE: "sync:more";
    STATE: "state";
    TYPING_UPDATE: "typing:update";
    HEARTBEAT: "heartbeat";
    RENEWED: "client:renewed";
}>;
export const MAX_SYNC_CHATS: 100;
export const DEFAULT_HEARTBEAT_SECONDS: 65;
export type Reaction = {
    count: number;
    users: string[];
};
export type Message = {
    id: string;
    chatId: string;
    senderId: string;
    body: string | null;
    createdAt: string;
    clientMessageId?: string | null;
    version?: number;
    editedAt?: string | null;
    deleted?: boolean;
    reactions?: Record<string, Reaction>;
};
/**
 * `hello`'s keep-alive: send
 * `{"action": action}` (no requestId, no data) every `intervalSeconds` while connected;
 * API Gateway answers it itself (no function runs) and nothing comes back
 */
export type KeepAlive = {
    action: string;
    intervalSeconds: number;
};
/**
 * `hello`'s renewal: API Gateway
 * cuts the connection `maxSeconds` after it opened; open the next one `afterSeconds` after
 * it opened, then close this one (absent from older servers: reconnect after the cut)
 */
export type Renew = {
    afterSeconds: number;
    maxSeconds: number;
};
export type Hello = {
    connectionId: string;
    userId: string;
    chats: string[];
    keepAlive?: KeepAlive;
    renew?: Renew;
    heartbeatSeconds?: number;
    serverTime?: string;
};
export type Deleted = {
    chatId: string;
    messageId: string;
    deletedBy: string;
    deletedAt: string;
    version: number;
};
export type ReactionChange = {
    chatId: string;
    messageId: string;
    emoji: string;
    userId: string;
    added: boolean;
    reactions: Record<string, Reaction>;
    version: number;
};
export type ReadPosition = {
    chatId: string;
    userId: string;
    messageId: string | null;
    readAt: string | null;
};
export type Typing = {
    chatId: string;
    userId: string;
    isTyping: boolean;
    expiresAt: string | null;
};
export type TypingList = {
    chatId: string;
    typing: {
        userId: string;
        expiresAt: string;
    }[];
};
export type ChatPresence = {
    chatId: string;
    announced: boolean;
    onlineCount: number | null;
    users: {
        userId: string;
        status: "online" | "away" | "busy";
    }[];
    cursor: string | null;
    degraded?: true;
};
export type UserStatus = {
    userId: string;
    status: "online" | "away" | "busy" | "offline";
    text: string | null;
    lastSeen: string | null;
};
export type Chat = {
    id: string;
    name: string | null;
    createdBy: string;
    createdAt: string;
    members: string[];
};
export type HeartbeatAck = {
    ttlSeconds: number;
    heartbeatSeconds: number;
    presence: string;
};
export type SyncResult = {
    chats: Record<string, {
        messages: Message[];
        hasMore: boolean;
    }>;
    unknown: string[];
};
