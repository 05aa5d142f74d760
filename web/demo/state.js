// The page's state (one `app` object: chats, presence, reads, typing, the connection)
// and the questions asked of it. Changed by data.js, live.js and actions.js; read by the
// views. The messages are the client's: `app.client.messages(chatId)` is each chat's list
// in id order, each message at its newest version, whatever order the server delivered
// them in (live, after a reconnect, from REST history passed to track(), from our own
// requests' answers).

import { ago } from "./format.js";

export const SUGGESTED = ["alice", "bob", "carol", "dave"];
export const EMOJIS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];
export const USER_KEY = "switchboard.demo.user"; // sessionStorage: one user per tab
export const RECENT_KEY = "switchboard.demo.recent"; // localStorage: users signed in before
export const GROUP_GAP_MS = 5 * 60 * 1000;

export const app = {
  /** @type {{websocketUrl: string, restUrl: string, stage: string} | null} */
  config: null,
  /** @type {string | null} */
  me: null,
  token: "",
  /** @type {import("@switchboard/client").SwitchboardClient | null} */
  client: null,
  /** @type {Map<string, any>} chatId -> {id, name, createdBy, createdAt, members: Map, lastMessage, unread} */
  chats: new Map(),
  /** @type {string | null} */
  activeId: null,
  /** @type {Map<string, {nextCursor: string | null, loading: boolean}>} */
  history: new Map(),
  /** @type {Map<string, Map<string, any>>} chatId -> clientMessageId -> unsent message */
  outgoing: new Map(),
  /** @type {Map<string, any>} userId -> user:status */
  presence: new Map(),
  /** @type {Map<string, Map<string, string>>} chatId -> userId -> read up to messageId */
  reads: new Map(),
  /** @type {Map<string, string[]>} chatId -> userIds typing */
  typing: new Map(),
  /** @type {{chatId: string, messageId: string} | null} */
  editing: null,
  /** @type {string | null} message whose emoji picker is open */
  pickerFor: null,
  /** @type {any} */
  connection: { state: "idle" },
  /** @type {any} the call this page is in (calls.js): {callId, chatId, media, peerId, status,
   *  peers: Map peerId -> {userId, pc: RTCPeerConnection, streams, screen}, local, screen, muted} */
  call: null,
  /** @type {Map<string, any>} callId -> call:ringing, the calls ringing on this device */
  ringing: new Map(),
  /** @type {any[]} files in the composer's tray (attachments.js), each of one chat */
  pendingFiles: [],
  wasDown: false,
  bannerTimer: null,
};

// For the curious (and the browser tests): window.switchboardDemo.client.connectionId,
// window.switchboardDemo.call.peers (each peer's RTCPeerConnection as `pc`).
window.switchboardDemo = app;

export function statusOf(userId) {
  return app.presence.get(userId)?.status || "offline";
}

export function presenceText(userId) {
  const p = app.presence.get(userId);
  if (!p) return "";
  const label = { online: "online", away: "away", busy: "busy" }[p.status];
  if (label) return p.text ? `${label} · ${p.text}` : label;
  return p.lastSeen ? `last seen ${ago(p.lastSeen)}` : "offline";
}

export function others(chat) {
  return [...chat.members.keys()].filter((u) => u !== app.me).sort();
}

export function chatName(chat) {
  if (chat.name) return chat.name;
  const rest = others(chat);
  return rest.length ? rest.join(", ") : "Just you";
}

export function isDirect(chat) {
  return others(chat).length === 1;
}

/** A chat's messages as the client holds them: in id order, each at its newest version. */
export function messagesOf(chatId) {
  return app.client ? app.client.messages(chatId) : [];
}

/** A chat's newest message: the client's (live, merged by version), unless the chat list
 *  (REST) knows a newer one. */
export function lastMessageOf(chat) {
  const held = messagesOf(chat.id).at(-1);
  return held && (!chat.lastMessage || held.id >= chat.lastMessage.id) ? held : chat.lastMessage;
}

export function setRead(chatId, userId, messageId) {
  let reads = app.reads.get(chatId);
  if (!reads) app.reads.set(chatId, (reads = new Map()));
  const old = reads.get(userId);
  if (!old || messageId > old) reads.set(userId, messageId);
}

export function sortedChats() {
  // Newest activity first: the last message, else the chat's creation.
  const key = (c) => lastMessageOf(c)?.createdAt || c.createdAt || "";
  return [...app.chats.values()].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : a.id < b.id ? 1 : -1));
}
