// Rendering: one render() of every part, batched to the next animation frame.

import { avatar } from "./avatars.js";
import { renderCall } from "./callview.js";
import { renderChatList } from "./chats.js";
import { renderBanner } from "./connection.js";
import { $ } from "./dom.js";
import { renderDetails } from "./members.js";
import { renderConversation } from "./messages.js";
import { app } from "./state.js";

let renderQueued = false;

export function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

export function renderMe() {
  const status = app.connection.state === "open" ? app.presence.get(app.me)?.status || "online" : "offline";
  const wrap = $("#me-avatar");
  if (wrap.dataset.status !== status) {
    wrap.dataset.status = status;
    wrap.replaceChildren(avatar(app.me, { size: "md", status }));
  }
}

export function render(options = {}) {
  if (!app.me) return;
  renderMe();
  renderChatList();
  renderConversation(options);
  renderDetails();
  renderBanner();
  renderCall();
  const unread = [...app.chats.values()].reduce((n, c) => n + (c.unread || 0), 0);
  document.title = `${unread ? `(${unread}) ` : ""}${app.me} · Switchboard`;
}
