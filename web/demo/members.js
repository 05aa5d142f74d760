// The members panel: each member's presence (online, away, busy, last seen) and role.

import { avatar } from "./avatars.js";
import { $, h, patch } from "./dom.js";
import { app, presenceText, statusOf } from "./state.js";

export function renderDetails() {
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

export function memberRow(userId, me, status, sub, role) {
  return h("li", { class: "member", dataset: { user: userId, status } },
    avatar(userId, { size: "sm", status }),
    h("span", { class: "member-text" },
      h("span", { class: "member-name" }, me ? `${userId} (you)` : userId,
        role === "admin" ? h("span", { class: "role", text: "admin" }) : null),
      h("span", { class: "member-sub", dataset: { testid: "presence" }, text: sub })));
}
