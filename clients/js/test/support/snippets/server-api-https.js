// npm install @smithy/signature-v4 @smithy/protocol-http @aws-crypto/sha256-js @aws-sdk/credential-provider-node
//
// The server API over HTTPS: `POST {HttpApiUrl}/server/{command}`, signed with SigV4 for
// `execute-api` (needs execute-api:Invoke: the stack's ServerApiCallerPolicyArn). Credentials
// from the SDK's default chain, region from the URL (else AWS_REGION); locally the URL
// is the emulator's base URL + `/api`, with its "AWS credentials:" line in the environment.
import { Sha256 } from "@aws-crypto/sha256-js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

// The stack's HttpApiUrl output (https://{id}.execute-api.{region}.amazonaws.com).
const API_URL = process.env.SWITCHBOARD_HTTP_API_URL;
const signer = new SignatureV4({
  service: "execute-api",
  // The region the API is in: its URL's, else the environment's.
  region: /\.execute-api\.([a-z0-9-]+)\./.exec(API_URL)?.[1] ?? process.env.AWS_REGION,
  credentials: defaultProvider(),
  sha256: Sha256,
});

export class ServerApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "ServerApiError";
    this.code = code;
    this.status = status;
  }
}

/** Run `command` with `args`: its result, or a ServerApiError with the answer's code. */
export async function callServerApi(command, args = {}) {
  const url = new URL(`${API_URL.replace(/\/$/, "")}/server/${command}`);
  const signed = await signer.sign(new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    // Host must be signed, and the signer does not add it.
    headers: { host: url.host, "content-type": "application/json" },
    body: JSON.stringify(args),
  }));
  const response = await fetch(url, { method: "POST", headers: signed.headers, body: signed.body });
  const text = await response.text();
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = { message: text };
  }
  if (answer.ok === true) return answer.result;
  if (answer.error) throw new ServerApiError(answer.error.code, answer.error.message, response.status);
  // API Gateway's own refusal ({"message": ...}): the function never ran.
  const code = { 401: "unauthorized", 403: "forbidden" }[response.status] ?? "gateway_error";
  throw new ServerApiError(code, answer.message ?? `HTTP ${response.status}`, response.status);
}
