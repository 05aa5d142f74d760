/**
 * One page of the messages of `chatId` after the message id `after`.
 * @param {string} restUrl
 * @param {string} token
 * @param {string} chatId
 * @param {string} after
 * @returns {Promise<{messages: any[], nextCursor: string | null}>}
 */
export function messagesAfter(restUrl: string, token: string, chatId: string, after: string): Promise<{
    messages: any[];
    nextCursor: string | null;
}>;
export const PAGE_LIMIT: 100;
