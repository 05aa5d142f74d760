// What the user does: open a chat, send (with a draft until acked), edit, delete,
// react; and read receipts for the open chat.

import { newId } from "@switchboard/client";

import { autosize, renderComposer } from "./composer.js";
import { toast } from "./connection.js";
import { loadHistory } from "./data.js";
import { $ } from "./dom.js";
import { renderConversation } from "./messages.js";
import { render, scheduleRender } from "./render.js";
import { app, lastMessageOf, messagesOf, setRead } from "./state.js";

/** Read receipts: the open chat, when the page is visible, is read up to its newest message. */
export function maybeMarkRead() {
  const chat = app.chats.get(app.activeId);
  if (!chat || !app.client || document.visibilityState !== "visible") return;
  let newest = messagesOf(chat.id).findLast((m) => m.senderId !== app.me) || null;
  const last = lastMessageOf(chat);
  if (last && last.senderId !== app.me && (!newest || last.id > newest.id)) newest = last;
  const mine = app.reads.get(chat.id)?.get(app.me);
  if (chat.unread) {
    chat.unread = 0;
    scheduleRender();
  }
  if (!newest || (mine && mine >= newest.id)) return;
  setRead(chat.id, app.me, newest.id);
  app.client.markRead(chat.id, newest.id).catch(() => {});
}

export function openChat(chatId) {
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

/** Send `body`, with the files of the composer's tray (attachments.js takeTray: what the
 *  draft shows, and their ids once uploaded) if any. */
export async function sendMessage(body, files = null) {
  const chatId = app.activeId;
  const clientMessageId = newId("m");
  let box = app.outgoing.get(chatId);
  if (!box) app.outgoing.set(chatId, (box = new Map()));
  const draft = { clientMessageId, chatId, senderId: app.me, body, createdAt: new Date().toISOString(), pending: true,
                  attachments: files?.shown || [], files };
  box.set(clientMessageId, draft);
  renderConversation({ scrollToEnd: true });
  try {
    if (files?.shown.length) {
      // The typed send() takes no attachments: the generic request, then into the client's list.
      const attachments = await files.ids;
      app.client.stopTyping(chatId);
      const message = await app.client.request("message:send",
        { chatId, ...(body ? { body } : {}), clientMessageId, attachments }, { retry: "always" });
      app.client.track(message);
    } else {
      await app.client.send(chatId, body, { clientMessageId }); // the client lists the stored message
    }
    box.delete(clientMessageId);
  } catch (error) {
    draft.pending = false;
    draft.failed = error.message;
  }
  scheduleRender();
}

export async function retrySend(draft) {
  app.outgoing.get(draft.chatId)?.delete(draft.clientMessageId);
  await sendMessage(draft.body, draft.files);
}

export async function saveEdit(body) {
  const { chatId, messageId } = app.editing;
  app.editing = null;
  renderComposer();
  try {
    await app.client.edit(chatId, messageId, body); // the client applies the answer to its list
  } catch (error) {
    toast(`Edit failed: ${error.message}`);
  }
  scheduleRender();
}

export function startEdit(message) {
  app.editing = { chatId: message.chatId, messageId: message.id };
  const input = /** @type {HTMLTextAreaElement} */ ($("#input"));
  input.value = message.body || "";
  renderComposer();
  input.focus();
  autosize();
}

export function cancelEdit() {
  app.editing = null;
  /** @type {HTMLTextAreaElement} */ ($("#input")).value = "";
  renderComposer();
  autosize();
}

export async function deleteMessage(message) {
  try {
    await app.client.deleteMessage(message.chatId, message.id); // listed as a tombstone now
  } catch (error) {
    toast(`Delete failed: ${error.message}`);
  }
  scheduleRender();
}

export async function toggleReaction(message, emoji) {
  app.pickerFor = null;
  const mine = message.reactions?.[emoji]?.users?.includes(app.me);
  try {
    // The client applies the answer to its list (by version: a newer change that came
    // first is kept).
    if (mine) await app.client.unreact(message.chatId, message.id, emoji);
    else await app.client.react(message.chatId, message.id, emoji);
  } catch (error) {
    toast(`Reaction failed: ${error.message}`);
  }
  scheduleRender();
}
