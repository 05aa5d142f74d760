// The server API from Node as a backend calls it, with the AWS SDK v3 (devDependencies only:
// the client itself depends on nothing), against the emulator (test/support/emulator.js):
// - Lambda's Invoke API (LambdaClient + InvokeCommand) on the emulator's plain port, with
//   the emulator's local credentials: application events reach a connected client by name;
// - the HTTP API's `POST /server/{command}` under AWS_IAM, signed with the SDK's own SigV4
//   signer and sent with Node's fetch; the same request unsigned, or its signature replayed
//   with another body, is refused 403.
// The first tests pass the local endpoint, region and credentials explicitly; the last runs
// docs/server-api.md's two snippets (test/support/snippets/, kept verbatim) configured by
// the environment alone, as a deployed backend is.
// Waits end on events, each bounded by SWITCHBOARD_TEST_TIMEOUT: no sleeps.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";

import { Sha256 } from "@aws-crypto/sha256-js";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { WebSocket } from "ws";

import { SwitchboardClient } from "../src/index.js";
import { mintToken, startEmulator, TIMEOUT_MS, within } from "./support/emulator.js";

// What the emulator verifies signatures against (`switchboard local` prints them on its
// "AWS credentials:" line): the stack owner's, allowed everything.
const REGION = "us-east-1";
const CREDENTIALS = {
  accessKeyId: "ASIALOCALEMULATOR000",
  secretAccessKey: "local-emulator-secret-access-key",
  sessionToken: "local-emulator-session-token",
};

let emulator;
/** @type {LambdaClient} */
let lambda;
const opened = [];

before(async () => {
  emulator = await startEmulator();
  // Lambda's Invoke API is served on the emulator's own port (its "Lambda API:" line). The
  // region is needed even so: it is part of the signature's scope, which the emulator checks.
  lambda = new LambdaClient({
    endpoint: emulator.baseUrl,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 1, // a refusal is what a test wants to see, not a retry
  });
}, { timeout: 5 * TIMEOUT_MS });

after(async () => {
  lambda?.destroy();
  await emulator?.stop();
}, { timeout: 2 * TIMEOUT_MS });

afterEach(() => {
  for (const client of opened.splice(0)) client.close();
});

/** Fresh user ids per test, so tests never see each other's chats. */
function users(...names) {
  const suffix = randomUUID().slice(0, 8);
  return names.map((name) => `${name}-${suffix}`);
}

/** A connected client of `userId` (closed after the test), once its catch-up is done. */
async function online(userId) {
  const client = new SwitchboardClient({
    url: emulator.websocketUrl,
    restUrl: emulator.restUrl,
    token: () => mintToken(emulator.baseUrl, userId),
    WebSocket,
    initialDelayMs: 50,
    maxDelayMs: 1000,
  });
  opened.push(client);
  const synced = next(client, "synced");
  await within(client.connect(), `${userId}'s hello`);
  await synced;
  return client;
}

/** The next `event` that `source` emits. */
function next(source, event) {
  return within(new Promise((resolve) => {
    const off = source.on(event, (data) => {
      off();
      resolve(data);
    });
  }), event);
}

/** One command through Lambda's Invoke API: the function's whole answer, {ok, result} or
 *  {ok: false, error}. */
async function invoke(command, args) {
  const output = await lambda.send(new InvokeCommand({
    FunctionName: "ServerApiFunction",
    Payload: JSON.stringify({ command, args }),
  }));
  assert.equal(output.StatusCode, 200);
  const answer = JSON.parse(new TextDecoder().decode(output.Payload));
  assert.equal(output.FunctionError, undefined, `the function failed: ${JSON.stringify(answer)}`);
  return answer;
}

/** The result of a command that must succeed through Lambda. */
async function call(command, args) {
  const answer = await invoke(command, args);
  assert.equal(answer.ok, true, `${command}: ${JSON.stringify(answer)}`);
  return answer.result;
}

/** `POST {restUrl}/server/{command}` signed for `execute-api` with the SDK's signer: the
 *  request as fetch() takes it. */
