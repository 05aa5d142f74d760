export class Heartbeat {
    /** @param {() => void} beat */
    constructor(beat: () => void);
    _beat: () => void;
    /** @type {any} */
    _timer: any;
    /** (Re)start the timer. @param {number} intervalMs */
    start(intervalMs: number): void;
    stop(): void;
    get running(): boolean;
}
