// The real emulator for the tests: `switchboard local` (the repository's .venv) on a free
// port, started once per test file, stopped after it. Or an emulator already running:
// SWITCHBOARD_TEST_URL=http://127.0.0.1:3001 (e.g. `make run`).
//
// Every wait derives from one timeout, SWITCHBOARD_TEST_TIMEOUT (seconds, default 30):
// the machine may be slow and shared, so nothing waits a tuned number of milliseconds.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const TIMEOUT_MS = Number(process.env.SWITCHBOARD_TEST_TIMEOUT || 30) * 1000;
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Rejects with `what` after `ms` unless `promise` settles first. */
export function within(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * An emulator to test against: {baseUrl, websocketUrl, restUrl, stop()}. Options change
 * API Gateway's limits: `maxConnectionDuration` (seconds, `--max-connection-duration`;
 * default its 2 hours); and the template's parameters: `parameters` (e.g.
 * {CallRingSeconds: 5, CallGraceSeconds: 2}, `--parameter-overrides`). A test that needs
 * either cannot use SWITCHBOARD_TEST_URL's emulator (its settings are its own): it gets its own.
 * @param {{maxConnectionDuration?: number, parameters?: Record<string, string | number>}} [options]
 * @returns {Promise<{baseUrl: string, websocketUrl: string, restUrl: string, stop: () => Promise<void>}>}
 */
export async function startEmulator({ maxConnectionDuration, parameters = {} } = {}) {
  const given = process.env.SWITCHBOARD_TEST_URL;
  const limits = maxConnectionDuration === undefined ? [] : ["--max-connection-duration", String(maxConnectionDuration)];
  const overrides = Object.entries(parameters).map(([name, value]) => `${name}=${value}`);
  if (given && !limits.length && !overrides.length) return { ...(await configOf(given.replace(/\/$/, ""))), stop: async () => {} };

  const bin = process.env.SWITCHBOARD_BIN || join(ROOT, ".venv", "bin", "switchboard");
  if (!existsSync(bin)) {
    throw new Error(`no emulator at ${bin}: run \`make .venv/.installed\` at the repository root ` +
      "(or set SWITCHBOARD_BIN, or SWITCHBOARD_TEST_URL to a running emulator)");
  }
  // Rate limits out of reach of a test (as tests/conftest.py does); no schedules.
  const rates = ["message", "typing", "heartbeat", "signal", "default"].map((b) => `${b}=100000/10000`).join(",");
  const child = spawn(bin, [
    "local", "--port", "0", "--quiet", "--no-schedules", "--stage", "test",
    "--template", join(ROOT, "template.yaml"), "--parameter-overrides", `RateLimits=${rates}`, ...overrides, ...limits,
  ], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => { output += text; });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM"); // the emulator stops its workers, redis-server and moto on SIGTERM
    try {
      await within(exited, "the emulator to stop");
    } catch {
      child.kill("SIGKILL");
      await exited;
    }
  };

  // It prints its URLs once it serves: "  WebSocket:        ws://127.0.0.1:PORT/test?token=<JWT>".
  const started = new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (text) => {
      seen += text;
      output += text;
      const match = seen.match(/WebSocket:\s+ws:\/\/([^/\s]+)\//);
      if (match) resolve(`http://${match[1]}`);
    });
    exited.then(({ code, signal }) => reject(new Error(`the emulator exited (${code ?? signal}) before serving`)));
  });
  try {
    // Starting takes moto, redis-server and the function workers: allow it more than one wait.
    const baseUrl = await within(started, "the emulator to start", 4 * TIMEOUT_MS);
    return { ...(await configOf(baseUrl)), stop };
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n--- emulator output ---\n${output.slice(-4000)}`);
  }
}

/** The URLs the emulator tells a browser (GET /dev/config). @param {string} baseUrl */
async function configOf(baseUrl) {
  const response = await fetch(`${baseUrl}/dev/config`);
  if (!response.ok) throw new Error(`GET ${baseUrl}/dev/config: HTTP ${response.status}`);
  const config = await response.json();
  return { baseUrl, websocketUrl: config.websocketUrl, restUrl: config.restUrl };
}

/** A development token for any user (POST /dev/token). */
export async function mintToken(baseUrl, userId) {
  const response = await fetch(`${baseUrl}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(`POST /dev/token: HTTP ${response.status} ${JSON.stringify(data)}`);
  return data.token;
}
