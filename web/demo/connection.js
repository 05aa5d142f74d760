// The connection UI: the status line, the banner (reconnecting with a countdown, back
// online, caught up), and toasts.

import { $, h } from "./dom.js";
import { app } from "./state.js";

export function showBanner(kind, text, hideAfterMs) {
  clearTimeout(app.bannerTimer);
  const el = $("#banner");
  el.className = `banner banner-${kind}`;
  el.hidden = false;
  el.replaceChildren(...(Array.isArray(text) ? text : [text]));
  if (hideAfterMs) app.bannerTimer = setTimeout(() => { el.hidden = true; }, hideAfterMs);
}

let countdown = null;

export function renderBanner() {
  const c = app.connection;
  const dot = $("#conn-dot");
  dot.className = `conn-dot conn-${c.state}`;
  $("#conn-text").textContent = { open: "Connected", connecting: "Connecting…", reconnecting: "Reconnecting…",
                                  closed: "Disconnected", idle: "Starting…" }[c.state] || c.state;
  clearInterval(countdown);
  if (c.state === "reconnecting") {
    const draw = () => {
      const secs = c.retryAt ? Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000)) : 0;
      showBanner("offline", [
        h("span", { class: "spinner" }),
        h("span", { class: "banner-text", text: secs > 0
          ? `Connection lost. Reconnecting in ${secs} s…` : "Connection lost. Reconnecting…" }),
        h("button", { type: "button", class: "link-btn", onclick: () => app.client?.reconnect(), text: "Retry now" }),
      ]);
    };
    draw();
    if (c.retryAt) countdown = setInterval(draw, 500);
  } else if (c.state === "connecting") {
    showBanner("connecting", [h("span", { class: "spinner" }), h("span", { class: "banner-text", text: "Connecting…" })]);
  } else if (c.state === "open" && app.wasDown) {
    showBanner("online", [h("span", { class: "spinner" }), h("span", { class: "banner-text", text: "Reconnected · catching up…" })]);
  } else if (c.state === "open" && $("#banner").classList.contains("banner-connecting")) {
    $("#banner").hidden = true;
  } else if (c.state === "closed") {
    showBanner("offline", [h("span", { class: "banner-text", text: "Disconnected." })]);
  }
}

export function toast(text) {
  const el = h("div", { class: "toast", role: "alert", text });
  document.body.append(el);
  setTimeout(() => el.classList.add("out"), 3500);
  setTimeout(() => el.remove(), 4000);
}
