// Renewal (make before break): when `hello`'s renew says to replace the connection.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { renewPlan } from "../src/heartbeat.js";

describe("renewPlan", () => {
  test("follows hello's renew; absent or unusable is no renewal", () => {
    const cases = [
      [{ renew: { afterSeconds: 6900, maxSeconds: 7200 } }, { afterMs: 6900000, maxMs: 7200000 }],
      [{ renew: { afterSeconds: 3, maxSeconds: 4 } }, { afterMs: 3000, maxMs: 4000 }],
      [{ renew: { afterSeconds: 0.5, maxSeconds: 0.75 } }, { afterMs: 500, maxMs: 750 }],
      [{}, null],
      [{ renew: null }, null],
      [{ renew: { afterSeconds: 6900 } }, null],
      [{ renew: { afterSeconds: 0, maxSeconds: 7200 } }, null],
      [{ renew: { afterSeconds: "6900", maxSeconds: 7200 } }, null],
      [{ renew: { afterSeconds: 7200, maxSeconds: 7200 } }, null],
      [null, null],
    ];
    for (const [hello, plan] of cases) assert.deepEqual(renewPlan(hello), plan, JSON.stringify(hello));
  });
});
