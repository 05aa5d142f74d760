// The keep-alive against a scripted server (test/support/scripted.js): a server that
// announces `keepAlive` gets one-way pings at its interval (no requestId, nothing
// awaited, no heartbeat timer), the interval following each new greeting, a failed send
// costing the connection and nothing else; an older server gets acked heartbeats as
// before; heartbeatIntervalMs overrides either interval.
// The keep-alive timer (setInterval) runs on node:test's fake clock, so the real 540 s
// interval is used as is; everything else (open, reconnect, request timeouts) is real.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { keepAlivePlan } from "../src/heartbeat.js";
import { Action } from "../src/index.js";
import { connected, greetAgain, waitFor } from "./support/scripted.js";

const PING = { action: "ping", intervalSeconds: 540 };
const opened = [];

beforeEach(() => {
  mock.timers.enable({ apis: ["setInterval"] });
});

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
  mock.timers.reset();
});

/** The frames of `action` a socket was sent. */
function sent(ws, action) {
  return ws.sent.filter((frame) => frame.action === action);
}

describe("keepAlivePlan", () => {
  test("follows hello; the option overrides the interval; an unusable keepAlive is ignored", () => {
    const cases = [
      [{ keepAlive: PING, heartbeatSeconds: 65 }, undefined, { intervalMs: 540000, ping: "ping" }],
      [{ keepAlive: PING, heartbeatSeconds: 65 }, 30000, { intervalMs: 30000, ping: "ping" }],
      [{ keepAlive: { ...PING, intervalSeconds: 0.5 } }, undefined, { intervalMs: 500, ping: "ping" }],
      [{ heartbeatSeconds: 90 }, undefined, { intervalMs: 90000, ping: null }],
      [{ heartbeatSeconds: 300 }, 30000, { intervalMs: 30000, ping: null }],
      [{}, undefined, { intervalMs: 65000, ping: null }],
      [{ keepAlive: { action: "ping" }, heartbeatSeconds: 90 }, undefined, { intervalMs: 90000, ping: null }],
      [{ keepAlive: { ...PING, intervalSeconds: 0 } }, undefined, { intervalMs: 65000, ping: null }],
      [{ keepAlive: { ...PING, intervalSeconds: "540" } }, undefined, { intervalMs: 65000, ping: null }],
      [{ keepAlive: { ...PING, action: "" } }, undefined, { intervalMs: 65000, ping: null }],
      [{ keepAlive: null, heartbeatSeconds: "65" }, undefined, { intervalMs: 65000, ping: null }],
    ];
    for (const [hello, overrideMs, plan] of cases) {
      assert.deepEqual(keepAlivePlan(hello, overrideMs), plan, JSON.stringify([hello, overrideMs]));
    }
  });

  test("in a browser page (timers a hidden tab may run a minute late) pings go a minute early", () => {
    const cases = [
      [{ keepAlive: PING }, undefined, { intervalMs: 480000, ping: "ping" }],
      [{ keepAlive: { ...PING, intervalSeconds: 90 } }, undefined, { intervalMs: 45000, ping: "ping" }],
      [{ keepAlive: PING }, 30000, { intervalMs: 30000, ping: "ping" }], // the option wins
      [{ heartbeatSeconds: 90 }, undefined, { intervalMs: 90000, ping: null }], // acked: a late one is noticed
    ];
    for (const [hello, overrideMs, plan] of cases) {
      assert.deepEqual(keepAlivePlan(hello, overrideMs, true), plan, JSON.stringify([hello, overrideMs]));
    }
  });
});

test("pings go out at the announced interval, unanswered, and no heartbeat timer runs", async () => {
  const { client, ws } = await connected(opened, { hello: { keepAlive: PING } });
  const heartbeats = [];
  client.on("heartbeat", (ack) => heartbeats.push(ack));
  assert.deepEqual(client.keepAlive, { intervalMs: 540000, ping: "ping" });

  mock.timers.tick(539999);
  assert.equal(sent(ws, Action.PING).length, 0);
  mock.timers.tick(1);
  assert.equal(sent(ws, Action.PING).length, 1);
  mock.timers.tick(2 * 540000);
  // Exactly {"action": "ping"}: no requestId, no data; nothing waits for an answer.
  assert.deepEqual(sent(ws, Action.PING), [{ action: "ping" }, { action: "ping" }, { action: "ping" }]);
  assert.equal(client._requests.pending.size, 0);
  assert.deepEqual(sent(ws, Action.PRESENCE_HEARTBEAT), []);
  assert.deepEqual(heartbeats, []);
  assert.equal(client.state, "open");
  assert.equal(ws.closed, undefined);
});

