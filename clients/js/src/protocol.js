// The wire contract as the client sees it: action, event and error names, and the limits
// it needs. A copy of what docs/protocol.md documents; the server declares the same names
// in shared/protocol.py (tests/clients/test_js_names.py checks that they agree). Every
// other module takes its names from here: this is the one place they are spelled.

/** Client -> server actions. */
export const Action = Object.freeze({
  HELLO: "hello",
  PING: "ping", // the keep-alive frame: no requestId, no data, never answered
  SYNC: "sync",
  MESSAGE_SEND: "message:send",
  MESSAGE_EDIT: "message:edit",
  MESSAGE_DELETE: "message:delete",
  MESSAGE_REACT: "message:react",
  MESSAGE_UNREACT: "message:unreact",
  MESSAGE_READ: "message:read",
  CHAT_READ_ALL: "chat:read-all",
  CHAT_PRESENCE: "chat:presence",
  PRESENCE_HEARTBEAT: "presence:heartbeat",
  PRESENCE_SET: "presence:set",
  TYPING_START: "typing:start",
  TYPING_STOP: "typing:stop",
  TYPING_LIST: "typing:list",
  CALL_INVITE: "call:invite",
  CALL_ACCEPT: "call:accept",
  CALL_DECLINE: "call:decline",
  CALL_CANCEL: "call:cancel",
  CALL_JOIN: "call:join",
  CALL_LEAVE: "call:leave",
  CALL_REJOIN: "call:rejoin",
  CALL_SIGNAL: "call:signal",
  CALL_SCREEN: "call:screen",
});

/** Server -> client events. */
export const Event = Object.freeze({
  ACK: "ack",
  ERROR: "error",
  CONNECTION_SUCCESS: "connection:success",
  MESSAGE_NEW: "message:new",
  MESSAGE_EDITED: "message:edited",
  MESSAGE_DELETED: "message:deleted",
  MESSAGE_REACTION: "message:reaction",
  MESSAGE_READ: "message:read",
  CHAT_CREATED: "chat:created",
  CHAT_MEMBER_ADDED: "chat:member-added",
  CHAT_MEMBER_REMOVED: "chat:member-removed",
  USER_STATUS: "user:status",
  TYPING: "typing",
  CALL_RINGING: "call:ringing",
  CALL_ANSWERED_ELSEWHERE: "call:answered-elsewhere",
  CALL_JOINED: "call:joined",
  CALL_DECLINED: "call:declined",
  CALL_CANCELLED: "call:cancelled",
  CALL_MISSED: "call:missed",
  CALL_LEFT: "call:left",
  CALL_ENDED: "call:ended",
  CALL_SIGNAL: "call:signal",
  CALL_SCREEN: "call:screen",
});

/** The `code` of an `error` frame. */
export const ErrorCode = Object.freeze({
  BAD_REQUEST: "bad_request",
  UNKNOWN_ACTION: "unknown_action",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  CONFLICT: "conflict",
  RATE_LIMITED: "rate_limited",
  INTERNAL_ERROR: "internal_error",
});

/** Codes of the client's own failures (never sent by the server). */
export const LocalErrorCode = Object.freeze({
  DISCONNECTED: "disconnected", // not connected, or the connection dropped before the answer
  CLOSED: "closed", // close() was called
  TIMEOUT: "timeout", // no answer within requestTimeoutMs
  UPLOAD_FAILED: "upload_failed", // S3 refused an attachment's file (or could not be reached)
});

/**
 * Events the client itself emits, on the same bus as the server's (which keep their
 * names, except `message:new`, delivered as `message` once per id).
 */
export const ClientEvent = Object.freeze({
  MESSAGE: "message", // a new message (live or missed), each id once
  CONNECTED: "connected", // every successful greeting
  SYNCED: "synced", // the catch-up after a connection is delivered
  SYNC_MORE: "sync:more", // more missed messages than sync gave, and no restUrl
  STATE: "state", // connection state changes
  TYPING_UPDATE: "typing:update", // who is typing now in a chat
  HEARTBEAT: "heartbeat", // a timer heartbeat was acked (a server without keepAlive)
  RENEWED: "client:renewed", // the connection was replaced before its cut: nothing missed, no sync
  CALL_REJOINED: "client:call-rejoined", // a call this client is a peer of, moved to its new connection
  CALL_LOST: "client:call-lost", // ... or refused (the grace period passed, the call ended)
});

// Limits the client needs (docs/protocol.md).
export const MAX_SYNC_CHATS = 100; // chats per `sync` request
export const DEFAULT_HEARTBEAT_SECONDS = 65; // when `hello` announces neither keepAlive nor heartbeatSeconds

