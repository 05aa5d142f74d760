// The heartbeat timer: calls `beat()` every `intervalMs` until stopped. One per
// connection; the client's beat sends presence:heartbeat, and a heartbeat left unanswered
// drops the connection (a dead one is noticed within the interval plus requestTimeoutMs).

export class Heartbeat {
  /** @param {() => void} beat */
  constructor(beat) {
    this._beat = beat;
    /** @type {any} */
    this._timer = null;
  }

  /** (Re)start the timer. @param {number} intervalMs */
  start(intervalMs) {
    this.stop();
    this._timer = setInterval(this._beat, intervalMs);
  }

  stop() {
    clearInterval(this._timer);
    this._timer = null;
  }

  get running() {
    return this._timer !== null;
  }
}
