/**
 * Ask for an upload of `data` and post it to S3; resolves with the grant (its
 * `attachmentId` is what message:send names).
 * @param {string} restUrl @param {string} token @param {string} chatId @param {FileData} data
 * @param {{name?: string, contentType?: string, signal?: AbortSignal}} [options] the name
 *   and type default to a File's
 * @returns {Promise<UploadGrant>}
 */
export function upload(restUrl: string, token: string, chatId: string, data: FileData, options?: {
    name?: string;
    contentType?: string;
    signal?: AbortSignal;
}): Promise<UploadGrant>;
/**
 * An attached file with a new download URL (the one a message carries expires).
 * @param {string} restUrl @param {string} token @param {string} chatId @param {string} attachmentId
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<Attachment>}
 */
export function freshUrl(restUrl: string, token: string, chatId: string, attachmentId: string, options?: {
    signal?: AbortSignal;
}): Promise<Attachment>;
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
    constructor(message: string, status: number | null, body?: string);
    /** @type {number | null} */
    status: number | null;
}
export type UploadGrant = import("./protocol.js").UploadGrant;
export type Attachment = import("./protocol.js").Attachment;
/**
 * a File (a Blob with a name),
 * a Blob, or bytes (an ArrayBuffer, a Uint8Array, a Node Buffer)
 */
export type FileData = Blob | ArrayBuffer | ArrayBufferView;
import { SwitchboardError } from "./errors.js";
