// History paging over the REST API, for a `sync` that answers `hasMore`:
// GET {restUrl}/chats/{chatId}/messages?after={id} returns the messages newer than `id`,
// oldest first, and a `nextCursor` to pass as the next `after`.

import { SwitchboardError } from "./errors.js";
import { ErrorCode } from "./protocol.js";

export const PAGE_LIMIT = 100; // the REST API's largest page

/**
 * One page of the messages of `chatId` after the message id `after`.
 * @param {string} restUrl
 * @param {string} token
 * @param {string} chatId
 * @param {string} after
 * @returns {Promise<{messages: any[], nextCursor: string | null}>}
 */
export async function messagesAfter(restUrl, token, chatId, after) {
  const url = `${restUrl}/chats/${encodeURIComponent(chatId)}/messages` +
    `?limit=${PAGE_LIMIT}&after=${encodeURIComponent(after)}`;
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new SwitchboardError(ErrorCode.INTERNAL_ERROR, `history: HTTP ${response.status}`);
  const page = await response.json();
  return { messages: page.messages || [], nextCursor: page.nextCursor ?? null };
}
