// One emulator per test file and what every emulator test does with it: fresh users, a
// chat, clients closed after each test, waiting for the next event of a kind. Each test
// file calls `useStage(options)` at its top level; the hooks it registers start the
// emulator before the file's tests and stop it after them.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before } from "node:test";

import { WebSocket } from "ws";

import { Action, SwitchboardClient } from "../../src/index.js";
import { mintToken, startEmulator, TIMEOUT_MS, within } from "./emulator.js";

/**
 * @param {object} [options]
 * @param {object} [options.emulator] startEmulator's options (maxConnectionDuration, parameters)
 * @param {boolean} [options.warmUp] start the function workers first (renewal tests: a
 *   renewal has about a second before a short stage's cut)
 * @param {object} [options.client] defaults of every client made
 * @param {string} [options.chatName]
 */
export function useStage(options = {}) {
  const opened = [];
  const stage = {
    /** @type {any} */
    emulator: undefined,

    /** Fresh user ids per test, so tests never see each other's chats. */
    users(...names) {
      const suffix = randomUUID().slice(0, 8);
      return names.map((name) => `${name}-${suffix}`);
    },

    token(userId) {
      return mintToken(stage.emulator.baseUrl, userId);
    },

    async createChat(creator, members) {
      const response = await fetch(`${stage.emulator.restUrl}/chats`, {
        method: "POST",
        headers: { authorization: `Bearer ${await stage.token(creator)}`,
                   "content-type": "application/json" },
        body: JSON.stringify({ members, name: options.chatName ?? "test chat" }),
      });
      const data = await response.json();
      assert.ok(response.ok, `POST /chats: HTTP ${response.status} ${JSON.stringify(data)}`);
      return data.id;
    },

    /** A client of `userId` (closed after the test). */
    client(userId, clientOptions = {}) {
      const made = new SwitchboardClient({
        url: stage.emulator.websocketUrl,
        restUrl: stage.emulator.restUrl,
        token: () => stage.token(userId),
        WebSocket,
        ...options.client,
        ...clientOptions,
      });
      opened.push(made);
      return made;
    },

    /** The next `event` of `source` whose data satisfies `match`. */
    next(source, event, match = () => true, what = event) {
      return within(new Promise((resolve) => {
        const off = source.on(event, (data) => {
          if (match(data)) {
            off();
            resolve(data);
          }
        });
      }), what);
    },

    /** Everything `source` emits as `event`, from now on. */
    record(source, event) {
      const seen = [];
      source.on(event, (data) => seen.push(data));
      return seen;
    },
  };

  before(async () => {
    stage.emulator = await startEmulator(options.emulator);
    if (options.warmUp) await warmUp(stage.emulator);
  }, { timeout: 6 * TIMEOUT_MS });

  after(async () => {
    await stage.emulator?.stop();
  }, { timeout: 2 * TIMEOUT_MS });

  afterEach(() => {
    for (const client of opened.splice(0)) client.close();
  });

  return stage;
}

/** The emulator's function workers start on first use, slowly on a busy machine. Start a
 *  few of each ($connect, hello, $disconnect) first. */
async function warmUp(emulator) {
  const token = await mintToken(emulator.baseUrl, "warm-up");
  const greet = () => new Promise((resolve) => {
    const ws = new WebSocket(`${emulator.websocketUrl}?token=${encodeURIComponent(token)}`);
    let answers = 0;
    ws.onopen = () => {
      for (let i = 0; i < 4; i++) ws.send(JSON.stringify({ action: Action.HELLO, requestId: `w${i}`, data: {} }));
    };
    ws.onmessage = () => {
      if (++answers === 4) ws.close(1000);
    };
    ws.onclose = resolve;
  });
  for (let round = 0; round < 2; round++) await within(Promise.all([greet(), greet(), greet(), greet()]), "the warm-up");
}
