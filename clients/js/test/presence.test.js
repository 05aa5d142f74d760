// chatPresence() and onlineMembers() against a scripted server (test/support/scripted.js):
// the pages of a large chat, which the emulator's small chats never make.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { connected, greetAgain, waitFor } from "./support/scripted.js";

const opened = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** A page of a large chat's online members. */
function page(users, cursor, onlineCount) {
  return { announced: false, onlineCount, users: users.map(([userId, status]) => ({ userId, status })), cursor };
}

/** Answer every chat:presence `ws` is sent with the page of its cursor; resolves with the frames. */
async function answerPages(ws, pages, count) {
  const answered = new Set();
  for (let n = 1; n <= count; n++) {
    const frame = await waitFor(() => ws.sent.find((f) => f.action === "chat:presence" && !answered.has(f)),
      `chat:presence #${n}`);
    answered.add(frame);
    ws.push("ack", { chatId: frame.data.chatId, ...pages[frame.data.cursor ?? ""] }, frame.requestId);
  }
  return [...answered];
}

test("chatPresence sends the chat, and the cursor only when given", async () => {
  const { client, ws } = await connected(opened);
  const first = page([["ann", "online"]], "17", 2);
  const pages = { "": first, 17: page([], null, 2) };
  const answering = answerPages(ws, pages, 2);
  assert.deepEqual(await client.chatPresence("big"), { chatId: "big", ...first });
  assert.equal((await client.chatPresence("big", "17")).cursor, null);
  const sent = await answering;
  assert.deepEqual(sent.map((f) => f.data), [{ chatId: "big" }, { chatId: "big", cursor: "17" }]);
});

test("onlineMembers follows the cursor to its end and joins the pages, each user once", async () => {
  const { client, ws } = await connected(opened);
  const pages = {
    "": page([["ann", "online"], ["bob", "online"]], "5", 3),
    5: page([], "9", 3), // SSCAN may answer an empty page before the end
    9: page([["bob", "away"], ["cy", "busy"]], null, 3), // and repeat a member
  };
  const answering = answerPages(ws, pages, 3);
  const everyone = await client.onlineMembers("big");
  assert.deepEqual(everyone, {
    chatId: "big",
    announced: false,
    onlineCount: 3,
    users: [{ userId: "ann", status: "online" }, { userId: "bob", status: "away" }, { userId: "cy", status: "busy" }],
    cursor: null,
  });
  assert.deepEqual((await answering).map((f) => f.data.cursor), [undefined, "5", "9"]);
});

test("onlineMembers ends at a degraded page and says so", async () => {
  const { client, ws } = await connected(opened);
  const pages = { "": page([["ann", "online"]], "5", 250), 5: { ...page([], null, null), degraded: true } };
  const answering = answerPages(ws, pages, 2);
  const everyone = await client.onlineMembers("big");
  assert.equal(everyone.degraded, true);
  assert.equal(everyone.onlineCount, null);
  assert.deepEqual(everyone.users, [{ userId: "ann", status: "online" }]);
  assert.equal((await answering).length, 2);
});

test("chatPresence asked while offline waits for the next connection (queue)", async () => {
  const { client, ws, sockets } = await connected(opened);
  ws.drop();
  const asking = client.chatPresence("big");
  assert.ok(!ws.sent.some((f) => f.action === "chat:presence"), "nothing goes out on a dropped socket");
  const { ws: ws2, sync } = await greetAgain(client, sockets, 1);
  ws2.push("ack", { chats: { c1: { messages: [], hasMore: false } }, unknown: [] }, sync.requestId);
  await answerPages(ws2, { "": page([["ann", "online"]], null, 1) }, 1);
  assert.deepEqual((await asking).users, [{ userId: "ann", status: "online" }]);
});
