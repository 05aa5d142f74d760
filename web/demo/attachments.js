// Attachments: files picked, pasted or dropped into the composer go straight to S3 (a
// REST grant, then the grant's presigned POST), and the message names them by id; the
// files a message carries, drawn in its bubble (images inline, audio and video with
// players, anything else as a download link).

import { newId } from "@switchboard/client";

import { toast } from "./connection.js";
import { $, h, svg } from "./dom.js";
import { api } from "./http.js";
import { app } from "./state.js";

/** The deployment's default types (template.yaml AttachmentTypes): the picker offers these;
 *  the server has the last word. */
export const ALLOWED_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
  "audio/mpeg", "audio/mp4", "audio/ogg", "audio/webm", "video/mp4", "video/webm"];

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Upload one file to `chatId`: ask for a grant, post the grant's fields and the file to
 *  S3. Resolves with the attachmentId. */
export async function upload(chatId, file) {
  const grant = await api("POST", `/chats/${encodeURIComponent(chatId)}/attachments`,
    { name: file.name || "file", size: file.size, contentType: file.type });
  const form = new FormData();
  for (const [key, value] of Object.entries(grant.upload.fields)) form.append(key, value);
  form.append("file", file); // last, as S3 wants
  const response = await fetch(grant.upload.url, { method: "POST", body: form });
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    throw new Error(text.match(/<Message>([^<]*)<\/Message>/)?.[1] || `upload: HTTP ${response.status}`);
  }
  return grant.attachmentId;
}

/** Files waiting in the composer's tray of a chat: each uploads at once; the message
 *  that names them goes when the user sends. */
export function addFiles(files) {
  const chatId = app.activeId;
  if (!chatId) return;
  for (const file of files) {
    if (!ALLOWED_TYPES.includes(file.type)) {
      toast(`${file.name || "That file"}: ${file.type || "this type"} cannot be attached`);
      continue;
    }
    const item = { key: newId("f"), chatId, file, name: file.name || "file", size: file.size, contentType: file.type,
                   status: "uploading", attachmentId: null, error: null,
                   previewUrl: file.type.startsWith("image/") ? URL.createObjectURL(file) : null };
    item.done = upload(chatId, file).then((id) => {
      item.status = "ready";
      item.attachmentId = id;
    }, (error) => {
      item.status = "failed";
      item.error = error.message;
      toast(`Upload of ${item.name} failed: ${error.message}`);
    }).finally(renderTray);
    app.pendingFiles.push(item);
  }
  renderTray();
}

export function trayOf(chatId) {
  return app.pendingFiles.filter((f) => f.chatId === chatId);
}

export function removeFile(key) {
  const item = app.pendingFiles.find((f) => f.key === key);
  if (item?.previewUrl) URL.revokeObjectURL(item.previewUrl);
  app.pendingFiles = app.pendingFiles.filter((f) => f.key !== key);
  renderTray();
}

/** Take the active chat's tray for a message: waits for the uploads; the files that failed
 *  stay in the tray. Resolves with what the draft shows and the ids to send. */
export function takeTray(chatId) {
  const items = trayOf(chatId).filter((f) => f.status !== "failed");
  app.pendingFiles = app.pendingFiles.filter((f) => f.chatId !== chatId || f.status === "failed");
  renderTray();
  const shown = items.map((f) => ({ id: f.key, name: f.name, size: f.size, contentType: f.contentType, url: f.previewUrl }));
  const ids = Promise.all(items.map((f) => f.done)).then(() => {
    const failed = items.filter((f) => f.status !== "ready");
    if (failed.length) throw new Error(`upload of ${failed.map((f) => f.name).join(", ")} failed`);
    return items.map((f) => f.attachmentId);
  });
  return { shown, ids };
}

