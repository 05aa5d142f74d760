// Event listeners by name. A listener that throws is logged and skipped; it never stops
// the others, nor the client.

export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this._handlers = new Map();
  }

  /**
   * Listen to an event. Returns a function that removes the listener.
   * @param {string} event
   * @param {(data: any) => void} handler
   * @returns {() => void}
   */
  on(event, handler) {
    let set = this._handlers.get(event);
    if (!set) this._handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => this.off(event, handler);
  }

  /**
   * @param {string} event
   * @param {(data: any) => void} handler
   */
  off(event, handler) {
    this._handlers.get(event)?.delete(handler);
  }

  /** @param {string} event @param {any} data */
  emit(event, data) {
    for (const handler of [...(this._handlers.get(event) || [])]) {
      try {
        handler(data);
      } catch (error) {
        console.error(`switchboard: a ${event} listener threw`, error);
      }
    }
  }
}
