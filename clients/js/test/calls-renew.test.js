// A call across renewals and reconnects, against an emulator that cuts connections after
// MAX_SECONDS (renewal after 3/4 of it) and drops a vanished peer after GRACE_SECONDS: the
// client rejoins its calls on every new connection by itself, so a renewal or a reconnect
// never takes the user out of the call: signals still reach it, and the other peers never
// hear call:left. A peer whose client is gone (closed, no rejoin) is the control: its
// call:left (dropped) shows the grace period is enforced.
// Waits end on events, each bounded by SWITCHBOARD_TEST_TIMEOUT: no sleeps.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { WebSocket } from "ws";

import { Action } from "../src/index.js";
import { TIMEOUT_MS, within } from "./support/emulator.js";
import { useStage } from "./support/stage.js";
import { recordingSockets } from "./support/sockets.js";

const MAX_SECONDS = 6;
const GRACE_SECONDS = 2;
const stage = useStage({
  emulator: { maxConnectionDuration: MAX_SECONDS,
                                   parameters: { CallGraceSeconds: GRACE_SECONDS } },
  warmUp: true,
  chatName: "call renewals",
  client: {
    initialDelayMs: 50,
    maxDelayMs: 200,
    renewDrainMs: 300,
  },
});
const { users, createChat, client, next, record } = stage;

/** A three-peer call of `alice` (the caller), `bob` and `carol`; each joins its own client. */
async function threeInACall(a, b, c, chatId, [bob, carol]) {
  const rings = [b, c].map((x) => next(x, "call:ringing", (r) => r.chatId === chatId, "the ringing"));
  const invited = await within(a.inviteCall(chatId, { media: "video", userIds: [bob, carol] }), "the invite's ack");
  const callId = invited.call.callId;
  await Promise.all(rings);
  const accepted = [await within(b.acceptCall(callId), "Bob's accept"), await within(c.acceptCall(callId), "Carol's accept")];
  return { callId, peers: [invited.peerId, ...accepted.map((j) => j.peerId)] };
}

