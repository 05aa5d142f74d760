// ws's WebSocket behind the client's socket interface, recording what the client does
// with it: the frames it sends (parsed), the code it closes with, and a switch that makes
// it deaf (frames still go out, none come in: a network gone without a close).

import { WebSocket } from "ws";

/**
 * A socket class for `new SwitchboardClient({WebSocket: ...})` and the list of every
 * socket it made, in order.
 * @returns {{sockets: any[], RecordingSocket: any}}
 */
export function recordingSockets() {
  /** @type {any[]} */
  const sockets = [];
  class RecordingSocket {
    /** @param {string} url */
    constructor(url) {
      this.sent = [];
      this.deaf = false;
      /** @type {number | null} */
      this.closedWith = null;
      this.closing = new Promise((resolve) => { this._closed = resolve; });
      this.inner = new WebSocket(url);
      this.inner.onopen = (e) => this.onopen?.(e);
      this.inner.onmessage = (e) => { if (!this.deaf) this.onmessage?.(e); };
      this.inner.onclose = (e) => this.onclose?.(e);
      this.inner.onerror = (e) => this.onerror?.(e);
      sockets.push(this);
    }
    /** @param {string} text */
    send(text) {
      this.sent.push(JSON.parse(text));
      this.inner.send(text);
    }
    /** @param {number} [code] @param {string} [reason] */
    close(code, reason) {
      this.closedWith = code ?? null;
      this._closed?.(code);
      this.inner.close(code, reason);
    }
  }
  return { sockets, RecordingSocket };
}
