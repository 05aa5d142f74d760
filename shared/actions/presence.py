"""Who is online in a chat, on demand: ``chat:presence``.

Small chats (at most PresenceAnnounceLimit members) hear every member's status
change as it happens; large ones hear none (that would grow with the square of
the chat's size), so their members ask: an online count and the online members,
a page at a time.
"""

from __future__ import annotations

from typing import Any

from shared import errors
from shared.actions.caller import Caller, Outcome
from shared.actions.registry import handles
from shared.config import settings
from shared.lifecycle import status
from shared.protocol import Action, ErrorCode, Event, ProtocolError, Request, frame
from shared.state import presence, redis_client
from shared.store import chats

PAGE_SIZE = 100


@handles(Action.CHAT_PRESENCE)
def chat_presence(request: Request, caller: Caller) -> Outcome:
    """``{chatId, announced, onlineCount, users: [{userId, status}], cursor}``.

    A small chat (``announced``: its members hear status changes) answers with all
    its online members; a large one with a page of them and the cursor of the
    next (null at the end). Costs one GetItem (membership), one GetItem (the
    chat's size, kept a minute) and one or two Redis round trips; a small chat
    one Members Query more.
    """
    chat_id = request.data["chatId"]
    if chats.membership(chat_id, caller.user_id) is None:
        raise errors.Forbidden("not a member of this chat")
    cursor_text = request.data.get("cursor")
    # Redis's SSCAN cursors are unsigned 64-bit integers; anything else is not one we gave.
    if cursor_text is not None and not (
        cursor_text.isascii() and cursor_text.isdigit() and int(cursor_text) < 2**64
    ):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "cursor must be one a chat:presence gave")
    data: dict[str, Any] = {"chatId": chat_id}
    if chats.size(chat_id) <= settings().presence_announce_limit:
        users = status.chat_users(chat_id)
        data.update(announced=True, onlineCount=len(users), users=users, cursor=None)
        return Outcome(frame(Event.ACK, data, request.request_id))
    try:
        after, user_ids, total = presence.chat_online(chat_id, int(cursor_text or 0), PAGE_SIZE)
        users = status.online_entries(user_ids)
    except redis_client.RedisUnavailable:
        data.update(announced=False, onlineCount=None, users=[], cursor=None, degraded=True)
    else:
        data.update(
            announced=False,
            onlineCount=total,
            users=users,
            cursor=str(after) if after else None,
        )
    return Outcome(frame(Event.ACK, data, request.request_id))
