// Signing in and out: the user picker, the token, the client for that user.

import { SwitchboardClient } from "@switchboard/client";

import { openChat } from "./actions.js";
import { avatar } from "./avatars.js";
import { toast } from "./connection.js";
import { loadChats } from "./data.js";
import { $, h } from "./dom.js";
import { mintToken } from "./http.js";
import { listenToCalls } from "./calls.js";
import { listenTo } from "./live.js";
import { render } from "./render.js";
import { app, RECENT_KEY, sortedChats, SUGGESTED, USER_KEY } from "./state.js";

export function recentUsers() {
  try {
    return JSON.parse(localStorage.getItem(RECENT_KEY) || "[]").filter((u) => typeof u === "string");
  } catch {
    return [];
  }
}

export function showLogin(error) {
  $("#shell").hidden = true;
  $("#login").hidden = false;
  const grid = $("#user-grid");
  grid.replaceChildren();
  const users = [...new Set([...SUGGESTED, ...recentUsers()])].slice(0, 8);
  for (const userId of users) {
    grid.append(h("button", { class: "user-tile", type: "button", dataset: { user: userId },
                              onclick: () => signIn(userId) },
      avatar(userId, { size: "lg" }), h("span", { class: "user-tile-name", text: userId })));
  }
  const err = $("#login-error");
  err.hidden = !error;
  err.textContent = error || "";
}

export async function signIn(userId) {
  try {
    app.token = await mintToken(userId);
  } catch (error) {
    showLogin(`Could not sign in as ${userId}: ${error.message}`);
    return;
  }
  app.me = userId;
  sessionStorage.setItem(USER_KEY, userId);
  localStorage.setItem(RECENT_KEY, JSON.stringify([userId, ...recentUsers().filter((u) => u !== userId)].slice(0, 8)));
  const url = new URL(location.href);
  if (url.searchParams.get("user") !== userId) {
    url.searchParams.set("user", userId);
    history.replaceState(null, "", url);
  }
  document.title = `${userId} · Switchboard`;
  $("#login").hidden = true;
  $("#shell").hidden = false;
  $("#me-name").textContent = userId;

  const client = (app.client = new SwitchboardClient({
    url: app.config.websocketUrl,
    restUrl: app.config.restUrl,
    // Fresh token for every connection attempt (they last 12 hours).
    token: async () => (app.token = await mintToken(userId)),
    // The conversation is drawn from the client's lists: keep all the history scrolled back to.
    messageLimit: Infinity,
  }));
  listenTo(client);
  listenToCalls(client);
  render();
  try {
    await loadChats();
  } catch (error) {
    toast(`Could not load your chats: ${error.message}`);
  }
  client.connect();
  const wanted = new URL(location.href).searchParams.get("chat");
  const first = (wanted && app.chats.has(wanted) && wanted) || sortedChats()[0]?.id;
  if (first) openChat(first);
}

export function signOut() {
  app.client?.close();
  sessionStorage.removeItem(USER_KEY);
  const url = new URL(location.href);
  url.searchParams.delete("user");
  url.searchParams.delete("chat");
  location.replace(url);
}
