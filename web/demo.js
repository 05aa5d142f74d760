// The demo chat page: @switchboard/client (clients/js) for the WebSocket, the REST API for chats and
// history, and the emulator's development endpoints (/dev/config, /dev/token).

import { SwitchboardClient, newId } from "@switchboard/client";

const SUGGESTED = ["alice", "bob", "carol", "dave"];
const EMOJIS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];
const USER_KEY = "switchboard.demo.user"; // sessionStorage: one user per tab
const RECENT_KEY = "switchboard.demo.recent"; // localStorage: users signed in before
const GROUP_GAP_MS = 5 * 60 * 1000;

const $ = (selector) => /** @type {HTMLElement} */ (document.querySelector(selector));

/** A DOM element: h("div", {class: "x", onclick}, child, "text", ...). Text is never HTML. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function svg(path) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  el.setAttribute("viewBox", "0 0 24 24");
  el.setAttribute("aria-hidden", "true");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", path);
  el.append(p);
  return el;
}

/**
 * Bring `container`'s children in line with `items` ({key, sig, build}), rebuilding only
 * the ones whose signature changed. Rows under the pointer stay the same nodes, so a
 * click is never lost to a re-render between its mousedown and mouseup.
 */
function patch(container, items) {
  const wanted = new Set(items.map((item) => item.key));
  const make = (item) => Object.assign(item.build(), { _key: item.key, _sig: item.sig });
  let node = container.firstChild;
  for (const item of items) {
    while (node && !wanted.has(node._key)) {
      const next = node.nextSibling;
      node.remove();
      node = next;
    }
    if (node && node._key === item.key) {
      if (node._sig !== item.sig) {
        const fresh = make(item);
        container.replaceChild(fresh, node);
        node = fresh;
      }
      node = node.nextSibling;
    } else {
      container.insertBefore(make(item), node);
    }
  }
  while (node) {
    const next = node.nextSibling;
    node.remove();
    node = next;
  }
}

// ---------------------------------------------------------------------- state

const app = {
  /** @type {{websocketUrl: string, restUrl: string, stage: string} | null} */
  config: null,
  /** @type {string | null} */
  me: null,
  token: "",
  /** @type {SwitchboardClient | null} */
  client: null,
  /** @type {Map<string, any>} chatId -> {id, name, createdBy, createdAt, members: Map, lastMessage, unread} */
  chats: new Map(),
  /** @type {string | null} */
  activeId: null,
  /** @type {Map<string, Map<string, any>>} chatId -> messageId -> message */
  messages: new Map(),
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
  wasDown: false,
  bannerTimer: null,
};
// For the curious (and the browser tests): window.switchboardDemo.client.connectionId
window.switchboardDemo = app;

// ---------------------------------------------------------------------- helpers

