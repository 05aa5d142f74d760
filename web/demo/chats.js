// The chat list: name, last message or who is typing, time, unread count.

import { openChat } from "./actions.js";
import { chatAvatar } from "./avatars.js";
import { callOf, callText } from "./callentry.js";
import { $, h, patch } from "./dom.js";
import { shortWhen } from "./format.js";
import { app, chatName, isDirect, lastMessageOf, others, sortedChats, statusOf } from "./state.js";

export function preview(chat) {
  const typing = (app.typing.get(chat.id) || []).filter((u) => u !== app.me);
  if (typing.length) return h("span", { class: "preview typing-preview", text: `${typing.join(", ")} typing…` });
  const m = lastMessageOf(chat);
  if (!m) return h("span", { class: "preview muted", text: "No messages yet" });
  const who = m.senderId === app.me ? "You" : isDirect(chat) ? "" : m.senderId;
  const body = m.deleted ? "Message deleted" : summary(m);
  return h("span", { class: `preview${m.deleted ? " muted" : ""}` }, who ? h("b", { text: `${who}: ` }) : null, body);
}

/** A message in one line: its body, else its call or its files. */
export function summary(m) {
  if (m.call) return `📞 ${callText(callOf(m))}`;
  const files = m.attachments || [];
  if (m.body || !files.length) return m.body;
  const images = files.every((a) => a.contentType?.startsWith("image/"));
  return files.length === 1 ? `📎 ${images ? "Photo" : files[0].name}` : `📎 ${files.length} ${images ? "photos" : "files"}`;
}

export function renderChatList() {
  const list = $("#chat-list");
  const chats = sortedChats();
  $("#chat-list-empty").hidden = chats.length > 0;
  patch(list, chats.map((chat) => {
    const last = lastMessageOf(chat);
    return {
      key: chat.id,
      sig: JSON.stringify([chat.id === app.activeId, chat.unread, chatName(chat), last?.id, last?.version, last && summary(last),
        chat.createdAt, app.typing.get(chat.id), others(chat).map(statusOf), shortWhen(last?.createdAt || chat.createdAt)]),
      build: () => chatItem(chat),
    };
  }));
}

export function chatItem(chat) {
  return h("li", {},
    h("button", {
      class: `chat-item${chat.id === app.activeId ? " active" : ""}${chat.unread ? " has-unread" : ""}`,
      type: "button", dataset: { chat: chat.id, testid: "chat-item" }, onclick: () => openChat(chat.id),
    },
    chatAvatar(chat),
    h("span", { class: "chat-item-main" },
      h("span", { class: "chat-item-top" },
        h("span", { class: "chat-item-name", text: chatName(chat) }),
        h("span", { class: "chat-item-time", text: shortWhen(lastMessageOf(chat)?.createdAt || chat.createdAt) })),
      h("span", { class: "chat-item-bottom" },
        preview(chat),
        chat.unread ? h("span", { class: "badge", dataset: { testid: "unread" }, text: chat.unread >= 100 ? "99+" : String(chat.unread) }) : null))));
}
