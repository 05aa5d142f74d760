// Live events: what the client delivers (messages, edits, reactions, reads, typing,
// presence, chat membership, connection state) applied to the state.

import { maybeMarkRead } from "./actions.js";
import { renderChatList } from "./chats.js";
import { showBanner } from "./connection.js";
import { chatRecord, loadChats, loadHistory, loadPresence } from "./data.js";
import { renderTyping } from "./messages.js";
import { scheduleRender } from "./render.js";
import { app, lastMessageOf, others, setRead } from "./state.js";

export function listenTo(client) {
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
    // The client's list holds it already, in its place: it may be older than messages
    // drawn before it arrived (sharded delivery), and it is drawn in id order all the same.
    // Our own message coming back: not unsent any more.
    if (message.clientMessageId) app.outgoing.get(message.chatId)?.delete(message.clientMessageId);
    const seeing = message.chatId === app.activeId && document.visibilityState === "visible";
    if (message.senderId !== app.me && !seeing && !message.deleted) chat.unread = Math.min(100, (chat.unread || 0) + 1);
    scheduleRender();
    maybeMarkRead();
  });

  // The client applied them to its list by version (a late or repeated copy is not even
  // raised): draw it again.
  client.on("message:edited", () => scheduleRender());
  client.on("message:deleted", () => scheduleRender());
  client.on("message:reaction", () => scheduleRender());

  client.on("message:read", (r) => {
    if (!r.messageId) return;
    if (r.userId === app.me) {
      // Read on another device of ours.
      const chat = app.chats.get(r.chatId);
      const last = chat && lastMessageOf(chat);
      if (last && r.messageId >= last.id) chat.unread = 0;
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
