// Switchboard's JavaScript client: ES modules, no dependencies, no build step. Runs in
// browsers as is, and in Node (20: pass a WebSocket implementation, e.g. `ws`'s).
//
//   import { SwitchboardClient } from "@switchboard/client";
//   const client = new SwitchboardClient({ url: "ws://127.0.0.1:3001/local", token, restUrl });
//   client.on("message", (m) => console.log(m.senderId, m.body));
//   await client.connect();
//   const stored = await client.send(chatId, "hello");
//
// What it does for you (docs/protocol.md is the contract, docs/client.md the guide):
// - reconnects after any drop with exponential backoff (doubling from `initialDelayMs` up
//   to `maxDelayMs`) and jitter (each delay drawn between half and all of that), and at
//   once when the browser comes back online;
// - resumes: after a reconnect it sends `sync` with the newest message id it had of every
//   chat when the connection dropped, delivers what was missed oldest first (following
//   `hasMore` over the REST API when `restUrl` is given), then what arrived live meanwhile,
//   and never delivers a message id twice;
// - keeps each chat's messages: `messages(chatId)` is the list in id order, each message once
//   and at its newest version, however the server delivered them (out of order, twice, an
//   update before its message); updates are raised only when they change it;
// - typed actions return a Promise of the `ack` data, or reject with a SwitchboardError
//   carrying the server's error code; sends keep their clientMessageId across retries and
//   reconnects (queued while offline, resent after reconnecting, paced on rate_limited);
// - keeps an idle connection open with the one-way `ping` that `hello` announces
//   (`keepAlive`: every `intervalSeconds`, unanswered; a server without it gets
//   heartbeats every `heartbeatSeconds`; `heartbeatIntervalMs` overrides either), and
//   probes with a heartbeat when the browser says it went offline: a heartbeat (or the
//   catch-up) left unanswered for `requestTimeoutMs` means the connection is dead, and it
//   is dropped and reopened; any other request left unanswered is resent if that is safe
//   (sends, reactions, reads), else rejected with `timeout`, and the connection is probed;
// - replaces the connection before API Gateway's 2-hour cut when `hello` announces `renew`
//   (`renewConnections`, on by default): the next connection is opened and greeted first,
//   then the old one closed, so the user is never offline and nothing needs a sync
//   (`client:renewed`); a failed attempt is tried again while the cut is ahead;
// - typing: `typing(chatId)` on every keystroke sends typing:start at most every 2 s and
//   typing:stop after 3 s idle; incoming indicators expire at `expiresAt`;
// - attachments: `uploadAttachment()` asks the REST API for a grant and posts the file
//   straight to S3; `send(chatId, body, {attachments})` names them; `attachment()` gives
//   a fresh download URL;
// - calls: a helper per call action (`inviteCall`, `acceptCall`, `signal`, ...); the calls
//   this client is a peer of are rejoined (`call:rejoin`) on every new connection, after
//   a reconnect or a renewal, so neither drops the user from a call (`client:call-rejoined`).
//
// Modules (as in the Python client, switchboard_client/): protocol (names, limits,
// payload shapes), errors, backoff, events (listeners), transport (one WebSocket),
// requests (ids, in flight, outbox, what may be resent), resume (dedupe and sync
// cursors), messages (each chat's messages in id order, merged by version), history (REST
// paging), heartbeat (the timer), typing (indicators), attachments (REST and S3), calls
// (the calls held, their rejoins), core (connection lifecycle), api (the typed actions).

export { SwitchboardClient, newId } from "./api.js";
export { SwitchboardError } from "./errors.js";
export { UploadError } from "./attachments.js";
export {
  Action,
  ClientEvent,
  DEFAULT_HEARTBEAT_SECONDS,
  ErrorCode,
  Event,
  LocalErrorCode,
  MAX_SYNC_CHATS,
} from "./protocol.js";
export { Retry } from "./requests.js";
export { reconnectDelay } from "./backoff.js";

/**
 * @typedef {import("./protocol.js").Message} Message
 * @typedef {import("./protocol.js").Reaction} Reaction
 * @typedef {import("./protocol.js").Hello} Hello
 * @typedef {import("./protocol.js").KeepAlive} KeepAlive
 * @typedef {import("./protocol.js").Renew} Renew
 * @typedef {import("./heartbeat.js").KeepAlivePlan} KeepAlivePlan
 * @typedef {import("./heartbeat.js").RenewPlan} RenewPlan
 * @typedef {import("./protocol.js").Deleted} Deleted
 * @typedef {import("./protocol.js").ReactionChange} ReactionChange
 * @typedef {import("./protocol.js").ReadPosition} ReadPosition
 * @typedef {import("./protocol.js").Typing} Typing
 * @typedef {import("./protocol.js").TypingList} TypingList
 * @typedef {import("./protocol.js").ChatPresence} ChatPresence
 * @typedef {import("./protocol.js").UserStatus} UserStatus
 * @typedef {import("./protocol.js").Chat} Chat
 * @typedef {import("./protocol.js").HeartbeatAck} HeartbeatAck
 * @typedef {import("./protocol.js").SyncResult} SyncResult
 * @typedef {import("./protocol.js").Attachment} Attachment
 * @typedef {import("./protocol.js").UploadGrant} UploadGrant
 * @typedef {import("./attachments.js").FileData} FileData
 * @typedef {import("./protocol.js").CallRecord} CallRecord
 * @typedef {import("./protocol.js").CallMedia} CallMedia
 * @typedef {import("./protocol.js").CallPeer} CallPeer
 * @typedef {import("./protocol.js").Call} Call
 * @typedef {import("./protocol.js").IceServer} IceServer
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
 * @typedef {import("./protocol.js").SignalKind} SignalKind
 * @typedef {import("./protocol.js").CallSignal} CallSignal
 * @typedef {import("./protocol.js").SignalSent} SignalSent
 * @typedef {import("./protocol.js").ScreenShare} ScreenShare
 * @typedef {import("./calls.js").HeldCall} HeldCall
 * @typedef {import("./api.js").CallRejoinFailed} CallRejoinFailed
 * @typedef {import("./core.js").ClientOptions} ClientOptions
 * @typedef {import("./core.js").State} State
 * @typedef {import("./core.js").StateChange} StateChange
 * @typedef {import("./core.js").Renewed} Renewed
 * @typedef {import("./api.js").EventMap} EventMap
 * @typedef {import("./api.js").Synced} Synced
 */
