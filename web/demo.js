// The demo chat page, started: @switchboard/client (clients/js, served at /web/client/)
// for the WebSocket (chat and call signalling), the REST API for chats, history and
// attachment grants (the files go straight to S3), WebRTC for calls, and the emulator's
// development endpoints (/dev/config, /dev/token). Each module of demo/ has one job (see
// its header).

import { maybeMarkRead } from "./demo/actions.js";
import { setupAttachments } from "./demo/attachments.js";
import { setupCallView } from "./demo/callview.js";
import { setupComposer } from "./demo/composer.js";
import { setupDialogs } from "./demo/dialogs.js";
import { renderDetails } from "./demo/members.js";
import { renderHeader } from "./demo/messages.js";
import { showLogin, signIn } from "./demo/session.js";
import { app, USER_KEY } from "./demo/state.js";

async function main() {
  setupComposer();
  setupAttachments();
  setupCallView();
  setupDialogs();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") maybeMarkRead();
  });
  // "last seen 3 min ago" ages; refresh it.
  setInterval(() => {
    const chat = app.chats.get(app.activeId);
    if (chat) {
      renderDetails();
      renderHeader(chat);
    }
  }, 30_000);
  try {
    const response = await fetch("/dev/config");
    app.config = await response.json();
  } catch (error) {
    showLogin(`The emulator did not answer: ${error.message}`);
    return;
  }
  const requested = new URL(location.href).searchParams.get("user") || sessionStorage.getItem(USER_KEY);
  if (requested) await signIn(requested);
  else showLogin();
}

main();
