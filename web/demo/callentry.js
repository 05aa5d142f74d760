// A call in the history: the message every call leaves (message.call), drawn as a call
// entry ("Video call — 2:35", "Missed audio call", ...), redrawn on each message:edited.
//
// The client's message list keeps each message at its newest version, `call` included.

import { h, svg } from "./dom.js";

/** A message's call as it stands now (null for any other message). */
export function callOf(m) {
  return m?.call || null;
}

const PHONE = "M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2";
const CAMERA = "M3 7h12v10H3zM15 10l6-3v10l-6-3";
const MISSED = "M3 8l6 6 4-4 8 8M15 18h6v-6";

/** "2:35", "1:02:03". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const hours = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60));
  const ss = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${mm.padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** What a call message says. */
export function callText(call) {
  const kind = call.media === "video" ? "video call" : "audio call";
  const Kind = kind[0].toUpperCase() + kind.slice(1);
  switch (call.status) {
    case "ringing": return `${Kind} · ringing…`;
    case "active": return `${Kind} · in progress`;
    case "ended": return call.durationSeconds !== null && call.durationSeconds !== undefined
      ? `${Kind} — ${duration(call.durationSeconds)}` : Kind;
    case "missed": return `Missed ${kind}`;
    case "declined": return `${Kind} · declined`;
    case "cancelled": return `${Kind} · cancelled`;
    case "busy": return `${Kind} · busy`;
    default: return Kind;
  }
}

/** The call entry in a message's bubble; `onJoin` when the call is going on without us. */
export function callEntry(m, onJoin) {
  const call = callOf(m);
  const unanswered = ["missed", "declined", "cancelled", "busy"].includes(call.status);
  return h("span", { class: `call-entry call-${call.status}`, dataset: { testid: "call-entry", status: call.status, callId: call.callId } },
    h("span", { class: "call-icon" }, svg(call.status === "missed" ? MISSED : call.media === "video" ? CAMERA : PHONE)),
    h("span", { class: `call-text${unanswered ? " unanswered" : ""}`, text: callText(call) }),
    onJoin ? h("button", { type: "button", class: "link-btn call-join", dataset: { testid: "call-join" }, onclick: onJoin }, "Join") : null);
}
