"""What each client action does: the domain behind the event function.

Each action takes the validated request and the caller (taken from the
authorizer context API Gateway attached, never from the payload) and returns
the frame that answers the sender (sent back as the route response).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared import chats, connections, fanout, messages, rooms
from shared.protocol import Action, ErrorCode, Event, ProtocolError, Request, frame


@dataclass(frozen=True)
class Caller:
    """Who sent a frame, on which connection, and where to post replies."""

    connection_id: str
    user_id: str
    endpoint: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Caller:
        context = event.get("requestContext") or {}
        authorizer = context.get("authorizer") or {}
        user_id = authorizer.get("userId")
        connection_id = context.get("connectionId")
        if not isinstance(user_id, str) or not user_id or not connection_id:
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "connection is not authorized")
        endpoint = f"https://{context.get('domainName')}/{context.get('stage')}"
        return cls(connection_id, user_id, endpoint)


@dataclass
class Outcome:
    """The reply to the sender plus what the action did, for the invocation log."""

    reply: str
    fanout: fanout.FanoutResult | None = None


def hello(request: Request, caller: Caller) -> Outcome:
    """The greeting: who you are and your chats (one Query)."""
    chat_ids = connections.user_chat_ids(caller.user_id)
    data = {"connectionId": caller.connection_id, "userId": caller.user_id, "chats": chat_ids}
    return Outcome(frame(Event.CONNECTION_SUCCESS, data, request.request_id))


def _ensure_in_room(chat_id: str, caller: Caller, room_connections: set[str]) -> None:
    """Membership comes free with the room Query; only a miss costs a GetItem.

    A miss is either a non-member (refused, without telling whether the chat
    exists) or a member whose connection missed the room in a race with the
    chat's creation (joined now).
    """
    if caller.connection_id in room_connections:
        return
    if chats.membership(chat_id, caller.user_id) is None:
        raise ProtocolError(ErrorCode.FORBIDDEN, "not a member of this chat")
    entry = rooms.entry(rooms.chat_room(chat_id), caller.connection_id, caller.user_id)
    entry.save()


def send_message(request: Request, caller: Caller) -> Outcome:
    """Store once, fan out to the chat but the sender, ack the sender.

    Costs one room Query, one conditional Put and one post per recipient.
    """
    chat_id = request.data["chatId"]
    room = rooms.resolve(rooms.chat_room(chat_id))
    _ensure_in_room(chat_id, caller, {e.connection_id for e in room})
    message, created = messages.store(
        chat_id, caller.user_id, request.data["body"], request.data.get("clientMessageId")
    )
    wire = messages.to_wire(message)
    result = None
    if created:
        targets = [e.connection_id for e in room if e.connection_id != caller.connection_id]
        result = fanout.post_to_connections(
            targets, frame(Event.MESSAGE_NEW, wire), caller.endpoint
        )
    return Outcome(frame(Event.ACK, wire, request.request_id), result)


HANDLERS: dict[Action, Callable[[Request, Caller], Outcome]] = {
    Action.HELLO: hello,
    Action.MESSAGE_SEND: send_message,
}


def dispatch(request: Request, caller: Caller) -> Outcome:
    return HANDLERS[request.action](request, caller)
