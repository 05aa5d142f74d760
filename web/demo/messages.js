// The open conversation: its header, the messages (grouped, by day, with reactions,
// edits, tombstones, drafts, files, calls and "Seen by"), and who is typing.

import { deleteMessage, retrySend, startEdit, toggleReaction } from "./actions.js";
import { attachmentsView } from "./attachments.js";
import { avatar, chatAvatar } from "./avatars.js";
import { callEntry, callOf } from "./callentry.js";
import { answerCall } from "./calls.js";
import { renderComposer } from "./composer.js";
import { loadHistory } from "./data.js";
import { $, h, patch, svg } from "./dom.js";
import { clock, colorOf, dayLabel } from "./format.js";
import { app, chatName, EMOJIS, GROUP_GAP_MS, isDirect, messagesOf, others, presenceText, statusOf } from "./state.js";

export function renderHeader(chat) {
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
export function readMarkers(chat, list) {
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

export function renderConversation({ scrollToEnd = false, keepOffset = false } = {}) {
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
  // The client's list: in id order, each message once and at its newest version, however
  // the server delivered them (out of order, twice, edits before their message...).
  const list = messagesOf(chat.id);
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
      app.pickerFor === m.id, app.editing?.messageId === m.id, isDirect(chat),
      m.attachments?.map((a) => a.id), callOf(m), m.call && !!app.call],
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

export function messageRow(chat, m, { grouped, admin, readers, draft = false }) {
  const mine = m.senderId === app.me;
  const classes = ["msg", mine ? "mine" : "theirs", grouped ? "grouped" : "", m.deleted ? "deleted" : "",
    draft ? "draft" : "", m.failed ? "failed" : "", m.call && !m.deleted ? "call" : "",
    m.attachments?.length ? "has-files" : ""].filter(Boolean).join(" ");
  const showName = !mine && !grouped && !isDirect(chat);
  const editingThis = !draft && app.editing !== null && app.editing.messageId === m.id;
  const actions = !draft && !m.deleted ? h("div", { class: "msg-actions" },
    h("button", { type: "button", class: "act", title: "React", "aria-label": "React", dataset: { action: "react" },
                  onclick: (e) => { e.stopPropagation(); app.pickerFor = app.pickerFor === m.id ? null : m.id; renderConversation(); } },
      svg("M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8.5 14.5s1.2 2 3.5 2 3.5-2 3.5-2M9 9.5h.01M15 9.5h.01")),
    mine && !m.call ? h("button", { type: "button", class: "act", title: "Edit", "aria-label": "Edit", dataset: { action: "edit" },
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
          : m.call
            ? callEntry(m, callOf(m).status === "active" && !app.call
              ? () => answerCall(m.call.callId, { join: true, media: m.call.media }) : null)
            : [attachmentsView(m), m.body ? h("span", { class: "body", text: m.body }) : null],
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

export function renderTyping() {
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
