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
 * @typedef {import("./protocol.js").Attachment} Attachment
 * @typedef {import("./protocol.js").UploadGrant} UploadGrant
 * @typedef {import("./protocol.js").CallMedia} CallMedia
 * @typedef {import("./protocol.js").CallJoined} CallJoined
 * @typedef {import("./protocol.js").CallInvited} CallInvited
 * @typedef {import("./protocol.js").CallRinging} CallRinging
 * @typedef {import("./protocol.js").CallUser} CallUser
 * @typedef {import("./protocol.js").CallPeerJoined} CallPeerJoined
 * @typedef {import("./protocol.js").CallCancelled} CallCancelled
 * @typedef {import("./protocol.js").CallMissed} CallMissed
 * @typedef {import("./protocol.js").CallLeft} CallLeft
 * @typedef {import("./protocol.js").CallLeave} CallLeave
 * @typedef {import("./protocol.js").CallEnded} CallEnded
 * @typedef {import("./protocol.js").CallSignal} CallSignal
 * @typedef {import("./protocol.js").SignalKind} SignalKind
 * @typedef {import("./protocol.js").SignalSent} SignalSent
 * @typedef {import("./protocol.js").ScreenShare} ScreenShare
 * @typedef {import("./attachments.js").FileData} FileData
 * @typedef {import("./calls.js").HeldCall} HeldCall
 * @typedef {{callId: string, peerId: string, error: SwitchboardError}} CallRejoinFailed
 * @typedef {import("./core.js").ClientOptions} ClientOptions
 * @typedef {import("./core.js").State} State
 * @typedef {import("./core.js").StateChange} StateChange
 * @typedef {import("./core.js").Renewed} Renewed
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
 * `client:call-rejoined` (the rejoin's ack) and `client:call-lost` are the client's own: a call
 * this client is a peer of was moved to its new connection after a renewal or a
 * reconnect, or could not be (the grace period passed, or the call ended): it is
 * forgotten, and the other peers hear `call:left` (reason dropped).
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
 *   "call:ringing": CallRinging,
 *   "call:answered-elsewhere": CallUser,
 *   "call:joined": CallPeerJoined,
 *   "call:declined": CallUser,
 *   "call:cancelled": CallCancelled,
 *   "call:missed": CallMissed,
 *   "call:left": CallLeft,
 *   "call:ended": CallEnded,
 *   "call:signal": CallSignal,
 *   "call:screen": ScreenShare,
 *   "client:call-rejoined": CallJoined,
 *   "client:call-lost": CallRejoinFailed,
 *   "error": SwitchboardError,
 * }} EventMap
 */