function colorOf(userId) {
  let hash = 0;
  for (const ch of userId) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 62% 52%)`;
}

function avatar(userId, { size = "md", status } = {}) {
  const initial = (userId.match(/[A-Za-z0-9]/)?.[0] || "?").toUpperCase();
  return h("span", { class: `avatar avatar-${size}`, style: `--c: ${colorOf(userId)}`, title: userId },
    initial,
    status ? h("span", { class: `dot dot-${status}`, dataset: { user: userId } }) : null);
}

function statusOf(userId) {
  return app.presence.get(userId)?.status || "offline";
}

function ago(iso) {
  if (!iso) return "";
  const ms = Date.now() - Date.parse(iso);
  if (ms < 60_000) return "just now";
  if (ms < 3600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86400_000) return `${Math.floor(ms / 3600_000)} h ago`;
  return new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

function presenceText(userId) {
  const p = app.presence.get(userId);
  if (!p) return "";
  const label = { online: "online", away: "away", busy: "busy" }[p.status];
  if (label) return p.text ? `${label} · ${p.text}` : label;
  return p.lastSeen ? `last seen ${ago(p.lastSeen)}` : "offline";
}

function clock(iso) {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

function shortWhen(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return clock(iso);
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

function dayLabel(iso) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400_000);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric" });
}

function others(chat) {
  return [...chat.members.keys()].filter((u) => u !== app.me).sort();
}

function chatName(chat) {
  if (chat.name) return chat.name;
  const rest = others(chat);
  return rest.length ? rest.join(", ") : "Just you";
}

function isDirect(chat) {
  return others(chat).length === 1;
}

function byId(a, b) {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The newer of two copies of a message (higher version wins). */
function newer(old, incoming) {
  if (!old) return incoming;
  return (incoming.version || 1) >= (old.version || 1) ? { ...old, ...incoming } : old;
}

// ---------------------------------------------------------------------- HTTP

async function mintToken(userId) {
  const response = await fetch("/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data?.error?.message || `token: HTTP ${response.status}`);
  return data.token;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The REST API. Reads are retried (with backoff) on a network error or a 5xx. */
async function api(method, path, body) {
  const attempts = method === "GET" ? 4 : 1;
  let response;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(app.config.restUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${app.token}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (response.status < 500 || attempt >= attempts) break;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
    await sleep(500 * 2 ** attempt);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data?.error?.message || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

// ---------------------------------------------------------------------- sign in

function recentUsers() {
  try {
    return JSON.parse(localStorage.getItem(RECENT_KEY) || "[]").filter((u) => typeof u === "string");
  } catch {
    return [];
  }
}

function showLogin(error) {
  $("#shell").hidden = true;
  $("#login").hidden = false;
  const grid = $("#user-grid");
  grid.replaceChildren();
  const users = [...new Set([...SUGGESTED, ...recentUsers()])].slice(0, 8);
  for (const userId of users) {
    grid.append(h("button", { class: "user-tile", type: "button", dataset: { user: userId },
                              onclick: () => signIn(userId) },
      avatar(userId, { size: "lg" }), h("span", { class: "user-tile-name", text: userId })));
  }
  const err = $("#login-error");
  err.hidden = !error;
  err.textContent = error || "";
}

async function signIn(userId) {
  try {
    app.token = await mintToken(userId);
  } catch (error) {
    showLogin(`Could not sign in as ${userId}: ${error.message}`);
    return;
  }
  app.me = userId;
  sessionStorage.setItem(USER_KEY, userId);
  localStorage.setItem(RECENT_KEY, JSON.stringify([userId, ...recentUsers().filter((u) => u !== userId)].slice(0, 8)));
  const url = new URL(location.href);
  if (url.searchParams.get("user") !== userId) {
    url.searchParams.set("user", userId);
    history.replaceState(null, "", url);
  }
  document.title = `${userId} · Switchboard`;
  $("#login").hidden = true;
  $("#shell").hidden = false;
  $("#me-name").textContent = userId;

  const client = (app.client = new SwitchboardClient({
    url: app.config.websocketUrl,
    restUrl: app.config.restUrl,
    // Fresh token for every connection attempt (they last 12 hours).
    token: async () => (app.token = await mintToken(userId)),
  }));
  wire(client);
  render();
  try {
    await loadChats();
  } catch (error) {
    toast(`Could not load your chats: ${error.message}`);
  }
  client.connect();
  const wanted = new URL(location.href).searchParams.get("chat");
  const first = (wanted && app.chats.has(wanted) && wanted) || sortedChats()[0]?.id;
  if (first) openChat(first);
}

function signOut() {
  app.client?.close();
  sessionStorage.removeItem(USER_KEY);
  const url = new URL(location.href);
  url.searchParams.delete("user");
  url.searchParams.delete("chat");
  location.replace(url);
}

// ---------------------------------------------------------------------- loading

function chatRecord(wire, members) {
  const existing = app.chats.get(wire.id);
  return {
    id: wire.id,
    name: wire.name ?? existing?.name ?? null,
    createdBy: wire.createdBy ?? existing?.createdBy,
    createdAt: wire.createdAt ?? existing?.createdAt,
    members: members ?? existing?.members ?? new Map(),
    lastMessage: wire.lastMessage !== undefined ? wire.lastMessage : existing?.lastMessage ?? null,
    unread: wire.unreadCount ?? existing?.unread ?? 0,
  };
}

async function loadMembers(chatId) {
  const data = await api("GET", `/chats/${encodeURIComponent(chatId)}/members`);
  const members = new Map();
  for (const m of data.members) {
    members.set(m.userId, m.role);
    if (m.lastReadId) setRead(chatId, m.userId, m.lastReadId);
    if (m.online && m.userId !== app.me) {
      app.presence.set(m.userId, { ...(app.presence.get(m.userId) || {}), userId: m.userId, status: m.status });
    }
  }
  return members;
}

async function loadChats() {
  const { chats } = await api("GET", "/chats");
  const members = await Promise.all(chats.map((c) => loadMembers(c.id).catch(() => null)));
  const fresh = new Map();
  chats.forEach((wire, i) => fresh.set(wire.id, chatRecord(wire, members[i] || undefined)));
  app.chats = fresh;
  for (const chat of fresh.values()) {
    if (chat.lastMessage) app.client?.track(chat.lastMessage);
  }
  render();
  loadPresence();
}

async function loadPresence(userIds, attempt = 0) {
  const users = userIds || [...new Set([...app.chats.values()].flatMap((c) => others(c)))];
  const failed = [];
  await Promise.all(users.map(async (userId) => {
    try {
      app.presence.set(userId, await api("GET", `/users/${encodeURIComponent(userId)}/presence`));
    } catch (error) {
      if (error.status !== 404) failed.push(userId); // 404: no chat shared any more
    }
  }));
  scheduleRender();
  if (failed.length && attempt < 3) setTimeout(() => loadPresence(failed, attempt + 1), 1000 * 2 ** attempt);
}

async function loadHistory(chatId, { older = false } = {}) {
  let state = app.history.get(chatId);
  if (!state) app.history.set(chatId, (state = { nextCursor: null, loading: false, loaded: false }));
  if (state.loading) return;
  state.loading = true;
  state.failed = null;
  try {
    const cursor = older && state.nextCursor ? `&cursor=${encodeURIComponent(state.nextCursor)}` : "";
    const page = await api("GET", `/chats/${encodeURIComponent(chatId)}/messages?limit=50${cursor}`);
    const box = messagesOf(chatId);
    for (const message of page.messages) box.set(message.id, newer(box.get(message.id), message));
    app.client?.track(page.messages);
    if (older || !state.loaded) state.nextCursor = page.nextCursor;
    state.loaded = true;
  } catch (error) {
    state.failed = error.message;
  } finally {
    state.loading = false;
  }
  if (chatId === app.activeId) renderConversation({ keepOffset: older });
  maybeMarkRead();
}

function messagesOf(chatId) {
  let box = app.messages.get(chatId);
  if (!box) app.messages.set(chatId, (box = new Map()));
  return box;
}

// ---------------------------------------------------------------------- live events

function wire(client) {
  client.on("state", (change) => {
    app.connection = change;
    if (change.state === "reconnecting" && change.delayMs !== undefined) app.wasDown = true;
    scheduleRender();
  });

  client.on("connected", (hello) => {
    // Chats we were added to while away.
    const missing = hello.chats.filter((id) => !app.chats.has(id));
    if (missing.length) loadChats().catch(() => {});
  });

  client.on("synced", ({ reconnected, delivered }) => {
    if (reconnected) {
      // Sync replays new messages only: refresh what edits, deletes, reactions and
      // presence changes we missed.
      for (const chatId of app.history.keys()) loadHistory(chatId).catch(() => {});
      loadChats().catch(() => {});
      if (app.wasDown) {
        app.wasDown = false;
        showBanner("online", delivered
          ? `Back online · caught up on ${delivered} message${delivered === 1 ? "" : "s"}`
          : "Back online", 2500);
      }
    }
    // Who was typing before we (re)connected.
    if (app.activeId) client.typingList(app.activeId).catch(() => {});
  });

  client.on("message", (message) => {
    const chat = app.chats.get(message.chatId);
    if (!chat) {
      loadChats().catch(() => {});
      return;
    }
    if (app.history.has(message.chatId)) {
      const box = messagesOf(message.chatId);
      box.set(message.id, newer(box.get(message.id), message));
    }
    // Our own message coming back (e.g. through sync after a lost ack): not unsent any more.
    if (message.clientMessageId) app.outgoing.get(message.chatId)?.delete(message.clientMessageId);
    if (!chat.lastMessage || message.id >= chat.lastMessage.id) chat.lastMessage = message;
    const seeing = message.chatId === app.activeId && document.visibilityState === "visible";
    if (message.senderId !== app.me && !seeing && !message.deleted) chat.unread = Math.min(100, (chat.unread || 0) + 1);
    scheduleRender();
    maybeMarkRead();
  });

  const update = (chatId, messageId, apply) => {
    const box = app.messages.get(chatId);
    const old = box?.get(messageId);
    if (old) box.set(messageId, apply(old));
    const chat = app.chats.get(chatId);
    if (chat?.lastMessage?.id === messageId) chat.lastMessage = apply(chat.lastMessage);
    scheduleRender();
  };

  client.on("message:edited", (m) => update(m.chatId, m.id, (old) => newer(old, m)));
  client.on("message:deleted", (d) => update(d.chatId, d.messageId, (old) =>
    (old.version || 1) > d.version ? old : { ...old, deleted: true, body: null, reactions: {}, version: d.version }));
  client.on("message:reaction", (r) => update(r.chatId, r.messageId, (old) =>
    (old.version || 1) > r.version ? old : { ...old, reactions: r.reactions, version: r.version }));

  client.on("message:read", (r) => {
    if (!r.messageId) return;
    if (r.userId === app.me) {
      // Read on another device of ours.
      const chat = app.chats.get(r.chatId);
      if (chat && chat.lastMessage && r.messageId >= chat.lastMessage.id) chat.unread = 0;
    }
    setRead(r.chatId, r.userId, r.messageId);
    scheduleRender();
  });

  client.on("typing:update", ({ chatId, userIds }) => {
    app.typing.set(chatId, userIds);
    renderTyping();
    renderChatList();
  });

  client.on("user:status", (s) => {
    app.presence.set(s.userId, s);
    scheduleRender();
  });

  client.on("chat:created", (c) => {
    app.chats.set(c.id, chatRecord(c, new Map((c.members || []).map((u) => [u, u === c.createdBy ? "admin" : "member"]))));
    loadPresence(others(app.chats.get(c.id)));
    scheduleRender();
  });

  client.on("chat:member-added", (e) => {
    const chat = app.chats.get(e.chatId);
    if (!chat) {
      loadChats().catch(() => {});
      return;
    }
    chat.members.set(e.userId, e.role || "member");
    loadPresence([e.userId]);
    scheduleRender();
  });

  client.on("chat:member-removed", (e) => {
    if (e.userId === app.me) {
      app.chats.delete(e.chatId);
      if (app.activeId === e.chatId) app.activeId = null;
    } else {
      app.chats.get(e.chatId)?.members.delete(e.userId);
    }
    scheduleRender();
  });
}

function setRead(chatId, userId, messageId) {
  let reads = app.reads.get(chatId);
  if (!reads) app.reads.set(chatId, (reads = new Map()));
  const old = reads.get(userId);
  if (!old || messageId > old) reads.set(userId, messageId);
}

/** Read receipts: the open chat, when the page is visible, is read up to its newest message. */
function maybeMarkRead() {
  const chat = app.chats.get(app.activeId);
  if (!chat || !app.client || document.visibilityState !== "visible") return;
  let newest = null;
  for (const m of app.messages.get(chat.id)?.values() || []) {
    if (m.senderId !== app.me && (!newest || m.id > newest.id)) newest = m;
  }
  if (chat.lastMessage && chat.lastMessage.senderId !== app.me && (!newest || chat.lastMessage.id > newest.id)) {
    newest = chat.lastMessage;
  }
  const mine = app.reads.get(chat.id)?.get(app.me);
  if (chat.unread) {
    chat.unread = 0;
    scheduleRender();
  }
  if (!newest || (mine && mine >= newest.id)) return;
  setRead(chat.id, app.me, newest.id);
  app.client.markRead(chat.id, newest.id).catch(() => {});
}

// ---------------------------------------------------------------------- actions

function openChat(chatId) {
  if (!app.chats.has(chatId)) return;
  if (app.activeId && app.activeId !== chatId) app.client?.stopTyping(app.activeId);
  app.activeId = chatId;
  app.editing = null;
  app.pickerFor = null;
  const url = new URL(location.href);
  url.searchParams.set("chat", chatId);
  history.replaceState(null, "", url);
  render({ scrollToEnd: true });
  if (!app.history.get(chatId)?.loaded) loadHistory(chatId);
  maybeMarkRead();
  $("#input").focus();
}

async function sendMessage(body) {
  const chatId = app.activeId;
  const clientMessageId = newId("m");
  let box = app.outgoing.get(chatId);
  if (!box) app.outgoing.set(chatId, (box = new Map()));
  const draft = { clientMessageId, chatId, senderId: app.me, body, createdAt: new Date().toISOString(), pending: true };
  box.set(clientMessageId, draft);
  renderConversation({ scrollToEnd: true });
  try {
    const stored = await app.client.send(chatId, body, { clientMessageId });
    box.delete(clientMessageId);
    if (app.history.get(chatId)?.loaded) messagesOf(chatId).set(stored.id, newer(messagesOf(chatId).get(stored.id), stored));
    const chat = app.chats.get(chatId);
    if (chat && (!chat.lastMessage || stored.id >= chat.lastMessage.id)) chat.lastMessage = stored;
  } catch (error) {
    draft.pending = false;
    draft.failed = error.message;
  }
  scheduleRender();
}

async function retrySend(draft) {
  app.outgoing.get(draft.chatId)?.delete(draft.clientMessageId);
  await sendMessage(draft.body);
}

async function saveEdit(body) {
  const { chatId, messageId } = app.editing;
  app.editing = null;
  renderComposer();
  try {
    const updated = await app.client.edit(chatId, messageId, body);
    messagesOf(chatId).set(updated.id, newer(messagesOf(chatId).get(updated.id), updated));
  } catch (error) {
    toast(`Edit failed: ${error.message}`);
  }
  scheduleRender();
}

function startEdit(message) {
  app.editing = { chatId: message.chatId, messageId: message.id };
  const input = /** @type {HTMLTextAreaElement} */ ($("#input"));
  input.value = message.body || "";
  renderComposer();
  input.focus();
  autosize();
}

function cancelEdit() {
  app.editing = null;
  /** @type {HTMLTextAreaElement} */ ($("#input")).value = "";
  renderComposer();
  autosize();
}

async function deleteMessage(message) {
  try {
    const d = await app.client.deleteMessage(message.chatId, message.id);
    messagesOf(message.chatId).set(message.id, { ...message, deleted: true, body: null, reactions: {}, version: d.version });
  } catch (error) {
    toast(`Delete failed: ${error.message}`);
  }
  scheduleRender();
}

async function toggleReaction(message, emoji) {
  app.pickerFor = null;
  const mine = message.reactions?.[emoji]?.users?.includes(app.me);
  try {
    const r = mine
      ? await app.client.unreact(message.chatId, message.id, emoji)
      : await app.client.react(message.chatId, message.id, emoji);
    const box = messagesOf(message.chatId);
    const old = box.get(message.id);
    if (old && (old.version || 1) <= r.version) box.set(message.id, { ...old, reactions: r.reactions, version: r.version });
  } catch (error) {
    toast(`Reaction failed: ${error.message}`);
  }
  scheduleRender();
}

// ---------------------------------------------------------------------- rendering

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function renderMe() {
  const status = app.connection.state === "open" ? app.presence.get(app.me)?.status || "online" : "offline";
  const wrap = $("#me-avatar");
  if (wrap.dataset.status !== status) {
    wrap.dataset.status = status;
    wrap.replaceChildren(avatar(app.me, { size: "md", status }));
  }
}

function render(options = {}) {
  if (!app.me) return;
  renderMe();
  renderChatList();
  renderConversation(options);
  renderDetails();
  renderBanner();
  const unread = [...app.chats.values()].reduce((n, c) => n + (c.unread || 0), 0);
  document.title = `${unread ? `(${unread}) ` : ""}${app.me} · Switchboard`;
}

function sortedChats() {
  // Newest activity first: the last message, else the chat's creation.
  const key = (c) => c.lastMessage?.createdAt || c.createdAt || "";
  return [...app.chats.values()].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : a.id < b.id ? 1 : -1));
}

function chatAvatar(chat, size = "md") {
  if (isDirect(chat)) {
    const other = others(chat)[0];
    return avatar(other, { size, status: statusOf(other) });
  }
  const label = (chat.name || "#").trim();
  return h("span", { class: `avatar avatar-${size} avatar-group`, style: `--c: ${colorOf(chat.id)}` },
    (label.match(/[\p{L}\p{N}]/u)?.[0] || "#").toUpperCase(),
    others(chat).some((u) => statusOf(u) !== "offline") ? h("span", { class: "dot dot-online" }) : null);
}

function preview(chat) {
  const typing = (app.typing.get(chat.id) || []).filter((u) => u !== app.me);
  if (typing.length) return h("span", { class: "preview typing-preview", text: `${typing.join(", ")} typing…` });
  const m = chat.lastMessage;
  if (!m) return h("span", { class: "preview muted", text: "No messages yet" });
  const who = m.senderId === app.me ? "You" : isDirect(chat) ? "" : m.senderId;
  const body = m.deleted ? "Message deleted" : m.body;
  return h("span", { class: `preview${m.deleted ? " muted" : ""}` }, who ? h("b", { text: `${who}: ` }) : null, body);
}

function renderChatList() {
  const list = $("#chat-list");
  const chats = sortedChats();
  $("#chat-list-empty").hidden = chats.length > 0;
  patch(list, chats.map((chat) => ({
    key: chat.id,
    sig: JSON.stringify([chat.id === app.activeId, chat.unread, chatName(chat), chat.lastMessage?.id,
      chat.lastMessage?.version, chat.lastMessage?.body, chat.createdAt, app.typing.get(chat.id),
      others(chat).map(statusOf), shortWhen(chat.lastMessage?.createdAt || chat.createdAt)]),
    build: () => chatItem(chat),
  })));
}

function chatItem(chat) {
  return h("li", {},
    h("button", {
      class: `chat-item${chat.id === app.activeId ? " active" : ""}${chat.unread ? " has-unread" : ""}`,
      type: "button", dataset: { chat: chat.id, testid: "chat-item" }, onclick: () => openChat(chat.id),
    },
    chatAvatar(chat),
    h("span", { class: "chat-item-main" },
      h("span", { class: "chat-item-top" },
        h("span", { class: "chat-item-name", text: chatName(chat) }),
        h("span", { class: "chat-item-time", text: shortWhen(chat.lastMessage?.createdAt || chat.createdAt) })),
      h("span", { class: "chat-item-bottom" },
        preview(chat),
        chat.unread ? h("span", { class: "badge", dataset: { testid: "unread" }, text: chat.unread >= 100 ? "99+" : String(chat.unread) }) : null))));
}

function renderHeader(chat) {
  $("#conv-avatar").replaceChildren(chatAvatar(chat, "md"));
  $("#conv-name").textContent = chatName(chat);
  const sub = $("#conv-sub");
  if (isDirect(chat)) {
    const other = others(chat)[0];
    sub.replaceChildren(...(app.presence.has(other)
      ? [h("span", { class: `dot-inline dot-${statusOf(other)}` }), presenceText(other) || "offline"]
      : ["…"]));
  } else {
    const online = others(chat).filter((u) => statusOf(u) !== "offline").length + 1;
    sub.textContent = `${chat.members.size} members · ${online} online`;
  }
}

/** Who (other than the reader themselves) has read up to each message: messageId -> userIds. */
function readMarkers(chat, list) {
  const markers = new Map();
  for (const [userId, position] of app.reads.get(chat.id) || []) {
    if (userId === app.me) continue;
    // The newest message at or before the reader's position.
    let at = null;
    for (const m of list) if (m.id <= position) at = m;
    if (!at) continue;
    if (!markers.has(at.id)) markers.set(at.id, []);
    markers.get(at.id).push(userId);
  }
  return markers;
}

function renderConversation({ scrollToEnd = false, keepOffset = false } = {}) {
  const chat = app.chats.get(app.activeId);
  $("#placeholder").hidden = !!chat;
  $("#conv-header").hidden = !chat;
  $("#messages").hidden = !chat;
  $("#composer").hidden = !chat;
  if (!chat) {
    $("#typing").replaceChildren();
    return;
  }
  renderHeader(chat);
  const box = $("#messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  const fromBottom = box.scrollHeight - box.scrollTop;
  const state = app.history.get(chat.id);
  const list = [...(app.messages.get(chat.id)?.values() || [])].sort(byId);
  const unsent = [...(app.outgoing.get(chat.id)?.values() || [])];
  const markers = readMarkers(chat, list);
  const admin = chat.members.get(app.me) === "admin";
  const items = [];
  const add = (key, sig, build) => items.push({ key, sig: JSON.stringify(sig), build });
  if (state?.nextCursor) {
    add("older", [state.nextCursor], () => h("div", { class: "load-older" },
      h("button", { class: "link-btn", type: "button", onclick: () => loadHistory(chat.id, { older: true }) }, "Load earlier messages")));
  } else if (state?.loaded) {
    add(`start:${chat.id}`, [chatName(chat), others(chat).map(statusOf)], () => h("div", { class: "chat-start" },
      chatAvatar(chat, "lg"),
      h("div", { class: "chat-start-name", text: chatName(chat) }),
      h("div", { class: "muted", text: `Created by ${chat.createdBy === app.me ? "you" : chat.createdBy}${chat.createdAt ? ` · ${dayLabel(chat.createdAt)}` : ""}` })));
  }
  if (state?.failed && !state.loaded) {
    add("failed", [state.failed], () => h("div", { class: "loading" }, `Could not load the messages (${state.failed}).`,
      h("button", { class: "link-btn", type: "button", onclick: () => { loadHistory(chat.id); renderConversation(); } }, "Retry")));
  } else if (state && !state.loaded) {
    add("loading", [], () => h("div", { class: "loading" }, h("span", { class: "spinner" }), "Loading messages…"));
  }
  let prev = null;
  for (const m of list) {
    if (!prev || dayLabel(prev.createdAt) !== dayLabel(m.createdAt)) {
      const label = dayLabel(m.createdAt);
      add(`day:${label}`, [], () => h("div", { class: "day" }, h("span", { text: label })));
      prev = null;
    }
    const grouped = !!prev && prev.senderId === m.senderId && Date.parse(m.createdAt) - Date.parse(prev.createdAt) < GROUP_GAP_MS;
    const readers = markers.get(m.id);
    add(m.id, [m.version, m.body, m.deleted, m.editedAt, m.reactions, grouped, admin, readers,
      app.pickerFor === m.id, app.editing?.messageId === m.id, isDirect(chat)],
    () => messageRow(chat, m, { grouped, admin, readers }));
    prev = m;
  }
  for (const draft of unsent) {
    add(`draft:${draft.clientMessageId}`, [draft.failed, draft.pending, app.connection.state === "open"],
      () => messageRow(chat, draft, { grouped: false, admin: false, draft: true }));
  }
  patch(box, items);
  if (scrollToEnd || nearBottom) box.scrollTop = box.scrollHeight;
  else if (keepOffset) box.scrollTop = box.scrollHeight - fromBottom;
  renderTyping();
  renderComposer();
}

function messageRow(chat, m, { grouped, admin, readers, draft = false }) {
  const mine = m.senderId === app.me;
  const classes = ["msg", mine ? "mine" : "theirs", grouped ? "grouped" : "", m.deleted ? "deleted" : "",
    draft ? "draft" : "", m.failed ? "failed" : ""].filter(Boolean).join(" ");
  const showName = !mine && !grouped && !isDirect(chat);
  const editingThis = !draft && app.editing !== null && app.editing.messageId === m.id;
  const actions = !draft && !m.deleted ? h("div", { class: "msg-actions" },
    h("button", { type: "button", class: "act", title: "React", "aria-label": "React", dataset: { action: "react" },
                  onclick: (e) => { e.stopPropagation(); app.pickerFor = app.pickerFor === m.id ? null : m.id; renderConversation(); } },
      svg("M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14.5s1.2 2 3.5 2 3.5-2 3.5-2M9 9.5h.01M15 9.5h.01")),
    mine ? h("button", { type: "button", class: "act", title: "Edit", "aria-label": "Edit", dataset: { action: "edit" },
                         onclick: () => startEdit(m) }, svg("M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4")) : null,
    mine || admin ? h("button", { type: "button", class: "act danger", title: "Delete", "aria-label": "Delete", dataset: { action: "delete" },
                                  onclick: () => deleteMessage(m) }, svg("M5 7h14M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3")) : null) : null;
  const picker = app.pickerFor === m.id ? h("div", { class: "picker", role: "menu" },
    EMOJIS.map((emoji) => h("button", { type: "button", class: "picker-emoji", text: emoji, dataset: { emoji },
                                        onclick: (e) => { e.stopPropagation(); toggleReaction(m, emoji); } }))) : null;
  const reactions = Object.entries(m.reactions || {});
  const meta = draft
    ? h("span", { class: "msg-meta" }, m.failed
      ? h("button", { type: "button", class: "link-btn retry", onclick: () => retrySend(m) }, "Not sent · retry")
      : h("span", { class: "sending", text: app.connection.state === "open" ? "Sending…" : "Waiting for connection…" }))
    : h("span", { class: "msg-meta", title: new Date(m.createdAt).toLocaleString() },
      m.editedAt && !m.deleted ? h("span", { class: "edited", text: "edited" }) : null,
      clock(m.createdAt));
  return h("div", { class: classes, dataset: { id: m.id || "", cid: m.clientMessageId || "", testid: "message" } },
    !mine ? (grouped ? h("span", { class: "avatar-spacer" }) : avatar(m.senderId, { size: "sm" })) : null,
    h("div", { class: "msg-col" },
      showName ? h("div", { class: "msg-sender", style: `color: ${colorOf(m.senderId)}`, text: m.senderId }) : null,
      h("div", { class: `bubble${editingThis ? " editing-target" : ""}` },
        m.deleted
          ? h("span", { class: "body tombstone" }, svg("M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM5.6 5.6l12.8 12.8"), "This message was deleted")
          : h("span", { class: "body", text: m.body }),
        meta,
        actions,
        picker),
      reactions.length ? h("div", { class: "reactions" }, reactions.map(([emoji, r]) => h("button", {
        type: "button", class: `reaction${r.users?.includes(app.me) ? " mine" : ""}`, title: (r.users || []).join(", "),
        dataset: { emoji, testid: "reaction" }, onclick: () => toggleReaction(m, emoji),
      }, h("span", { text: emoji }), h("span", { class: "count", text: String(r.count) })))) : null,
      readers?.length ? h("div", { class: "seen", dataset: { testid: "seen" } },
        readers.sort().map((u) => avatar(u, { size: "xs" })),
        h("span", { text: `Seen by ${readers.join(", ")}` })) : null));
}

function renderTyping() {
  const el = $("#typing");
  const users = (app.typing.get(app.activeId) || []).filter((u) => u !== app.me);
  if (!users.length) {
    el.classList.remove("on");
    el.replaceChildren();
    return;
  }
  const names = users.length === 1 ? users[0] : users.length === 2 ? `${users[0]} and ${users[1]}`
    : `${users.slice(0, -1).join(", ")} and ${users[users.length - 1]}`;
  el.classList.add("on");
  el.replaceChildren(h("span", { class: "dots" }, h("i"), h("i"), h("i")),
    h("span", { class: "typing-text", text: `${names} ${users.length === 1 ? "is" : "are"} typing…` }));
}

function renderComposer() {
  const editing = !!app.editing;
  $("#editing").hidden = !editing;
  $("#composer").classList.toggle("is-editing", editing);
  /** @type {HTMLTextAreaElement} */ ($("#input")).placeholder = editing ? "Edit your message…" : "Write a message…";
}

function renderDetails() {
  const chat = app.chats.get(app.activeId);
  $("#details").hidden = !chat;
  if (!chat) return;
  const admin = chat.members.get(app.me) === "admin";
  const ids = [...chat.members.keys()].sort((a, b) => (a === app.me ? -1 : b === app.me ? 1 : a < b ? -1 : 1));
  patch($("#member-list"), ids.map((userId) => {
    const me = userId === app.me;
    const status = me ? (app.connection.state === "open" ? (app.presence.get(app.me)?.status || "online") : "offline") : statusOf(userId);
    const sub = me ? status : presenceText(userId) || "offline";
    const role = chat.members.get(userId);
    return { key: userId, sig: JSON.stringify([status, sub, role]), build: () => memberRow(userId, me, status, sub, role) };
  }));
  $("#add-member").hidden = !admin;
}

function memberRow(userId, me, status, sub, role) {
  return h("li", { class: "member", dataset: { user: userId, status } },
    avatar(userId, { size: "sm", status }),
    h("span", { class: "member-text" },
      h("span", { class: "member-name" }, me ? `${userId} (you)` : userId,
        role === "admin" ? h("span", { class: "role", text: "admin" }) : null),
      h("span", { class: "member-sub", dataset: { testid: "presence" }, text: sub })));
}

// ---------------------------------------------------------------------- banner

function showBanner(kind, text, hideAfterMs) {
  clearTimeout(app.bannerTimer);
  const el = $("#banner");
  el.className = `banner banner-${kind}`;
  el.hidden = false;
  el.replaceChildren(...(Array.isArray(text) ? text : [text]));
  if (hideAfterMs) app.bannerTimer = setTimeout(() => { el.hidden = true; }, hideAfterMs);
}

let countdown = null;
function renderBanner() {
  const c = app.connection;
  const dot = $("#conn-dot");
  dot.className = `conn-dot conn-${c.state}`;
  $("#conn-text").textContent = { open: "Connected", connecting: "Connecting…", reconnecting: "Reconnecting…",
                                  closed: "Disconnected", idle: "Starting…" }[c.state] || c.state;
  clearInterval(countdown);
  if (c.state === "reconnecting") {
    const draw = () => {
      const secs = c.retryAt ? Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000)) : 0;
      showBanner("offline", [
        h("span", { class: "spinner" }),
        h("span", { class: "banner-text", text: secs > 0
          ? `Connection lost. Reconnecting in ${secs} s…` : "Connection lost. Reconnecting…" }),
        h("button", { type: "button", class: "link-btn", onclick: () => app.client?.reconnect(), text: "Retry now" }),
      ]);
    };
    draw();
    if (c.retryAt) countdown = setInterval(draw, 500);
  } else if (c.state === "connecting") {
    showBanner("connecting", [h("span", { class: "spinner" }), h("span", { class: "banner-text", text: "Connecting…" })]);
  } else if (c.state === "open" && app.wasDown) {
    showBanner("online", [h("span", { class: "spinner" }), h("span", { class: "banner-text", text: "Reconnected · catching up…" })]);
  } else if (c.state === "open" && $("#banner").classList.contains("banner-connecting")) {
    $("#banner").hidden = true;
  } else if (c.state === "closed") {
    showBanner("offline", [h("span", { class: "banner-text", text: "Disconnected." })]);
  }
}

function toast(text) {
  const el = h("div", { class: "toast", role: "alert", text });
  document.body.append(el);
  setTimeout(() => el.classList.add("out"), 3500);
  setTimeout(() => el.remove(), 4000);
}

// ---------------------------------------------------------------------- composer & dialogs

function autosize() {
  const input = /** @type {HTMLTextAreaElement} */ ($("#input"));
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

function setupComposer() {
  const input = /** @type {HTMLTextAreaElement} */ ($("#input"));
  const submit = () => {
    const body = input.value.trim();
    if (!body || !app.activeId) return;
    input.value = "";
    autosize();
    if (app.editing) saveEdit(body);
    else sendMessage(body);
  };
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape" && app.editing) {
      cancelEdit();
    } else if (e.key === "ArrowUp" && !input.value && app.activeId) {
      const mine = [...(app.messages.get(app.activeId)?.values() || [])].filter((m) => m.senderId === app.me && !m.deleted).sort(byId);
      if (mine.length) {
        e.preventDefault();
        startEdit(mine[mine.length - 1]);
      }
    }
  });
  input.addEventListener("input", () => {
    autosize();
    if (app.activeId && !app.editing && input.value.trim()) app.client?.typing(app.activeId);
    else if (app.activeId && !input.value.trim()) app.client?.stopTyping(app.activeId);
  });
  $("#cancel-edit").addEventListener("click", cancelEdit);
  document.addEventListener("click", (e) => {
    if (app.pickerFor && !(/** @type {HTMLElement} */ (e.target)).closest(".picker")) {
      app.pickerFor = null;
      renderConversation();
    }
  });
}

function parseMembers(text) {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim().replace(/^@/, "")).filter(Boolean))].filter((u) => u !== app.me);
}

function setupDialogs() {
  const dialog = /** @type {HTMLDialogElement} */ ($("#new-chat-dialog"));
  const members = /** @type {HTMLInputElement} */ ($("#new-chat-members"));
  const name = /** @type {HTMLInputElement} */ ($("#new-chat-name"));
  const error = $("#new-chat-error");
  const drawSuggestions = () => {
    const chosen = new Set(parseMembers(members.value));
    const known = [...new Set([...SUGGESTED, ...recentUsers(), ...[...app.chats.values()].flatMap((c) => others(c))])]
      .filter((u) => u !== app.me).slice(0, 10);
    $("#new-chat-suggestions").replaceChildren(...known.map((u) => h("button", {
      type: "button", class: `chip${chosen.has(u) ? " on" : ""}`, dataset: { user: u },
      onclick: () => {
        const set = new Set(parseMembers(members.value));
        if (set.has(u)) set.delete(u);
        else set.add(u);
        members.value = [...set].join(", ");
        drawSuggestions();
      },
    }, avatar(u, { size: "xs" }), u)));
  };
  members.addEventListener("input", drawSuggestions);
  $("#new-chat").addEventListener("click", () => {
    name.value = "";
    members.value = "";
    error.hidden = true;
    drawSuggestions();
    dialog.showModal();
    members.focus();
  });
  $("#new-chat-cancel").addEventListener("click", () => dialog.close());
  $("#new-chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const list = parseMembers(members.value);
    if (!list.length) {
      error.textContent = "Add at least one other person.";
      error.hidden = false;
      return;
    }
    const button = /** @type {HTMLButtonElement} */ ($("#new-chat-create"));
    button.disabled = true;
    try {
      const chat = await api("POST", "/chats", { members: list, ...(name.value.trim() ? { name: name.value.trim() } : {}) });
      const record = chatRecord(chat, new Map(chat.members.map((u) => [u, u === chat.createdBy ? "admin" : "member"])));
      app.chats.set(chat.id, record);
      dialog.close();
      loadPresence(others(record));
      openChat(chat.id);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });

  $("#add-member").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($("#add-member-name"));
    const userId = input.value.trim();
    if (!userId || !app.activeId) return;
    try {
      await api("POST", `/chats/${encodeURIComponent(app.activeId)}/members`, { userId });
      app.chats.get(app.activeId)?.members.set(userId, "member");
      input.value = "";
      loadPresence([userId]);
      scheduleRender();
    } catch (err) {
      toast(`Could not add ${userId}: ${err.message}`);
    }
  });
  $("#leave-chat").addEventListener("click", async () => {
    const chatId = app.activeId;
    if (!chatId) return;
    try {
      await api("DELETE", `/chats/${encodeURIComponent(chatId)}/members/${encodeURIComponent(app.me)}`);
      app.chats.delete(chatId);
      app.activeId = null;
      render();
    } catch (err) {
      toast(`Could not leave: ${err.message}`);
    }
  });
  $("#switch-user").addEventListener("click", signOut);
  $("#me-status").addEventListener("change", async (e) => {
    const status = /** @type {HTMLSelectElement} */ (e.target).value;
    try {
      const s = await app.client.setPresence(status);
      app.presence.set(app.me, s);
      scheduleRender();
    } catch (err) {
      toast(`Could not set status: ${err.message}`);
    }
  });
  $("#login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const userId = /** @type {HTMLInputElement} */ ($("#login-name")).value.trim();
    if (userId) signIn(userId);
  });
}

// ---------------------------------------------------------------------- start

async function main() {
  setupComposer();
  setupDialogs();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") maybeMarkRead();
  });
  // "last seen 3 min ago" ages; refresh it.
  setInterval(() => {
    const chat = app.chats.get(app.activeId);
    if (chat) {
      renderDetails();
      renderHeader(chat);
    }
  }, 30_000);
  try {
    const response = await fetch("/dev/config");
    app.config = await response.json();
  } catch (error) {
    showLogin(`The emulator did not answer: ${error.message}`);
    return;
  }
  const requested = new URL(location.href).searchParams.get("user") || sessionStorage.getItem(USER_KEY);
  if (requested) await signIn(requested);
  else showLogin();
}

main();
