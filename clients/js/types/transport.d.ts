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
export function webSocketImpl(option: SocketConstructor | undefined): SocketConstructor;
/**
 * The stage URL with the token in its `token` query parameter (how API Gateway's
 * authorizer reads it: browsers cannot set headers on a WebSocket).
 * @param {string} url
 * @param {string} token
 */
export function urlWithToken(url: string, token: string): string;
/**
 * A client frame, serialized.
 * @param {string} action
 * @param {string} requestId
 * @param {Record<string, any>} data
 */
export function encodeFrame(action: string, requestId: string, data: Record<string, any>): string;
/** A keep-alive frame: the action alone (no requestId: nothing answers it). @param {string} action */
export function encodeKeepAlive(action: string): string;
/**
 * A server frame, or null for anything that is not a JSON object.
 * @param {any} raw
 * @returns {Record<string, any> | null}
 */
export function decodeFrame(raw: any): Record<string, any> | null;
/**
 * The minimal WebSocket the client needs: the browser's, or `ws`'s.
 */
export type Socket = {
    send(data: string): void;
    close(code?: number, reason?: string): void;
    onopen: ((event: any) => void) | null;
    onmessage: ((event: {
        data: any;
    }) => void) | null;
    onclose: ((event: {
        code: number;
        reason?: string;
    }) => void) | null;
    onerror: ((event: any) => void) | null;
};
/**
 * The minimal WebSocket the client needs: the browser's, or `ws`'s.
 */
export type SocketConstructor = new (url: string) => Socket;