/** A fresh id of the protocol's alphabet (works outside secure contexts too). */
export function newId(prefix?: string): string;
export class SwitchboardClient extends ClientCore {
    _calls: ActiveCalls;
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
     * `attachments`: ids of files uploaded to this chat (uploadAttachment()'s
     * `attachmentId`); with at least one, the body may be null or "" (none is sent).
     * @param {string} chatId
     * @param {string | null | undefined} body
     * @param {{clientMessageId?: string, attachments?: string[]}} [options]
     * @returns {Promise<Message>}
     */
    send(chatId: string, body: string | null | undefined, options?: {
        clientMessageId?: string;
        attachments?: string[];
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
     * Upload a file to a chat: the REST API grants the upload (with the token, a fresh one
     * when `token` is a function), then the file goes straight to S3. Resolves with the
     * grant: send its `attachmentId` with send(chatId, body, {attachments: [...]}) before
     * its `expiresAt`. Rejects with a SwitchboardError of the API's code (bad_request for a
     * type that is not allowed or an empty file, not_found outside the chat; 413's too
     * large is bad_request, `data.status` 413), or an UploadError (code upload_failed,
     * `status` S3's HTTP status) when S3 refuses the file. Needs `restUrl`.
     * @param {string} chatId
     * @param {FileData} file a File, Blob, ArrayBuffer or typed array (Uint8Array, Buffer)
     * @param {{name?: string, contentType?: string, signal?: AbortSignal}} [options]
     *   `name` and `contentType` default to a File's name and type
     * @returns {Promise<UploadGrant>}
     */
    uploadAttachment(chatId: string, file: FileData, options?: {
        name?: string;
        contentType?: string;
        signal?: AbortSignal;
    }): Promise<UploadGrant>;
    /**
     * An attached file with a fresh download URL (the `url` a message carries expires at
     * its `urlExpiresAt`). not_found outside the chat, or for a file no message carries.
     * @param {string} chatId @param {string} attachmentId @param {{signal?: AbortSignal}} [options]
     * @returns {Promise<Attachment>}
     */
    attachment(chatId: string, attachmentId: string, options?: {
        signal?: AbortSignal;
    }): Promise<Attachment>;
    _restUrl(): string;
    /** The token for a REST call: a fresh one when `token` is a function. */
    _restToken(): Promise<string>;
    /**
     * Ring a chat's other members (or `userIds`, at most 3). The ack's `busy` are those not
     * rung (in another call); when everybody is, the call is over at once (`call.status`
     * "ended", no `peerId`). Otherwise this device is the call's first peer.
     * @param {string} chatId
     * @param {{media: CallMedia, userIds?: string[]}} options
     * @returns {Promise<CallInvited>}
     */
    inviteCall(chatId: string, { media, userIds }?: {
        media: CallMedia;
        userIds?: string[];
    }): Promise<CallInvited>;
    /** Answer a call ringing for you, on this device: it becomes a peer; send an offer to
     *  each of the ack's `call.peers`. @param {string} callId @returns {Promise<CallJoined>} */
    acceptCall(callId: string): Promise<CallJoined>;
    /** Decline a call ringing for you (on all your devices). @param {string} callId
     *  @returns {Promise<CallUser>} */
    declineCall(callId: string): Promise<CallUser>;
    /** The caller hangs up before anyone answered (from the device that invited).
     *  not_found after a drop may mean the first cancel went through.
     *  @param {string} callId @returns {Promise<CallCancelled>} */
    cancelCall(callId: string): Promise<CallCancelled>;
    /** Join an answered call of one of your chats (accepts it if it rings for you).
     *  @param {string} callId @returns {Promise<CallJoined>} */
    joinCall(callId: string): Promise<CallJoined>;
    /** Hang up this device's peer (`ended`: the call ended with it). not_found after a drop
     *  may mean the first leave went through. @param {string} callId @returns {Promise<CallLeave>} */
    leaveCall(callId: string): Promise<CallLeave>;
    /** Move your peer of a call to this connection (the client does it by itself for the
     *  calls it holds; this is for a peer it does not know, e.g. from a previous page).
     *  @param {string} callId @param {string} peerId @returns {Promise<CallJoined>} */
    rejoinCall(callId: string, peerId: string): Promise<CallJoined>;
    /**
     * Relay an offer, answer or ICE candidate to one peer of the call (`to`: its peerId).
     * `payload`: `{sdp}` of an RTCSessionDescription, or an RTCIceCandidate's toJSON(); at
     * most 32 KB. The ack's `delivered` says whether the peer's connection took it.
     * @param {string} callId @param {string} to @param {SignalKind} kind @param {Record<string, any>} payload
     * @returns {Promise<SignalSent>}
     */
    signal(callId: string, to: string, kind: SignalKind, payload: Record<string, any>): Promise<SignalSent>;
    /** Announce that you start or stop sharing your screen (renegotiate the track itself
     *  with signal()). @param {string} callId @param {boolean} sharing @returns {Promise<ScreenShare>} */
    shareScreen(callId: string, sharing: boolean): Promise<ScreenShare>;
    /** The calls this client is a peer of (and rejoins on a new connection).
     * @returns {HeldCall[]} */
    activeCalls(): HeldCall[];
    /**
     * An action of this connection's peer: it waits for the call's rejoin under way (on a
     * new connection the peer is not there before); resent once the call is rejoined on the
     * next connection when the connection dropped under it (RESENT_AFTER_REJOIN); an
     * answer with a code of `forgetOn` means this client is no peer of the call.
     * @param {string} action @param {{callId: string} & Record<string, any>} data
     * @param {string[]} [forgetOn]
     */
    _peerAction(action: string, data: {
        callId: string;
    } & Record<string, any>, forgetOn?: string[]): Promise<any>;
    /** Rejoin calls held (all of them, or `callIds`) on the current connection, each after
     *  the requests for it still in flight on the one before, and any rejoin before it.
     *  @param {string[]} [callIds] @returns {Promise<void>[]} the rejoins (never rejecting) */
    _rejoinCalls(callIds?: string[]): Promise<void>[];
    /** A request that makes this device a peer (invite, accept, join): the call is held; if
     *  the connection was replaced while it was answered, the peer is on the old one: it is
     *  rejoined on the new one. @param {string} action @param {Record<string, any>} data */
    _becomePeer(action: string, data: Record<string, any>): Promise<any>;
    /** @param {string} callId @param {any} ws the connection it was due on */
    _rejoinOn(callId: string, ws: any): Promise<void>;
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
export type Attachment = import("./protocol.js").Attachment;
export type UploadGrant = import("./protocol.js").UploadGrant;
export type CallMedia = import("./protocol.js").CallMedia;
export type CallJoined = import("./protocol.js").CallJoined;
export type CallInvited = import("./protocol.js").CallInvited;
export type CallRinging = import("./protocol.js").CallRinging;
export type CallUser = import("./protocol.js").CallUser;
export type CallPeerJoined = import("./protocol.js").CallPeerJoined;
export type CallCancelled = import("./protocol.js").CallCancelled;
export type CallMissed = import("./protocol.js").CallMissed;
export type CallLeft = import("./protocol.js").CallLeft;
export type CallLeave = import("./protocol.js").CallLeave;
export type CallEnded = import("./protocol.js").CallEnded;
export type CallSignal = import("./protocol.js").CallSignal;
export type SignalKind = import("./protocol.js").SignalKind;
export type SignalSent = import("./protocol.js").SignalSent;
export type ScreenShare = import("./protocol.js").ScreenShare;
export type FileData = import("./attachments.js").FileData;
export type HeldCall = import("./calls.js").HeldCall;
export type CallRejoinFailed = {
    callId: string;
    peerId: string;
    error: SwitchboardError;
};
export type ClientOptions = import("./core.js").ClientOptions;
export type State = import("./core.js").State;
export type StateChange = import("./core.js").StateChange;
export type Renewed = import("./core.js").Renewed;
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
 * `client:call-rejoined` (the rejoin's ack) and `client:call-lost` are the client's own: a call
 * this client is a peer of was moved to its new connection after a renewal or a
 * reconnect, or could not be (the grace period passed, or the call ended): it is
 * forgotten, and the other peers hear `call:left` (reason dropped).
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
    "call:ringing": CallRinging;
    "call:answered-elsewhere": CallUser;
    "call:joined": CallPeerJoined;
    "call:declined": CallUser;
    "call:cancelled": CallCancelled;
    "call:missed": CallMissed;
    "call:left": CallLeft;
    "call:ended": CallEnded;
    "call:signal": CallSignal;
    "call:screen": ScreenShare;
    "client:call-rejoined": CallJoined;
    "client:call-lost": CallRejoinFailed;
    "error": SwitchboardError;
};
import { ClientCore } from "./core.js";
import { ActiveCalls } from "./calls.js";
import { SwitchboardError } from "./errors.js";
