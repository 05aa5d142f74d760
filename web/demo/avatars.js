// Avatars of users and chats, with their presence dot.

import { h } from "./dom.js";
import { colorOf } from "./format.js";
import { isDirect, others, statusOf } from "./state.js";

export function avatar(userId, { size = "md", status } = {}) {
  const initial = (userId.match(/[A-Za-z0-9]/)?.[0] || "?").toUpperCase();
  return h("span", { class: `avatar avatar-${size}`, style: `--c: ${colorOf(userId)}`, title: userId },
    initial,
    status ? h("span", { class: `dot dot-${status}`, dataset: { user: userId } }) : null);
}

export function chatAvatar(chat, size = "md") {
  if (isDirect(chat)) {
    const other = others(chat)[0];
    return avatar(other, { size, status: statusOf(other) });
  }
  const label = (chat.name || "#").trim();
  return h("span", { class: `avatar avatar-${size} avatar-group`, style: `--c: ${colorOf(chat.id)}` },
    (label.match(/[\p{L}\p{N}]/u)?.[0] || "#").toUpperCase(),
    others(chat).some((u) => statusOf(u) !== "offline") ? h("span", { class: "dot dot-online" }) : null);
}
