// Resuming against a scripted server (test/support/scripted.js): races the emulator does
// not produce on demand.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { connected, greetAgain } from "./support/scripted.js";

const opened = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

test("a send whose answer was lost: the catch-up finds its message, which is not delivered back to its sender", async () => {
  const { client, ws, sockets } = await connected(opened);
  const delivered = [];
  client.on("message", (m) => delivered.push(m.id));
  const sending = client.send("c1", "hello", { clientMessageId: "m-1" });
  await ws.sentAction("message:send");
  ws.drop(); // stored, but the answer is lost

  const { ws: ws2, sync } = await greetAgain(client, sockets, 1);
  const resent = await ws2.sentAction("message:send");
  assert.equal(resent.data.clientMessageId, "m-1");
  const stored = { id: "01K000000000000000000000002", chatId: "c1", senderId: "alice", body: "hello",
                   createdAt: "2026-05-01T10:00:00.000Z", clientMessageId: "m-1", version: 1 };
  const theirs = { ...stored, id: "01K000000000000000000000001", senderId: "bob", clientMessageId: "b-1" };
  const synced = new Promise((resolve) => client.on("synced", resolve));
  // The sync answers before the resend does: it holds the stored message.
  ws2.push("ack", { chats: { c1: { messages: [theirs, stored], hasMore: false } }, unknown: [] }, sync.requestId);
  assert.equal((await synced).delivered, 1);
  ws2.push("ack", stored, resent.requestId);
  assert.deepEqual(await sending, stored);
  assert.deepEqual(delivered, [theirs.id], "only Bob's message; ours is the send's answer");
  ws2.push("message:new", stored); // and a late copy of it changes nothing
  assert.deepEqual(delivered, [theirs.id]);
});
