// Typing indicators: who else is typing in each chat (expiring at `expiresAt`), and our
// own typing, sent as typing:start at most every 2 s and typing:stop after 3 s idle.

export const TYPING_RENEW_MS = 2000;
export const TYPING_IDLE_MS = 3000;

/** Other users' typing, per chat. Calls `changed(chatId, userIds)` on every change. */
export class TypingIn {
  /** @param {(chatId: string, userIds: string[]) => void} changed */
  constructor(changed) {
    this._changed = changed;
    /** @type {Map<string, Map<string, any>>} chatId -> userId -> expiry timer */
    this._users = new Map();
  }

  /** Who is typing in a chat now. @param {string} chatId @returns {string[]} */
  users(chatId) {
    return [...(this._users.get(chatId)?.keys() || [])].sort();
  }

  /** A `typing` event. @param {{chatId: string, userId: string, isTyping: boolean, expiresAt?: string | null}} data */
  update(data) {
    const { chatId, userId } = data;
    let users = this._users.get(chatId);
    if (!users) this._users.set(chatId, (users = new Map()));
    clearTimeout(users.get(userId));
    if (data.isTyping) {
      // Hide at expiresAt unless renewed (a clock far off from the server's: after 3.5 s).
      let ms = data.expiresAt ? Date.parse(data.expiresAt) - Date.now() : NaN;
      if (!(ms > 0 && ms < 10000)) ms = 3500;
      users.set(userId, setTimeout(() => this.stop(chatId, userId), ms + 250));
    } else {
      users.delete(userId);
    }
    this._changed(chatId, this.users(chatId));
  }

  /** `userId` stopped typing in `chatId` (e.g. their message arrived). */
  stop(chatId, userId) {
    const users = this._users.get(chatId);
    if (!users || !users.has(userId)) return;
    clearTimeout(users.get(userId));
    users.delete(userId);
    this._changed(chatId, this.users(chatId));
  }

  /** Forget a chat's indicators (we left it, or the connection dropped). @param {string} chatId */
  clear(chatId) {
    const users = this._users.get(chatId);
    if (!users) return;
    const had = users.size > 0;
    for (const timer of users.values()) clearTimeout(timer);
    this._users.delete(chatId);
    if (had) this._changed(chatId, []);
  }

  clearAll() {
    for (const chatId of [...this._users.keys()]) this.clear(chatId);
  }
}

/** Our own typing, per chat: `start(chatId)` and `stop(chatId)` send the actions. */
export class TypingOut {
  /**
   * @param {(chatId: string) => void} start
   * @param {(chatId: string) => void} stop
   */
  constructor(start, stop) {
    this._start = start;
    this._stop = stop;
    /** @type {Map<string, {startedAt: number, idle: any}>} */
    this._chats = new Map();
  }

  /** A keystroke in a chat's composer. @param {string} chatId */
  keystroke(chatId) {
    const now = Date.now();
    let mine = this._chats.get(chatId);
    if (!mine) this._chats.set(chatId, (mine = { startedAt: 0, idle: null }));
    if (now - mine.startedAt >= TYPING_RENEW_MS) {
      mine.startedAt = now;
      this._start(chatId);
    }
    clearTimeout(mine.idle);
    mine.idle = setTimeout(() => this.done(chatId), TYPING_IDLE_MS);
  }

  /** We stopped typing in a chat (idle, sent, or said so): `stop` if we had started.
   * @param {string} chatId */
  done(chatId) {
    const mine = this._chats.get(chatId);
    if (!mine) return;
    clearTimeout(mine.idle);
    this._chats.delete(chatId);
    this._stop(chatId);
  }

  /** Forget every chat without sending anything (the connection is gone). */
  reset() {
    for (const { idle } of this._chats.values()) clearTimeout(idle);
    this._chats.clear();
  }
}
