"""Typing actions: start, stop, and who is typing."""

from __future__ import annotations

from shared.actions.caller import Caller, Outcome
from shared.actions.registry import handles
from shared.config import settings
from shared.ids import iso_from_ms
from shared.protocol import Action, Event, Request, frame
from shared.state import rate_limit, typing_indicators
from shared.store import chats


def _announce(request: Request, caller: Caller, is_typing: bool) -> Outcome:
    """One room Query (membership and targets), one Redis round trip (the indicator and
    the rate limiter's token together; degrades if Redis is down: the event still goes
    out), the chat's size (a GetItem, kept a minute) and,
    in a chat of at most PresenceAnnounceLimit members, one post per connection of the
    other users; larger chats hear nothing (members ask ``typing:list``)."""
    chat_id = request.data["chatId"]
    room = caller.room_of(chat_id)
    take = rate_limit.take_for(request.action, caller.connection_id)  # rides along
    if is_typing:
        expires_at: int | None = typing_indicators.start(chat_id, caller.user_id, take)
    else:
        typing_indicators.stop(chat_id, caller.user_id, take)
        expires_at = None
    data = {
        "chatId": chat_id,
        "userId": caller.user_id,
        "isTyping": is_typing,
        "expiresAt": iso_from_ms(expires_at) if expires_at else None,
    }
    result = None
    if chats.size(chat_id) <= settings().presence_announce_limit:  # large chats: typing:list
        result = caller.announce(room, Event.TYPING, data, own_devices=False)
    return Outcome(frame(Event.ACK, data, request.request_id), result)


@handles(Action.TYPING_START)
def start(request: Request, caller: Caller) -> Outcome:
    return _announce(request, caller, True)


@handles(Action.TYPING_STOP)
def stop(request: Request, caller: Caller) -> Outcome:
    return _announce(request, caller, False)


@handles(Action.TYPING_LIST)
def who(request: Request, caller: Caller) -> Outcome:
    """Who is typing in a chat now (members only)."""
    chat_id = request.data["chatId"]
    caller.room_of(chat_id)
    typing = [
        {"userId": user_id, "expiresAt": iso_from_ms(expires_at)}
        for user_id, expires_at in typing_indicators.who(chat_id)
    ]
    return Outcome(frame(Event.ACK, {"chatId": chat_id, "typing": typing}, request.request_id))
