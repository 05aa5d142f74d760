// Dialogs and forms: new chat, add a member, leave, your status, sign in by name.

import { openChat } from "./actions.js";
import { avatar } from "./avatars.js";
import { toast } from "./connection.js";
import { chatRecord, loadPresence } from "./data.js";
import { $, h } from "./dom.js";
import { api } from "./http.js";
import { render, scheduleRender } from "./render.js";
import { recentUsers, signIn, signOut } from "./session.js";
import { app, others, SUGGESTED } from "./state.js";

export function parseMembers(text) {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim().replace(/^@/, "")).filter(Boolean))].filter((u) => u !== app.me);
}

export function setupDialogs() {
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