async function signedRequest(command, args) {
  const url = new URL(`${emulator.restUrl}/server/${command}`);
  const request = new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    // `host` is signed (the emulator, as AWS, requires it) and the signer does not add it.
    headers: { host: url.host, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const signer = new SignatureV4({ service: "execute-api", region: REGION, credentials: CREDENTIALS, sha256: Sha256 });
  const signed = await signer.sign(request);
  return { url: url.href, init: { method: signed.method, headers: signed.headers, body: signed.body } };
}

/** Send a request made by signedRequest(): the status and the JSON answer. */
async function send({ url, init }) {
  const response = await within(fetch(url, init), `POST ${url}`);
  return { status: response.status, answer: await response.json() };
}

describe("the server API from Node with the AWS SDK v3", { timeout: 4 * TIMEOUT_MS }, () => {
  test("Lambda Invoke: sendToUser and broadcastToChat reach connected clients by event name", async () => {
    const [alice, bob] = users("alice", "bob");
    const chat = await call("createChat", { createdBy: alice, members: [bob], name: "orders" });
    const a = await online(alice);
    const b = await online(bob);

    const billing = next(a, "billing:due");
    const sent = await call("sendToUser", { userId: alice, event: "billing:due", data: { amount: 12 } });
    assert.equal(sent.delivered, 1);
    assert.deepEqual(await billing, { amount: 12 });

    const seenByA = next(a, "order:shipped");
    const seenByB = next(b, "order:shipped");
    const fanned = await call("broadcastToChat", {
      chatId: chat.id, event: "order:shipped", data: { orderId: 7, items: ["tea"] },
    });
    assert.deepEqual(fanned, { delivered: 2, gone: 0, failed: 0 });
    assert.deepEqual(await seenByA, { orderId: 7, items: ["tea"] });
    assert.deepEqual(await seenByB, { orderId: 7, items: ["tea"] });
  });

  test("Lambda Invoke: a bad call answers ok: false with a code, not a function error", async () => {
    const unknown = await invoke("dropTables", {});
    assert.equal(unknown.ok, false);
    assert.equal(unknown.error.code, "unknown_command");
    assert.ok(unknown.error.message);

    const reserved = await invoke("sendToUser", { userId: "u", event: "message:new", data: {} });
    assert.equal(reserved.ok, false);
    assert.equal(reserved.error.code, "bad_request");
  });

  test("HTTPS: isUserOnline signed with SigV4 (execute-api) answers; unsigned it is refused 403", async () => {
    const [carol, dave] = users("carol", "dave");
    await online(carol);

    const here = await send(await signedRequest("isUserOnline", { userId: carol }));
    assert.equal(here.status, 200, JSON.stringify(here.answer));
    assert.deepEqual(here.answer, { ok: true, result: { online: true } });
    const away = await send(await signedRequest("isUserOnline", { userId: dave }));
    assert.deepEqual(away.answer, { ok: true, result: { online: false } });

    const { url, init } = await signedRequest("isUserOnline", { userId: carol });
    const unsigned = Object.fromEntries(Object.entries(init.headers)
      .filter(([name]) => !/^(authorization|x-amz-date|x-amz-security-token)$/i.test(name)));
    const refused = await within(fetch(url, { ...init, headers: unsigned }), "the unsigned request");
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    await refused.body?.cancel();

    const replayed = await within(fetch(url, { ...init, body: JSON.stringify({ userId: dave }) }),
      "the request replayed with another body");
    assert.equal(replayed.status, 403);
    assert.equal(replayed.headers.get("x-amzn-errortype"), "InvalidSignatureException");
    await replayed.body?.cancel();
  });

  test("docs/server-api.md's snippets, as pasted, configured by the environment only", async () => {
    // What a backend's environment would say for the emulator; set once it has started (it
    // inherits nothing of this). AWS_PROFILE would make the default chain skip these.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_LAMBDA: emulator.baseUrl,
      SWITCHBOARD_HTTP_API_URL: emulator.restUrl,
    });
    delete process.env.AWS_PROFILE;
    const overLambda = await import("./support/snippets/server-api-lambda.js");
    const overHttps = await import("./support/snippets/server-api-https.js");

    const [erin] = users("erin");
    const e = await online(erin);
    const paged = next(e, "pager:ring");
    assert.equal((await overLambda.callServerApi("sendToUser", {
      userId: erin, event: "pager:ring", data: { from: "lambda" },
    })).delivered, 1);
    assert.deepEqual(await paged, { from: "lambda" });
    assert.deepEqual(await overHttps.callServerApi("isUserOnline", { userId: erin }), { online: true });
    const again = next(e, "pager:ring");
    assert.equal((await overHttps.callServerApi("sendToUser", {
      userId: erin, event: "pager:ring", data: { from: "https" },
    })).delivered, 1);
    assert.deepEqual(await again, { from: "https" });

    for (const { callServerApi, ServerApiError } of [overLambda, overHttps]) {
      await assert.rejects(callServerApi("dropTables", {}),
        (error) => error instanceof ServerApiError && error.code === "unknown_command" && Boolean(error.message));
    }
  });
});