describe(`a call against an emulator that cuts connections after ${MAX_SECONDS} s`, { timeout: 4 * TIMEOUT_MS }, () => {
  test("a renewal keeps the call: rejoined before the old connection closes; signals reach the new one; nobody hears call:left", async () => {
    const [alice, bob, carol] = users("alice", "bob", "carol");
    const chatId = await createChat(alice, [bob, carol]);
    const { sockets, RecordingSocket } = recordingSockets();
    const a = client(alice, { WebSocket: RecordingSocket });
    const b = client(bob);
    const c = client(carol);
    await within(Promise.all([a.connect(), b.connect(), c.connect()]), "the greetings");
    const leftOnB = record(b, "call:left");
    const failed = record(a, "client:call-lost");
    const { callId, peers: [peerA, peerB, peerC] } = await threeInACall(a, b, c, chatId, [bob, carol]);

    // Alice's connection is replaced; her call moves with it.
    const rejoined = next(a, "client:call-rejoined", (j) => j.call.callId === callId, "Alice's rejoin");
    const renewed = await next(a, "client:renewed", () => true, "Alice's renewal");
    const joined = await rejoined;
    assert.equal(joined.peerId, peerA, "the same peer");
    const [first, second] = sockets;
    const rejoin = second.sent.find((f) => f.action === Action.CALL_REJOIN);
    assert.deepEqual(rejoin?.data, { callId, peerId: peerA }, "rejoined on the new connection");
    assert.ok(!first.sent.some((f) => f.action === Action.CALL_REJOIN));
    // Closed only now, after the rejoin was answered.
    assert.equal(first.closedWith, null, "the old connection waited for the rejoin");
    await within(first.closing, "the old connection to close");
    assert.equal(a.connectionId, renewed.connectionId);

    // Bob's offer reaches Alice's peer on her new connection (the old one is closed: a
    // peer left on it would not take it), and hers reaches him.
    const offer = next(a, "call:signal", (s) => s.kind === "offer" && s.from === peerB, "Bob's offer");
    const sent = await within(b.signal(callId, peerA, "offer", { sdp: "v=0 after the renewal" }), "the offer's ack");
    assert.equal(sent.delivered, true, "delivered to Alice's connection");
    assert.equal((await offer).payload.sdp, "v=0 after the renewal");
    const answer = next(b, "call:signal", (s) => s.kind === "answer" && s.from === peerA, "Alice's answer");
    await within(a.signal(callId, peerB, "answer", { sdp: "v=0 answer" }), "the answer's ack");
    await answer;

    // The control: Carol's client goes away without a rejoin (after Alice's old connection
    // closed, with the same grace): Bob hears her dropped, and by then Alice's old
    // connection's grace is over too.
    const carolDropped = next(b, "call:left", (l) => l.userId === carol, "Carol's call:left (dropped)");
    c.close();
    const dropped = await carolDropped;
    assert.deepEqual(dropped, { callId, peerId: peerC, userId: carol, reason: "dropped" });
    assert.deepEqual(leftOnB.filter((l) => l.userId === alice), [], "Bob never heard Alice leave");
    assert.deepEqual(failed, []);
    const still = await within(b.signal(callId, peerA, "candidate", { candidate: "" }), "a signal after the grace");
    assert.equal(still.delivered, true, "Alice is still a peer");
    assert.deepEqual(a.activeCalls().map((held) => [held.callId, held.peerId]), [[callId, peerA]]);
  });

  test("a reconnect rejoins too; a leave lost in a drop goes out again once rejoined", async () => {
    const [alice, bob, carol] = users("alice", "bob", "carol");
    const chatId = await createChat(alice, [bob, carol]);
    const { sockets, RecordingSocket } = recordingSockets();
    // A socket that can stop sending (frames recorded, none go out): a network that died.
    class MutableSocket extends RecordingSocket {
      send(text) {
        if (this.mute) this.sent.push(JSON.parse(text));
        else super.send(text);
      }
    }
    const a = client(alice, { WebSocket: MutableSocket });
    const b = client(bob);
    const c = client(carol);
    await within(Promise.all([a.connect(), b.connect(), c.connect()]), "the greetings");
    const leftOnB = record(b, "call:left");
    const { callId, peers: [peerA, peerB] } = await threeInACall(a, b, c, chatId, [bob, carol]);

    // A drop: reconnect, rejoin.
    const rejoined = next(a, "client:call-rejoined", (j) => j.call.callId === callId, "the rejoin");
    const reconnected = next(a, "connected", () => true, "the reconnect");
    a.reconnect();
    await reconnected;
    assert.equal((await rejoined).peerId, peerA);
    const offer = next(a, "call:signal", (s) => s.from === peerB, "Bob's offer");
    assert.equal((await within(b.signal(callId, peerA, "offer", { sdp: "v=0" }), "the offer's ack")).delivered, true);
    await offer;

    // Alice hangs up into a dead connection, which then drops: the leave goes out again on
    // the next connection once the call is rejoined there; Bob hears her leave.
    const dead = sockets[sockets.length - 1];
    dead.mute = true;
    const leftOnBNow = next(b, "call:left", (l) => l.userId === alice, "Alice's call:left");
    const leaving = a.leaveCall(callId);
    assert.ok(dead.sent.some((f) => f.action === Action.CALL_LEAVE), "the leave went out (into the void)");
    a.reconnect();
    const left = await within(leaving, "the leave's ack");
    assert.deepEqual(left, { callId, peerId: peerA, userId: alice, reason: "left", ended: false });
    const after = sockets[sockets.length - 1];
    assert.notEqual(after, dead);
    const order = after.sent.map((f) => f.action).filter((action) => action.startsWith("call:"));
    assert.deepEqual(order, [Action.CALL_REJOIN, Action.CALL_LEAVE], "rejoined first, then left");
    assert.deepEqual(await leftOnBNow, { callId, peerId: peerA, userId: alice, reason: "left" });
    assert.deepEqual(leftOnB.filter((l) => l.userId === alice && l.reason === "dropped"), []);
    assert.deepEqual(a.activeCalls(), []);
  });
});
