// One WebSocket: which implementation, the URL with the token, frames in and out.
// Browsers (and Node 22+) have a global WebSocket; on Node 20 pass one, e.g.
// `import { WebSocket } from "ws"` and `new SwitchboardClient({ WebSocket, ... })`.

/**
 * The minimal WebSocket the client needs: the browser's, or `ws`'s.
 * @typedef {{
 *   send(data: string): void,
 *   close(code?: number, reason?: string): void,
 *   onopen: ((event: any) => void) | null,
 *   onmessage: ((event: {data: any}) => void) | null,
 *   onclose: ((event: {code: number, reason?: string}) => void) | null,
 *   onerror: ((event: any) => void) | null,
 * }} Socket
 * @typedef {new (url: string) => Socket} SocketConstructor
 */

/**
 * The WebSocket implementation to use: the option, else the global one.
 * @param {SocketConstructor | undefined} option
 * @returns {SocketConstructor}
 */
export function webSocketImpl(option) {
  const Impl = option || /** @type {any} */ (globalThis).WebSocket;
  if (!Impl) {
    throw new TypeError(
      "SwitchboardClient: no WebSocket here (Node < 22): pass one, e.g. " +
        '`import { WebSocket } from "ws"` and `new SwitchboardClient({ WebSocket, ... })`',
    );
  }
  return Impl;
}

/**
 * The stage URL with the token in its `token` query parameter (how API Gateway's
 * authorizer reads it: browsers cannot set headers on a WebSocket).
 * @param {string} url
 * @param {string} token
 */
export function urlWithToken(url, token) {
  const sep = url.includes("?") ? "&" : "?";
  return `${url}${sep}token=${encodeURIComponent(token)}`;
}

/**
 * A client frame, serialized.
 * @param {string} action
 * @param {string} requestId
 * @param {Record<string, any>} data
 */
export function encodeFrame(action, requestId, data) {
  return JSON.stringify({ action, requestId, data });
}

/** A keep-alive frame: the action alone (no requestId: nothing answers it). @param {string} action */
export function encodeKeepAlive(action) {
  return JSON.stringify({ action });
}

/**
 * A server frame, or null for anything that is not a JSON object.
 * @param {any} raw
 * @returns {Record<string, any> | null}
 */
export function decodeFrame(raw) {
  let frame;
  try {
    frame = JSON.parse(typeof raw === "string" ? raw : String(raw));
  } catch {
    return null;
  }
  return frame && typeof frame === "object" && !Array.isArray(frame) ? frame : null;
}
