// A WebSocket the test plays the server of, for tests that need frames the emulator would
// not send (out of order, twice, a sync answer that races an ack): frames sent are
// recorded, frames pushed are delivered at once, as a socket's message event would be.

import { SwitchboardClient } from "../../src/index.js";

/** A scripted WebSocket class and the sockets it opened, in order. */
export function scripted() {
  const sockets = [];
  class ScriptedSocket {
    constructor(url) {
      this.url = url;
      this.sent = [];
      sockets.push(this);
      setTimeout(() => this.onopen?.({}), 0);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    close(code, reason) {
      this.closed = true;
      this.closeCode = code;
      this.closeReason = reason;
    }
    /** A server frame: an event, or with `requestId` an answer. */
    push(event, data, requestId) {
      this.onmessage?.({ data: JSON.stringify(requestId === undefined ? { event, data } : { event, requestId, data }) });
    }
    /** The network goes away. */
    drop() {
      this.onclose?.({ code: 1006, reason: "" });
    }
    /** The first frame sent with this action (waits for it). */
    sentAction(action) {
      return waitFor(() => this.sent.find((f) => f.action === action), action);
    }
  }
  return { sockets, ScriptedSocket };
}

/** The first truthy value of `probe`, polled every millisecond (at most 2 s). */
export async function waitFor(probe, what) {
  for (let i = 0; i < 2000; i++) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * A client on a scripted socket, greeted as `alice` in `chats` (plus the fields of
 * `hello`, e.g. a keepAlive), first catch-up done. `opened` collects it, for the test file to close it afterwards (a client left open
 * keeps the process alive).
 * @returns {Promise<{client: SwitchboardClient, ws: any, sockets: any[]}>}
 */
export async function connected(opened, { chats = ["c1"], hello: greeting = {}, ...options } = {}) {
  const { sockets, ScriptedSocket } = scripted();
  const client = new SwitchboardClient({ url: "ws://scripted/test", token: "t", WebSocket: ScriptedSocket,
                                         initialDelayMs: 5, maxDelayMs: 10, renewDrainMs: 0, ...options });
  opened.push(client);
  const synced = new Promise((resolve) => client.on("synced", resolve));
  client.connect();
  const ws = await waitFor(() => sockets[0], "the socket");
  const hello = await ws.sentAction("hello");
  ws.push("connection:success", { connectionId: "k1", userId: "alice", chats, heartbeatSeconds: 65, ...greeting },
          hello.requestId);
  await synced;
  return { client, ws, sockets };
}

/** Greet a reconnect's socket (with the fields of `greeting` too); resolves with its `sync` frame. */
export async function greetAgain(client, sockets, index, chats = ["c1"], greeting = {}) {
  const ws = await waitFor(() => sockets[index], "the reconnect");
  const hello = await ws.sentAction("hello");
  ws.push("connection:success", { connectionId: `k${index + 1}`, userId: "alice", chats, ...greeting }, hello.requestId);
  return { ws, sync: await ws.sentAction("sync") };
}
