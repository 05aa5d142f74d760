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
    CALL_INVITE: "call:invite";
    CALL_ACCEPT: "call:accept";
    CALL_DECLINE: "call:decline";
    CALL_CANCEL: "call:cancel";
    CALL_JOIN: "call:join";
    CALL_LEAVE: "call:leave";
    CALL_REJOIN: "call:rejoin";
    CALL_SIGNAL: "call:signal";
    CALL_SCREEN: "call:screen";
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
    CALL_RINGING: "call:ringing";
    CALL_ANSWERED_ELSEWHERE: "call:answered-elsewhere";
    CALL_JOINED: "call:joined";
    CALL_DECLINED: "call:declined";
    CALL_CANCELLED: "call:cancelled";
    CALL_MISSED: "call:missed";
    CALL_LEFT: "call:left";
    CALL_ENDED: "call:ended";
    CALL_SIGNAL: "call:signal";
    CALL_SCREEN: "call:screen";
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
    UPLOAD_FAILED: "upload_failed";
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
    CALL_REJOINED: "client:call-rejoined";
    CALL_LOST: "client:call-lost";
}>;
export const MAX_SYNC_CHATS: 100;
export const DEFAULT_HEARTBEAT_SECONDS: 65;
export type Reaction = {
    count: number;
    users: string[];
};
/**
 * `body` is "" for a message of attachments alone, and for a call's message
 */
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
    attachments?: Attachment[];
    call?: CallRecord | null;
};
/**
 * a file a message carries: `url` is a presigned
 *  S3 GET, no token needed, until `urlExpiresAt` (client.attachment() gives a fresh one)
 */
export type Attachment = {
    id: string;
    name: string;
    size: number;
    contentType: string;
    url: string;
    urlExpiresAt: string;
};
/**
 * the answer of POST /chats/{chatId}/attachments: `attachmentId` is what message:send names
 */
export type UploadGrant = {
    attachmentId: string;
    name: string;
    size: number;
    contentType: string;
    expiresAt: string;
    upload: {
        url: string;
        fields: Record<string, string>;
    };
};
export type CallMedia = "audio" | "video";
/**
 * the `call` of a call's message in history (null on every other message)
 */
export type CallRecord = {
    callId: string;
    media: CallMedia;
    status: "ringing" | "active" | "ended" | "missed" | "declined" | "cancelled" | "busy";
    startedAt: string | null;
    endedAt: string | null;
    durationSeconds: number | null;
};
export type CallPeer = {
    peerId: string;
    userId: string;
    screen: boolean;
};
export type Call = {
    callId: string;
    chatId: string;
    media: CallMedia;
    inviter: string;
    status: "ringing" | "active" | "ended";
    createdAt: string;
    answeredAt: string | null;
    ringing: string[];
    peers: CallPeer[];
};
/**
 * an RTCIceServer: `new RTCPeerConnection({iceServers})`
 */
export type IceServer = {
    urls: string | string[];
    username?: string;
    credential?: string;
};
/**
 * the ack of
 * call:accept, call:join and call:rejoin: `peerId` is this device's peer (what the others
 * address signals to); `call.peers` lists the peers to send offers to
 */
export type CallJoined = {
    call: Call;
    peerId: string;
    iceServers: IceServer[];
};
/**
 * the ack of call:invite: CallJoined plus `busy` (the invitees not rung); when everybody
 * was busy, `call.status` is "ended" and there is no `peerId` (nothing rings)
 */
export type CallInvited = {
    call: Call;
    busy: string[];
    peerId?: string;
    iceServers?: IceServer[];
};
export type CallRinging = {
    callId: string;
    chatId: string;
    from: string;
    media: CallMedia;
    ringSeconds: number;
    ringUntil: string;
};
/**
 * `call:answered-elsewhere`,
 * `call:declined` (and call:decline's ack)
 */
export type CallUser = {
    callId: string;
    userId: string;
};
/**
 * `call:joined`
 */
export type CallPeerJoined = {
    callId: string;
    peer: CallPeer;
};
/**
 * `call:cancelled` (and call:cancel's ack)
 */
export type CallCancelled = {
    callId: string;
    chatId: string;
};
export type CallMissed = {
    callId: string;
    chatId: string;
    userIds: string[];
};
export type CallLeft = {
    callId: string;
    peerId: string;
    userId: string;
    reason: "left" | "dropped";
};
/**
 * call:leave's ack
 */
export type CallLeave = CallLeft & {
    ended: boolean;
};
export type CallEnded = {
    callId: string;
    chatId: string;
    reason: "ended" | "declined" | "missed";
    durationSeconds: number | null;
};
export type SignalKind = "offer" | "answer" | "candidate";
/**
 * `call:signal`: `from` is the sender's peerId
 */
export type CallSignal = {
    callId: string;
    from: string;
    fromUserId: string;
    kind: SignalKind;
    payload: Record<string, any>;
};
/**
 * call:signal's ack
 */
export type SignalSent = {
    callId: string;
    to: string;
    delivered: boolean;
};
/**
 * `call:screen` (and its ack)
 */
export type ScreenShare = {
    callId: string;
    peerId: string;
    userId: string;
    sharing: boolean;
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
