// The calls' UI: the call buttons of the chat header, the incoming-call cards (every
// device of the callee rings), and the in-call view (our camera, each peer's video and
// screen, who shares a screen, mute, share screen, hang up). Draws app.call and
// app.ringing; calls.js does the work.

import { duration } from "./callentry.js";
import { answerCall, declineCall, hangUp, startCall, toggleMute, toggleScreen } from "./calls.js";
import { $, h, patch, svg } from "./dom.js";
import { app, chatName } from "./state.js";

const ICONS = {
  phone: "M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2",
  video: "M3 7h12v10H3zM15 10l6-3v10l-6-3",
  mic: "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3",
  micOff: "M3 3l18 18M9 9v3a3 3 0 0 0 5 2.2M15 10V6a3 3 0 0 0-5.7-1.3M5 11a7 7 0 0 0 11.4 5.4M19 11a7 7 0 0 1-.6 2.8M12 18v3",
  screen: "M3 4h18v12H3zM8 20h8M12 16v4",
  hangup: "M3 15c5-5 13-5 18 0l-2.5 2.5-3.5-1.5v-3a9 9 0 0 0-6 0v3L5.5 17.5z",
};

export function setupCallView() {
  $("#call-audio").addEventListener("click", () => startCall(app.activeId, "audio"));
  $("#call-video").addEventListener("click", () => startCall(app.activeId, "video"));
  $("#call-mute").addEventListener("click", toggleMute);
  $("#call-screen").addEventListener("click", toggleScreen);
  $("#call-hangup").addEventListener("click", hangUp);
  // The call's clock.
  setInterval(() => {
    if (app.call?.answeredAt) renderStatus();
  }, 1000);
}

export function renderCall() {
  renderButtons();
  renderIncoming();
  renderInCall();
}

function renderButtons() {
  const chat = app.chats.get(app.activeId);
  // A mesh of 4 at most: a larger chat would have to name whom to ring.
  const off = !chat || !!app.call || chat.members.size > 4 || chat.members.size < 2;
  for (const id of ["#call-audio", "#call-video"]) /** @type {HTMLButtonElement} */ ($(id)).disabled = off;
}

function renderIncoming() {
  patch($("#incoming"), [...app.ringing.values()].map((r) => {
    const chat = app.chats.get(r.chatId);
    return {
      key: r.callId,
      sig: JSON.stringify([r.from, r.media, chat && chatName(chat), !!app.call]),
      build: () => h("div", { class: "incoming-call", role: "alertdialog", dataset: { testid: "incoming-call", callId: r.callId } },
        h("span", { class: "incoming-icon" }, svg(r.media === "video" ? ICONS.video : ICONS.phone)),
        h("div", { class: "incoming-text" },
          h("strong", { text: `${r.from} is calling` }),
          h("span", { class: "muted", text: `${r.media === "video" ? "Video" : "Audio"} call${chat && chat.members.size > 2 ? ` · ${chatName(chat)}` : ""}` })),
        h("button", { type: "button", class: "round-btn decline", title: "Decline", "aria-label": "Decline",
                      dataset: { testid: "decline-call" }, onclick: () => declineCall(r.callId) }, svg(ICONS.hangup)),
        h("button", { type: "button", class: "round-btn accept", title: "Accept", "aria-label": "Accept",
                      disabled: !!app.call, dataset: { testid: "accept-call" }, onclick: () => answerCall(r.callId) },
        svg(r.media === "video" ? ICONS.video : ICONS.phone))),
    };
  }));
}

function statusText(call) {
  const names = [...call.peers.values()].map((p) => p.userId);
  if (call.status === "starting") return "Starting…";
  if (call.status === "calling") {
    const chat = app.chats.get(call.chatId);
    return `Calling ${chat ? chatName(chat) : ""}…`;
  }
  const clock = call.answeredAt ? ` · ${duration((Date.now() - call.answeredAt) / 1000)}` : "";
  return names.length ? `In call with ${names.join(", ")}${clock}` : `Waiting for the others…${clock}`;
}

function renderStatus() {
  if (app.call) $("#call-status").textContent = statusText(app.call);
}

/** A video tile. Kept as the same element while its stream and label stay (no flicker). */
function tile(key, stream, label, { local = false, screen = false, state = "" } = {}) {
  const hasVideo = !!stream?.getVideoTracks().some((t) => t.readyState === "live");
  return {
    key,
    sig: JSON.stringify([stream?.id, label, state, hasVideo]),
    build: () => {
      const video = /** @type {HTMLVideoElement} */ (h("video", { autoplay: true, playsinline: true,
        dataset: { testid: local ? (screen ? "local-screen" : "local-video") : (screen ? "remote-screen" : "remote-video") } }));
      video.muted = local; // our own microphone is not played back
      if (stream) video.srcObject = stream;
      return h("div", { class: `call-tile${screen ? " screen" : ""}${local && !screen ? " local" : ""}${hasVideo ? "" : " no-video"}`,
                        dataset: { state } },
        video,
        hasVideo ? null : h("span", { class: "tile-initial", text: label[0]?.toUpperCase() || "?" }),
        h("span", { class: "tile-label", text: label }),
        state && state !== "connected" ? h("span", { class: "tile-state", text: state }) : null);
    },
  };
}

function renderInCall() {
  const call = app.call;
  const view = $("#call-view");
  view.hidden = !call;
  if (!call) {
    patch($("#call-tiles"), []);
    return;
  }
  view.dataset.status = call.status;
  renderStatus();
  const items = [];
  const peers = [...call.peers.values()];
  for (const peer of peers) {
    const state = peer.pc?.connectionState || "waiting";
    const main = peer.streams.get(peer.mainStreamId) || null;
    items.push(tile(`peer:${peer.peerId}`, main, peer.userId, { state }));
    for (const [id, stream] of peer.streams) {
      if (id !== peer.mainStreamId && stream.getVideoTracks().length) {
        items.push(tile(`screen:${peer.peerId}:${id}`, stream, `${peer.userId}'s screen`, { screen: true }));
      }
    }
  }
  if (call.local) items.push(tile("local", call.local, "You", { local: true }));
  if (call.screen) items.push(tile("local-screen", call.screen, "Your screen", { local: true, screen: true }));
  patch($("#call-tiles"), items);
  const sharing = peers.filter((p) => p.screen).map((p) => p.userId);
  const indicator = $("#screen-indicator");
  indicator.hidden = !sharing.length && !call.screen;
  indicator.textContent = call.screen ? "You are sharing your screen"
    : `${sharing.join(", ")} ${sharing.length === 1 ? "is" : "are"} sharing ${sharing.length === 1 ? "their screen" : "screens"}`;
  const mute = $("#call-mute");
  mute.setAttribute("aria-pressed", String(call.muted));
  mute.title = call.muted ? "Unmute" : "Mute";
  mute.replaceChildren(svg(call.muted ? ICONS.micOff : ICONS.mic));
  const screen = /** @type {HTMLButtonElement} */ ($("#call-screen"));
  screen.setAttribute("aria-pressed", String(!!call.screen));
  screen.title = call.screen ? "Stop sharing" : "Share screen";
  screen.disabled = call.status !== "active";
}
