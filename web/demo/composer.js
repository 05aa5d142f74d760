// The composer: Enter sends (with the files of the tray, attachments.js), Shift+Enter
// breaks the line, Esc cancels an edit, Up edits the last message; typing indicators
// while typing.

import { cancelEdit, saveEdit, sendMessage, startEdit } from "./actions.js";
import { renderTray, takeTray, trayOf } from "./attachments.js";
import { $ } from "./dom.js";
import { renderConversation } from "./messages.js";
import { app, messagesOf } from "./state.js";

export function autosize() {
  const input = /** @type {HTMLTextAreaElement} */ ($("#input"));
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

export function setupComposer() {
  const input = /** @type {HTMLTextAreaElement} */ ($("#input"));
  const submit = () => {
    const body = input.value.trim();
    const files = !app.editing && trayOf(app.activeId).some((f) => f.status !== "failed");
    if ((!body && !files) || !app.activeId) return;
    input.value = "";
    autosize();
    if (app.editing) saveEdit(body);
    else sendMessage(body, files ? takeTray(app.activeId) : null);
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
      const mine = messagesOf(app.activeId).filter((m) => m.senderId === app.me && !m.deleted && !m.call);
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

export function renderComposer() {
  const editing = !!app.editing;
  $("#editing").hidden = !editing;
  $("#composer").classList.toggle("is-editing", editing);
  /** @type {HTMLTextAreaElement} */ ($("#input")).placeholder = editing ? "Edit your message…" : "Write a message…";
  $("#attach").hidden = editing;
  renderTray();
}
