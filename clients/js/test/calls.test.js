// Calls against the real emulator: the typed helpers, who hears what (docs/protocol.md,
// Calls), and the calls the client holds (activeCalls()), learned from acks and forgotten
// when a call is over. Waits end on events, each bounded by SWITCHBOARD_TEST_TIMEOUT.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ErrorCode } from "../src/index.js";
import { TIMEOUT_MS, within } from "./support/emulator.js";
import { useStage } from "./support/stage.js";

const stage = useStage({
  chatName: "calls",
});
const { users, createChat, client, next, record } = stage;

const refusal = (promise, what) => within(promise.then(() => null, (error) => error), what);

describe("calls", { timeout: 4 * TIMEOUT_MS }, () => {
  test("invite rings both devices; one answers, the other hears so; signals and screen relayed; leave ends it", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const b1 = client(bob);
    const b2 = client(bob);
    await within(Promise.all([a.connect(), b1.connect(), b2.connect()]), "the greetings");
    const signalsOnB2 = record(b2, "call:signal");

    const ringing = [b1, b2].map((b, i) => next(b, "call:ringing", (r) => r.chatId === chatId, `ringing on device ${i + 1}`));
    const invited = await within(a.inviteCall(chatId, { media: "video" }), "the invite's ack");
    assert.equal(invited.call.status, "ringing");
    assert.equal(invited.call.inviter, alice);
    assert.deepEqual(invited.call.ringing, [bob]);
    assert.deepEqual(invited.busy, []);
    assert.equal(typeof invited.peerId, "string");
    assert.ok(Array.isArray(invited.iceServers));
    const callId = invited.call.callId;
    assert.deepEqual(a.activeCalls(), [{ callId, chatId, peerId: invited.peerId, answered: false }]);
    for (const ring of await Promise.all(ringing)) {
      assert.deepEqual({ callId: ring.callId, from: ring.from, media: ring.media }, { callId, from: alice, media: "video" });
    }

    const elsewhere = next(b2, "call:answered-elsewhere", (e) => e.callId === callId);
    const joinedOnA = next(a, "call:joined", (j) => j.callId === callId);
    const accepted = await within(b1.acceptCall(callId), "the accept's ack");
    assert.equal(accepted.call.status, "active");
    // call.peers lists every peer, the joiner's own included (offers go to the others).
    assert.deepEqual(accepted.call.peers.map((p) => p.peerId).sort(), [invited.peerId, accepted.peerId].sort());
    assert.equal((await elsewhere).userId, bob);
    assert.deepEqual((await joinedOnA).peer, { peerId: accepted.peerId, userId: bob, screen: false });
    assert.deepEqual(b1.activeCalls().map((c) => [c.callId, c.peerId]), [[callId, accepted.peerId]]);
    assert.deepEqual(b2.activeCalls(), []);
    assert.equal(a.activeCalls()[0].answered, true);

    // The joiner offers to each peer of its ack; the answer comes back; then a candidate.
    const offer = next(a, "call:signal", (s) => s.kind === "offer");
    const sent = await within(b1.signal(callId, invited.peerId, "offer", { sdp: "v=0 offer", type: "offer" }), "the offer's ack");
    assert.deepEqual(sent, { callId, to: invited.peerId, delivered: true });
    assert.deepEqual(await offer, { callId, from: accepted.peerId, fromUserId: bob, kind: "offer",
                                    payload: { sdp: "v=0 offer", type: "offer" } });
    const answer = next(b1, "call:signal", (s) => s.kind === "answer");
    await within(a.signal(callId, accepted.peerId, "answer", { sdp: "v=0 answer" }), "the answer's ack");
    assert.equal((await answer).from, invited.peerId);
    const candidate = { candidate: "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    const gotCandidate = next(a, "call:signal", (s) => s.kind === "candidate");
    await within(b1.signal(callId, invited.peerId, "candidate", candidate), "the candidate's ack");
    assert.deepEqual((await gotCandidate).payload, candidate);

    const screen = next(a, "call:screen", (s) => s.callId === callId);
    const shared = await within(b1.shareScreen(callId, true), "the screen's ack");
    assert.deepEqual(shared, { callId, peerId: accepted.peerId, userId: bob, sharing: true });
    assert.deepEqual(await screen, shared);

    // The device that did not answer is no peer: it cannot signal.
    const stray = await refusal(b2.signal(callId, invited.peerId, "offer", { sdp: "x" }), "b2's refusal");
    assert.equal(stray?.code, ErrorCode.FORBIDDEN);

    const leftOnB = next(b1, "call:left", (l) => l.callId === callId);
    const endedOnB = next(b1, "call:ended", (e) => e.callId === callId);
    const left = await within(a.leaveCall(callId), "the leave's ack");
    assert.deepEqual(left, { callId, peerId: invited.peerId, userId: alice, reason: "left", ended: true });
    assert.deepEqual(a.activeCalls(), []);
    assert.deepEqual(await leftOnB, { callId, peerId: invited.peerId, userId: alice, reason: "left" });
    const ended = await endedOnB;
    assert.equal(ended.reason, "ended");
    assert.equal(ended.chatId, chatId);
    assert.equal(typeof ended.durationSeconds, "number");
    assert.deepEqual(b1.activeCalls(), [], "forgotten on call:ended");
    assert.deepEqual(signalsOnB2, [], "signals go to the one peer named");
    // A second leave: not_found (the call is over for this client).
    const again = await refusal(a.leaveCall(callId), "the second leave");
    assert.equal(again?.code, ErrorCode.NOT_FOUND);
  });

  test("decline: the caller hears it and the call ends (forgotten); cancel stops the ringing", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const b1 = client(bob);
    const b2 = client(bob);
    await within(Promise.all([a.connect(), b1.connect(), b2.connect()]), "the greetings");

    let rings = next(b1, "call:ringing", (r) => r.chatId === chatId);
    const first = await within(a.inviteCall(chatId, { media: "audio", userIds: [bob] }), "the invite's ack");
    await rings;
    const declinedOnA = next(a, "call:declined", (d) => d.callId === first.call.callId);
    const declinedOnB2 = next(b2, "call:declined", (d) => d.callId === first.call.callId);
    const endedOnA = next(a, "call:ended", (e) => e.callId === first.call.callId);
    assert.deepEqual(await within(b1.declineCall(first.call.callId), "the decline's ack"),
                     { callId: first.call.callId, userId: bob });
    assert.equal((await declinedOnA).userId, bob);
    await declinedOnB2;
    assert.equal((await endedOnA).reason, "declined");
    assert.deepEqual(a.activeCalls(), [], "forgotten on call:ended");

    rings = next(b2, "call:ringing", (r) => r.chatId === chatId);
    const second = await within(a.inviteCall(chatId, { media: "audio" }), "the second invite's ack");
    await rings;
    const cancelled = next(b2, "call:cancelled", (c) => c.callId === second.call.callId);
    assert.deepEqual(await within(a.cancelCall(second.call.callId), "the cancel's ack"),
                     { callId: second.call.callId, chatId });
    assert.deepEqual(await cancelled, { callId: second.call.callId, chatId });
    assert.deepEqual(a.activeCalls(), []);
    const late = await refusal(b1.acceptCall(second.call.callId), "a late accept");
    assert.equal(late?.code, ErrorCode.NOT_FOUND);
  });
});