// Payload shapes: what the typed actions resolve with and events carry.
/**
 * @typedef {{count: number, users: string[]}} Reaction
 * @typedef {{
 *   id: string, chatId: string, senderId: string, body: string | null, createdAt: string,
 *   clientMessageId?: string | null, version?: number, editedAt?: string | null,
 *   deleted?: boolean, reactions?: Record<string, Reaction>, attachments?: Attachment[],
 *   call?: CallRecord | null
 * }} Message `body` is "" for a message of attachments alone, and for a call's message
 * @typedef {{id: string, name: string, size: number, contentType: string, url: string,
 *            urlExpiresAt: string}} Attachment a file a message carries: `url` is a presigned
 *   S3 GET, no token needed, until `urlExpiresAt` (client.attachment() gives a fresh one)
 * @typedef {{attachmentId: string, name: string, size: number, contentType: string,
 *            expiresAt: string, upload: {url: string, fields: Record<string, string>}}} UploadGrant
 *   the answer of POST /chats/{chatId}/attachments: `attachmentId` is what message:send names
 * @typedef {"audio" | "video"} CallMedia
 * @typedef {{
 *   callId: string, media: CallMedia,
 *   status: "ringing" | "active" | "ended" | "missed" | "declined" | "cancelled" | "busy",
 *   startedAt: string | null, endedAt: string | null, durationSeconds: number | null
 * }} CallRecord the `call` of a call's message in history (null on every other message)
 * @typedef {{peerId: string, userId: string, screen: boolean}} CallPeer
 * @typedef {{
 *   callId: string, chatId: string, media: CallMedia, inviter: string,
 *   status: "ringing" | "active" | "ended", createdAt: string, answeredAt: string | null,
 *   ringing: string[], peers: CallPeer[]
 * }} Call
 * @typedef {{urls: string | string[], username?: string, credential?: string}} IceServer
 *   an RTCIceServer: `new RTCPeerConnection({iceServers})`
 * @typedef {{call: Call, peerId: string, iceServers: IceServer[]}} CallJoined the ack of
 *   call:accept, call:join and call:rejoin: `peerId` is this device's peer (what the others
 *   address signals to); `call.peers` lists the peers to send offers to
 * @typedef {{call: Call, busy: string[], peerId?: string, iceServers?: IceServer[]}} CallInvited
 *   the ack of call:invite: CallJoined plus `busy` (the invitees not rung); when everybody
 *   was busy, `call.status` is "ended" and there is no `peerId` (nothing rings)
 * @typedef {{callId: string, chatId: string, from: string, media: CallMedia, ringSeconds: number,
 *            ringUntil: string}} CallRinging
 * @typedef {{callId: string, userId: string}} CallUser `call:answered-elsewhere`,
 *   `call:declined` (and call:decline's ack)
 * @typedef {{callId: string, peer: CallPeer}} CallPeerJoined `call:joined`
 * @typedef {{callId: string, chatId: string}} CallCancelled `call:cancelled` (and call:cancel's ack)
 * @typedef {{callId: string, chatId: string, userIds: string[]}} CallMissed
 * @typedef {{callId: string, peerId: string, userId: string, reason: "left" | "dropped"}} CallLeft
 * @typedef {CallLeft & {ended: boolean}} CallLeave call:leave's ack
 * @typedef {{callId: string, chatId: string, reason: "ended" | "declined" | "missed",
 *            durationSeconds: number | null}} CallEnded
 * @typedef {"offer" | "answer" | "candidate"} SignalKind
 * @typedef {{callId: string, from: string, fromUserId: string, kind: SignalKind,
 *            payload: Record<string, any>}} CallSignal `call:signal`: `from` is the sender's peerId
 * @typedef {{callId: string, to: string, delivered: boolean}} SignalSent call:signal's ack
 * @typedef {{callId: string, peerId: string, userId: string, sharing: boolean}} ScreenShare
 *   `call:screen` (and its ack)
 * @typedef {{action: string, intervalSeconds: number}} KeepAlive `hello`'s keep-alive: send
 *   `{"action": action}` (no requestId, no data) every `intervalSeconds` while connected;
 *   API Gateway answers it itself (no function runs) and nothing comes back
 * @typedef {{afterSeconds: number, maxSeconds: number}} Renew `hello`'s renewal: API Gateway
 *   cuts the connection `maxSeconds` after it opened; open the next one `afterSeconds` after
 *   it opened, then close this one (absent from older servers: reconnect after the cut)
 * @typedef {{connectionId: string, userId: string, chats: string[], keepAlive?: KeepAlive,
 *            renew?: Renew, heartbeatSeconds?: number, serverTime?: string}} Hello
 * @typedef {{chatId: string, messageId: string, deletedBy: string, deletedAt: string, version: number}} Deleted
 * @typedef {{chatId: string, messageId: string, emoji: string, userId: string, added: boolean,
 *            reactions: Record<string, Reaction>, version: number}} ReactionChange
 * @typedef {{chatId: string, userId: string, messageId: string | null, readAt: string | null}} ReadPosition
 * @typedef {{chatId: string, userId: string, isTyping: boolean, expiresAt: string | null}} Typing
 * @typedef {{chatId: string, typing: {userId: string, expiresAt: string}[]}} TypingList
 * @typedef {{
 *   chatId: string, announced: boolean, onlineCount: number | null,
 *   users: {userId: string, status: "online" | "away" | "busy"}[], cursor: string | null,
 *   degraded?: true
 * }} ChatPresence
 * @typedef {{userId: string, status: "online" | "away" | "busy" | "offline", text: string | null,
 *            lastSeen: string | null}} UserStatus
 * @typedef {{id: string, name: string | null, createdBy: string, createdAt: string, members: string[]}} Chat
 * @typedef {{ttlSeconds: number, heartbeatSeconds: number, presence: string}} HeartbeatAck
 * @typedef {{chats: Record<string, {messages: Message[], hasMore: boolean}>, unknown: string[]}} SyncResult
 */
