export class Emitter {
    /** @type {Map<string, Set<Function>>} */
    _handlers: Map<string, Set<Function>>;
    /**
     * Listen to an event. Returns a function that removes the listener.
     * @param {string} event
     * @param {(data: any) => void} handler
     * @returns {() => void}
     */
    on(event: string, handler: (data: any) => void): () => void;
    /**
     * @param {string} event
     * @param {(data: any) => void} handler
     */
    off(event: string, handler: (data: any) => void): void;
    /** @param {string} event @param {any} data */
    emit(event: string, data: any): void;
}
