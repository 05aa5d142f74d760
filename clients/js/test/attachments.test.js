// Attachments against the real emulator (its S3 checks presigned POSTs and GETs as S3
// does): a file uploaded with uploadAttachment() goes out with send(..., {attachments}),
// the other member receives the message and downloads the same bytes; the REST API's
// refusals are SwitchboardErrors with its code; S3's, UploadErrors with its status.
// Waits end on events, each bounded by SWITCHBOARD_TEST_TIMEOUT: no sleeps.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ErrorCode, LocalErrorCode, SwitchboardError, UploadError } from "../src/index.js";
import { TIMEOUT_MS, within } from "./support/emulator.js";
import { useStage } from "./support/stage.js";

const stage = useStage({
  chatName: "files",
});
const { users, createChat, client, next } = stage;

/** A 1x1 PNG, then some bytes of every value (so nothing is mangled as text). */
const PNG = Buffer.concat([
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64"),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);

async function download(url) {
  const response = await within(fetch(url), "the download");
  assert.equal(response.status, 200, `GET the file: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

describe("attachments", { timeout: 4 * TIMEOUT_MS }, () => {
  test("an image round-trips: uploaded, sent without a body, received, downloaded byte for byte", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const b = client(bob);
    await within(Promise.all([a.connect(), b.connect()]), "both greetings");

    const grant = await within(a.uploadAttachment(chatId, new Uint8Array(PNG), { name: "cat.png", contentType: "image/png" }),
                               "the upload");
    assert.equal(typeof grant.attachmentId, "string");
    assert.equal(grant.name, "cat.png");
    assert.equal(grant.size, PNG.length);
    assert.equal(grant.contentType, "image/png");

    const arrives = next(b, "message", (m) => m.chatId === chatId, "Bob's copy");
    const stored = await within(a.send(chatId, null, { attachments: [grant.attachmentId] }), "the send's ack");
    assert.equal(stored.body, "");
    assert.equal(stored.attachments.length, 1);
    const received = await arrives;
    assert.equal(received.id, stored.id);
    const [file] = received.attachments;
    assert.equal(file.id, grant.attachmentId);
    assert.equal(file.name, "cat.png");
    assert.equal(file.size, PNG.length);
    assert.equal(file.contentType, "image/png");
    assert.deepEqual(await download(file.url), PNG);
    assert.deepEqual(b.getMessage(chatId, stored.id).attachments.map((f) => f.id), [grant.attachmentId]);

    // A fresh URL for the same file, for a member.
    const fresh = await within(b.attachment(chatId, grant.attachmentId), "a fresh URL");
    assert.equal(fresh.id, grant.attachmentId);
    assert.ok(Date.parse(fresh.urlExpiresAt) > Date.now());
    assert.deepEqual(await download(fresh.url), PNG);
  });

  test("a File (its name and type) with a body; two files in one message, in the order sent", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    await within(a.connect(), "the greeting");
    const note = new File(["some notes\n"], "notes.txt", { type: "text/plain" });
    const first = await within(a.uploadAttachment(chatId, note), "the first upload");
    const second = await within(a.uploadAttachment(chatId, new Blob([PNG]), { name: "b.png", contentType: "image/png" }),
                                "the second upload");
    assert.equal(first.name, "notes.txt");
    assert.equal(first.contentType, "text/plain");
    const stored = await within(a.send(chatId, "two files", { attachments: [first.attachmentId, second.attachmentId] }),
                                "the send's ack");
    assert.equal(stored.body, "two files");
    assert.deepEqual(stored.attachments.map((f) => f.id), [first.attachmentId, second.attachmentId]);
    assert.equal((await download(stored.attachments[0].url)).toString(), "some notes\n");
  });

  test("a type that is not allowed is refused by the API: bad_request, nothing uploaded", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    const refusal = await within(
      a.uploadAttachment(chatId, Buffer.from("<script>alert(1)</script>"), { name: "page.html", contentType: "text/html" })
        .then(() => null, (error) => error),
      "the refusal");
    assert.ok(refusal instanceof SwitchboardError, `a SwitchboardError, got ${refusal}`);
    assert.ok(!(refusal instanceof UploadError));
    assert.equal(refusal.code, ErrorCode.BAD_REQUEST);
    assert.equal(refusal.data.status, 400);
  });

  test("outside the chat: not_found, for an upload and for a URL", async () => {
    const [alice, bob, eve] = users("alice", "bob", "eve");
    const chatId = await createChat(alice, [bob]);
    const e = client(eve);
    const upload = await within(e.uploadAttachment(chatId, PNG, { name: "x.png", contentType: "image/png" })
      .then(() => null, (error) => error), "the refusal");
    assert.equal(upload?.code, ErrorCode.NOT_FOUND);
    const url = await within(e.attachment(chatId, "01JDQ8Z0AAAAAAAAAAAAAAAAAA").then(() => null, (error) => error),
                             "the refusal");
    assert.equal(url?.code, ErrorCode.NOT_FOUND);
  });

  test("S3 refuses a file other than the one granted: an UploadError with S3's status", async () => {
    const [alice, bob] = users("alice", "bob");
    const chatId = await createChat(alice, [bob]);
    const a = client(alice);
    // The form goes out with twice the bytes the grant is for (as a buggy or hostile
    // client would); everything else as uploadAttachment() made it.
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (url, init) => {
      if (init?.body instanceof FormData) {
        const form = new FormData();
        for (const [name, value] of init.body) {
          if (name === "file") form.append(name, new Blob([PNG, PNG], { type: value.type }), value.name);
          else form.append(name, value);
        }
        init = { ...init, body: form };
      }
      return realFetch(url, init);
    };
    let refusal;
    try {
      refusal = await within(a.uploadAttachment(chatId, PNG, { name: "cat.png", contentType: "image/png" })
        .then(() => null, (error) => error), "the refusal");
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.ok(refusal instanceof UploadError, `an UploadError, got ${refusal}`);
    assert.equal(refusal.code, LocalErrorCode.UPLOAD_FAILED);
    assert.ok(refusal.status === 400 || refusal.status === 403, `S3's status: ${refusal.status}`);
    assert.match(refusal.message, /HTTP (400|403)/);
  });

  test("without restUrl: a TypeError says so", async () => {
    const [alice] = users("alice");
    const a = client(alice, { restUrl: undefined });
    await assert.rejects(a.uploadAttachment("c1", PNG, { name: "a.png", contentType: "image/png" }), /restUrl/);
  });
});
