// Attachments: ask the REST API for an upload, post the file straight to S3, and get a
// fresh download URL. Files never travel over the WebSocket (docs/protocol.md, Attachments).
//
// POST {restUrl}/chats/{chatId}/attachments grants one upload (a presigned S3 POST for
// exactly that name, size and type); the file is then posted to the grant's URL as
// multipart/form-data: the grant's fields first, the file last (S3 reads nothing after
// it). GET {restUrl}/chats/{chatId}/attachments/{id} answers a new download URL. `fetch`,
// `FormData` and `Blob` only: browsers and Node 18+ have them.

import { SwitchboardError } from "./errors.js";
import { ErrorCode, LocalErrorCode } from "./protocol.js";

/**
 * @typedef {import("./protocol.js").UploadGrant} UploadGrant
 * @typedef {import("./protocol.js").Attachment} Attachment
 * @typedef {Blob | ArrayBuffer | ArrayBufferView} FileData a File (a Blob with a name),
 *   a Blob, or bytes (an ArrayBuffer, a Uint8Array, a Node Buffer)
 */

/** S3 refused the file, or could not be reached: `status` is S3's HTTP status (null when
 *  there was no answer), `code` is upload_failed. */
export class UploadError extends SwitchboardError {
  /** @param {string} message @param {number | null} status @param {string} [body] S3's answer */
  constructor(message, status, body = "") {
    super(LocalErrorCode.UPLOAD_FAILED, message, { status, body });
    this.name = "UploadError";
    /** @type {number | null} */
    this.status = status;
  }
}

/** @param {string} restUrl @param {string} chatId @param {...string} rest */
function chatUrl(restUrl, chatId, ...rest) {
  return [`${restUrl.replace(/\/+$/, "")}/chats`, chatId, "attachments", ...rest].map(
    (part, i) => (i === 0 ? part : encodeURIComponent(part))).join("/");
}

/**
 * One REST call: its JSON answer, or a SwitchboardError with the API's code (`status`
 * in its data). API Gateway's own refusals of the token (401, 403 `{"message"}`) are
 * `unauthorized`.
 * @param {string} method @param {string} url @param {string} token @param {any} body
 * @param {AbortSignal} [signal]
 */
async function rest(method, url, token, body, signal) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, signal,
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new SwitchboardError(LocalErrorCode.DISCONNECTED, `${method} ${url}: ${error}`, { status: null });
  }
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: told by its status below */
  }
  if (response.ok) return answer;
  const error = answer && typeof answer.error === "object" ? answer.error : null;
  if (error && error.code) {
    throw new SwitchboardError(error.code, error.message || `${method} ${url}: ${error.code}`,
                               { ...error, status: response.status });
  }
  const code = response.status === 401 || response.status === 403 ? ErrorCode.UNAUTHORIZED : ErrorCode.INTERNAL_ERROR;
  throw new SwitchboardError(code, `${method} ${url}: HTTP ${response.status} ${text.slice(0, 200)}`,
                             { status: response.status });
}

/** The bytes as a Blob. @param {FileData} data @returns {Blob} */
function asBlob(data) {
  if (typeof Blob !== "undefined" && data instanceof Blob) return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return new Blob([/** @type {any} */ (data)]);
  throw new TypeError("uploadAttachment: pass a File, a Blob, an ArrayBuffer or a typed array");
}

/** `<Code>` and `<Message>` of S3's XML error, if any. @param {string} xml */
function s3Reason(xml) {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1];
  return [code, message].filter(Boolean).join(": ");
}

/**
 * The file, posted to the grant's presigned POST: its fields first, the file last.
 * @param {UploadGrant} grant @param {Blob} file @param {AbortSignal} [signal]
 */
async function postFile(grant, file, signal) {
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.upload.fields)) form.append(name, value);
  form.append("file", new Blob([file], { type: grant.contentType }), grant.name);
  let response;
  try {
    response = await fetch(grant.upload.url, { method: "POST", body: form, signal });
  } catch (error) {
    throw new UploadError(`upload failed: ${error}`, null);
  }
  const text = await response.text();
  if (!response.ok) {
    const reason = s3Reason(text) || text.slice(0, 200);
    throw new UploadError(`S3 refused the upload: HTTP ${response.status}${reason ? ` ${reason}` : ""}`,
                          response.status, text.slice(0, 2000));
  }
}

/**
 * Ask for an upload of `data` and post it to S3; resolves with the grant (its
 * `attachmentId` is what message:send names).
 * @param {string} restUrl @param {string} token @param {string} chatId @param {FileData} data
 * @param {{name?: string, contentType?: string, signal?: AbortSignal}} [options] the name
 *   and type default to a File's
 * @returns {Promise<UploadGrant>}
 */
export async function upload(restUrl, token, chatId, data, options = {}) {
  const file = asBlob(data);
  const name = options.name || /** @type {any} */ (data).name;
  const contentType = options.contentType || file.type;
  if (!name) throw new TypeError("uploadAttachment: a name is needed (options.name)");
  if (!contentType) throw new TypeError("uploadAttachment: a content type is needed (options.contentType)");
  /** @type {UploadGrant} */
  const grant = await rest("POST", chatUrl(restUrl, chatId), token,
                           { name, size: file.size, contentType }, options.signal);
  await postFile(grant, file, options.signal);
  return grant;
}

/**
 * An attached file with a new download URL (the one a message carries expires).
 * @param {string} restUrl @param {string} token @param {string} chatId @param {string} attachmentId
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<Attachment>}
 */
export function freshUrl(restUrl, token, chatId, attachmentId, options = {}) {
  return rest("GET", chatUrl(restUrl, chatId, attachmentId), token, undefined, options.signal);
}