export function renderTray() {
  const tray = $("#tray");
  const items = trayOf(app.activeId);
  tray.hidden = !items.length;
  tray.replaceChildren(...items.map((f) => h("div", { class: `tray-item ${f.status}`, title: f.error || f.name,
                                                      dataset: { testid: "tray-item", status: f.status } },
    f.previewUrl ? h("img", { src: f.previewUrl, alt: "" }) : svg(FILE_ICON),
    h("span", { class: "tray-name", text: f.name }),
    h("span", { class: "tray-size", text: f.status === "uploading" ? "uploading…" : f.status === "failed" ? "failed" : fileSize(f.size) }),
    h("button", { type: "button", class: "tray-remove", title: "Remove", "aria-label": `Remove ${f.name}`,
                  onclick: () => removeFile(f.key) }, "×"))));
}

const FILE_ICON = "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zM14 3v5h5";

/** The picker button, paste into the composer and drop onto the conversation. */
export function setupAttachments() {
  const picker = /** @type {HTMLInputElement} */ ($("#attach-input"));
  picker.accept = ALLOWED_TYPES.join(",");
  $("#attach").addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    addFiles([...(picker.files || [])]);
    picker.value = "";
  });
  $("#input").addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (!files.length) return;
    e.preventDefault();
    addFiles(files);
  });
  const zone = $(".conversation");
  zone.addEventListener("dragover", (e) => {
    if (!app.activeId || !e.dataTransfer?.types.includes("Files")) return;
    e.preventDefault();
    zone.classList.add("dropping");
  });
  zone.addEventListener("dragleave", (e) => {
    if (!zone.contains(/** @type {Node} */ (e.relatedTarget))) zone.classList.remove("dropping");
  });
  zone.addEventListener("drop", (e) => {
    zone.classList.remove("dropping");
    if (!app.activeId || !e.dataTransfer?.files.length) return;
    e.preventDefault();
    addFiles([...e.dataTransfer.files]);
  });
}

/** A fresh download URL for an attachment whose URL expired (15 minutes by default). */
async function refresh(chatId, attachment, el, attr) {
  if (el.dataset.refreshed || !chatId) return;
  el.dataset.refreshed = "1";
  try {
    const fresh = await api("GET", `/chats/${encodeURIComponent(chatId)}/attachments/${encodeURIComponent(attachment.id)}`);
    el[attr] = fresh.url;
  } catch {
    el.classList.add("broken");
  }
}

/** The files of message `m`: null when it has none. */
export function attachmentsView(m) {
  const files = m.attachments || [];
  if (!files.length || m.deleted) return null;
  const sent = !!m.id; // a draft's files are local previews
  return h("div", { class: "attachments" }, files.map((a) => {
    const type = a.contentType || "";
    if (type.startsWith("image/") && a.url) {
      const img = h("img", { src: a.url, alt: a.name, title: `${a.name} · ${fileSize(a.size)}`, loading: "lazy",
                             dataset: { testid: "attachment-image", id: a.id },
                             onload: keepScrolledToEnd, onerror: () => sent && refresh(m.chatId, a, img, "src") });
      return h("a", { class: "attachment-image", href: a.url, target: "_blank", rel: "noopener" }, img);
    }
    if ((type.startsWith("audio/") || type.startsWith("video/")) && a.url && sent) {
      const player = h(type.startsWith("audio/") ? "audio" : "video", { src: a.url, controls: true, preload: "metadata",
        class: "attachment-media", title: a.name, onerror: () => refresh(m.chatId, a, player, "src") });
      return h("div", { class: "attachment-player" }, player, fileLink(a, sent));
    }
    return fileLink(a, sent);
  }));
}

function fileLink(a, sent) {
  return h(sent ? "a" : "span", { class: "attachment-file", dataset: { testid: "attachment-file" },
    ...(sent ? { href: a.url, download: a.name, target: "_blank", rel: "noopener" } : {}) },
    svg(FILE_ICON),
    h("span", { class: "attachment-name", text: a.name }),
    h("span", { class: "attachment-size", text: fileSize(a.size) }));
}

/** An image that loaded grew its row: stay at the end if the reader was there. */
function keepScrolledToEnd() {
  const box = $("#messages");
  if (box.scrollHeight - box.scrollTop - box.clientHeight < 400) box.scrollTop = box.scrollHeight;
}
