"""Read receipt actions: message:read and chat:read-all."""

from __future__ import annotations

from shared.actions.caller import Caller, Outcome
from shared.actions.registry import handles
from shared.protocol import Action, Event, Request, frame
from shared.store import receipts, rooms
from shared.store.receipts import ReadPosition


def _answer(request: Request, caller: Caller, room: rooms.Page, position: ReadPosition) -> Outcome:
    """Ack the read position; ``message:read`` to the chat only when it moved forward."""
    data = position.to_wire()
    result = None
    if position.moved:
        result = caller.announce(room, Event.MESSAGE_READ, data)
    return Outcome(frame(Event.ACK, data, request.request_id), result)


@handles(Action.MESSAGE_READ)
def read_message(request: Request, caller: Caller) -> Outcome:
    """Move the caller's read position forward to a message.

    Costs one room Query, one Query (the message exists), one conditional
    UpdateItem and, when the position moved, one post per recipient.
    """
    chat_id = request.data["chatId"]
    room = caller.room_of(chat_id)
    position = receipts.mark_read(chat_id, caller.user_id, request.data["messageId"])
    return _answer(request, caller, room, position)


@handles(Action.CHAT_READ_ALL)
def read_all(request: Request, caller: Caller) -> Outcome:
    """Move the caller's read position to the chat's newest message.

    Costs one room Query, one Query (the newest message), one conditional
    UpdateItem and, when the position moved, one post per recipient.
    """
    chat_id = request.data["chatId"]
    room = caller.room_of(chat_id)
    position = receipts.mark_all_read(chat_id, caller.user_id)
    return _answer(request, caller, room, position)