test("without keepAlive the client heartbeats as before, at heartbeatSeconds", async () => {
  const { client, ws } = await connected(opened, { hello: { heartbeatSeconds: 90 } });
  assert.deepEqual(client.keepAlive, { intervalMs: 90000, ping: null });
  const acked = new Promise((resolve) => client.on("heartbeat", resolve));

  mock.timers.tick(89999);
  assert.equal(sent(ws, Action.PRESENCE_HEARTBEAT).length, 0);
  mock.timers.tick(1);
  const [beat] = sent(ws, Action.PRESENCE_HEARTBEAT);
  assert.ok(beat.requestId);
  const ack = { ttlSeconds: 180, heartbeatSeconds: 90, presence: "ok" };
  ws.push("ack", ack, beat.requestId);
  assert.deepEqual(await acked, ack);
  assert.deepEqual(sent(ws, Action.PING), []);
});

test("the interval and the frame follow each new greeting", async () => {
  const { client, ws, sockets } = await connected(opened, { hello: { keepAlive: PING } });
  mock.timers.tick(540000);
  assert.equal(sent(ws, Action.PING).length, 1);

  // The next connection's hello says 300 s.
  ws.drop();
  const { ws: second } = await greetAgain(client, sockets, 1, ["c1"],
                                          { keepAlive: { action: "ping", intervalSeconds: 300 } });
  assert.deepEqual(client.keepAlive, { intervalMs: 300000, ping: "ping" });
  mock.timers.tick(300000);
  assert.deepEqual(sent(second, Action.PING), [{ action: "ping" }]);
  assert.equal(sent(ws, Action.PING).length, 1); // the old socket's timer is gone

  // Then a server without keepAlive (and without heartbeatSeconds): heartbeats every 65 s.
  second.drop();
  const { ws: third } = await greetAgain(client, sockets, 2);
  assert.deepEqual(client.keepAlive, { intervalMs: 65000, ping: null });
  mock.timers.tick(65000);
  assert.equal(sent(third, Action.PRESENCE_HEARTBEAT).length, 1);
  assert.deepEqual(sent(third, Action.PING), []);
  assert.equal(sent(second, Action.PING).length, 1);
});

for (const [announced, action] of [[PING, Action.PING], [undefined, Action.PRESENCE_HEARTBEAT]]) {
  test(`heartbeatIntervalMs overrides the announced interval (${action})`, async () => {
    const { ws } = await connected(opened, { heartbeatIntervalMs: 30000, hello: { keepAlive: announced } });
    mock.timers.tick(29999);
    assert.equal(sent(ws, action).length, 0);
    mock.timers.tick(1);
    assert.equal(sent(ws, action).length, 1);
  });
}

test("a ping the socket refuses drops the connection and throws nothing", async () => {
  const { client, ws, sockets } = await connected(opened, { hello: { keepAlive: PING } });
  const dropped = new Promise((resolve) => client.on("state", (s) => { if (s.state === "reconnecting") resolve(s); }));
  ws.send = () => { throw new Error("socket gone"); };
  mock.timers.tick(540000); // would throw here if the ping did
  const change = await dropped;
  assert.match(change.reason, /keep-alive not sent/);
  assert.ok(ws.closed);
  const { ws: next } = await greetAgain(client, sockets, 1, ["c1"], { keepAlive: PING });
  assert.equal(client.state, "open");
  mock.timers.tick(540000);
  assert.deepEqual(sent(next, Action.PING), [{ action: "ping" }]);
});

test("heartbeat() stays an explicit, acked check when the timer pings", async () => {
  const { client, ws } = await connected(opened, { hello: { keepAlive: PING } });
  const answer = client.heartbeat();
  const beat = await waitFor(() => sent(ws, Action.PRESENCE_HEARTBEAT)[0], "the heartbeat");
  const ack = { ttlSeconds: 1200, heartbeatSeconds: 65, presence: "ok" };
  ws.push("ack", ack, beat.requestId);
  assert.deepEqual(await answer, ack);
});
