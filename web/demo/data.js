// Loading over REST: the chat list with members, presence, and history pages.

import { maybeMarkRead } from "./actions.js";
import { api } from "./http.js";
import { renderConversation } from "./messages.js";
import { render, scheduleRender } from "./render.js";
import { app, others, setRead } from "./state.js";

export function chatRecord(wire, members) {
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

export async function loadMembers(chatId) {
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

export async function loadChats() {
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

export async function loadPresence(userIds, attempt = 0) {
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

export async function loadHistory(chatId, { older = false } = {}) {
  let state = app.history.get(chatId);
  if (!state) app.history.set(chatId, (state = { nextCursor: null, loading: false, loaded: false }));
  if (state.loading) return;
  state.loading = true;
  state.failed = null;
  try {
    const cursor = older && state.nextCursor ? `&cursor=${encodeURIComponent(state.nextCursor)}` : "";
    const page = await api("GET", `/chats/${encodeURIComponent(chatId)}/messages?limit=50${cursor}`);
    // Into the client's list (merged by version with what it holds), and never delivered
    // again as new.
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
