// The call helpers' policy against a scripted server (test/support/scripted.js), for what
// the emulator cannot be made to do on cue: which calls are held and forgotten, what is
// resent after a drop and what is not, and the order on the next connection (the rejoin
// first, then what waited for it).

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Action, Event, LocalErrorCode } from "../src/index.js";
import { connected, greetAgain, waitFor } from "./support/scripted.js";

const opened = [];
afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

const call = (status, peers = []) => ({ callId: "k-call", chatId: "c1", media: "audio", inviter: "alice", status,
                                        createdAt: "2026-12-01T00:00:00.000Z", answeredAt: null, ringing: ["bob"], peers });

/** The frames of `action` sent on `ws`, once there are `count` of them. */
const sentOf = (ws, action, count = 1) =>
  waitFor(() => { const f = ws.sent.filter((x) => x.action === action); return f.length >= count && f; }, action);

/** Alice invites; the scripted server acks with her peer p-a. */
async function invited(client, ws) {
  const before = ws.sent.filter((x) => x.action === Action.CALL_INVITE).length;
  const inviting = client.inviteCall("c1", { media: "audio" });
  const frame = (await sentOf(ws, Action.CALL_INVITE, before + 1))[before];
  ws.push(Event.ACK, { call: call("ringing"), peerId: "p-a", iceServers: [], busy: [] }, frame.requestId);
  return inviting;
}

test("call:missed forgets a call nobody answered; an answered group call is kept (call:ended forgets it)", async () => {
  const { client, ws } = await connected(opened);
  await invited(client, ws);
  assert.deepEqual(client.activeCalls().map((c) => c.peerId), ["p-a"]);
  ws.push(Event.CALL_MISSED, { callId: "k-call", chatId: "c1", userIds: ["bob"] });
  assert.deepEqual(client.activeCalls(), []);

  await invited(client, ws);
  ws.push(Event.CALL_JOINED, { callId: "k-call", peer: { peerId: "p-b", userId: "bob", screen: false } });
  ws.push(Event.CALL_MISSED, { callId: "k-call", chatId: "c1", userIds: ["carol"] });
  assert.equal(client.activeCalls().length, 1, "answered: carol's miss does not end it");
  ws.push(Event.CALL_ENDED, { callId: "k-call", chatId: "c1", reason: "ended", durationSeconds: 3 });
  assert.deepEqual(client.activeCalls(), []);
});

test("offline: signal and invite fail at once; decline waits and goes out after the reconnect", async () => {
  const { client, ws, sockets } = await connected(opened);
  await invited(client, ws);
  ws.drop();
  await assert.rejects(client.signal("k-call", "p-b", "candidate", {}), (e) => e.code === LocalErrorCode.DISCONNECTED);
  await assert.rejects(client.inviteCall("c1", { media: "audio" }), (e) => e.code === LocalErrorCode.DISCONNECTED);
  const declining = client.declineCall("k-other");
  const { ws: next } = await greetAgain(client, sockets, 1);
  const [rejoin] = await sentOf(next, Action.CALL_REJOIN);
  assert.deepEqual(rejoin.data, { callId: "k-call", peerId: "p-a" });
  const [decline] = await sentOf(next, Action.CALL_DECLINE);
  next.push(Event.ACK, { callId: "k-other", userId: "alice" }, decline.requestId);
  assert.deepEqual(await declining, { callId: "k-other", userId: "alice" });
});

test("a decline whose answer is lost in a drop is resent; a signal is not", async () => {
  const { client, ws, sockets } = await connected(opened);
  await invited(client, ws);
  const declining = client.declineCall("k-other");
  const signalling = client.signal("k-call", "p-b", "offer", { sdp: "v=0" });
  await sentOf(ws, Action.CALL_DECLINE);
  await sentOf(ws, Action.CALL_SIGNAL);
  ws.drop();
  await assert.rejects(signalling, (e) => e.code === LocalErrorCode.DISCONNECTED);
  const { ws: next } = await greetAgain(client, sockets, 1);
  const [decline] = await sentOf(next, Action.CALL_DECLINE);
  next.push(Event.ACK, { callId: "k-other", userId: "alice" }, decline.requestId);
  await declining;
  assert.equal(next.sent.filter((f) => f.action === Action.CALL_SIGNAL).length, 0);
});

test("a rejoin refused (the grace passed): client:call-lost, the call forgotten, a leave waiting for it rejects", async () => {
  const { client, ws, sockets } = await connected(opened);
  await invited(client, ws);
  const failures = [];
  client.on("client:call-lost", (f) => failures.push(f));
  ws.drop();
  const leaving = client.leaveCall("k-call"); // offline: waits for the rejoin
  const { ws: next } = await greetAgain(client, sockets, 1);
  const [rejoin] = await sentOf(next, Action.CALL_REJOIN);
  next.push(Event.ERROR, { code: "not_found", message: "no such peer of yours in this call" }, rejoin.requestId);
  await assert.rejects(leaving, (e) => e.code === "not_found");
  assert.deepEqual(failures.map((f) => [f.callId, f.peerId, f.error.code]), [["k-call", "p-a", "not_found"]]);
  assert.deepEqual(client.activeCalls(), []);
  assert.equal(next.sent.filter((f) => f.action === Action.CALL_LEAVE).length, 0, "nothing to leave");
});

test("a signal made while the call is being rejoined waits for the rejoin's answer", async () => {
  const { client, ws, sockets } = await connected(opened);
  await invited(client, ws);
  ws.drop();
  const { ws: next } = await greetAgain(client, sockets, 1);
  const [rejoin] = await sentOf(next, Action.CALL_REJOIN);
  const signalling = client.signal("k-call", "p-b", "offer", { sdp: "v=0" });
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(next.sent.filter((f) => f.action === Action.CALL_SIGNAL).length, 0, "held back");
  next.push(Event.ACK, { call: call("active"), peerId: "p-a", iceServers: [] }, rejoin.requestId);
  const [signal] = await sentOf(next, Action.CALL_SIGNAL);
  next.push(Event.ACK, { callId: "k-call", to: "p-b", delivered: true }, signal.requestId);
  assert.equal((await signalling).delivered, true);
});
