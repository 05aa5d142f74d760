"""Who sent a frame and what an action returns: the types every action module shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.delivery.fanout import FanoutResult
from shared.protocol import ErrorCode, ProtocolError
from shared.store import chats, rooms
from shared.store.models import RoomEntry


def management_endpoint(request_context: dict[str, Any]) -> str:
    """The Management API of the stage an event came through: https://{domainName}/{stage}."""
    return f"https://{request_context.get('domainName')}/{request_context.get('stage')}"


@dataclass(frozen=True)
class Caller:
    """Who sent a frame, on which connection, and where to post replies."""

    connection_id: str
    user_id: str
    endpoint: str
    stage: str = ""

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Caller:
        context = event.get("requestContext") or {}
        authorizer = context.get("authorizer") or {}
        user_id = authorizer.get("userId")
        connection_id = context.get("connectionId")
        if not isinstance(user_id, str) or not user_id or not connection_id:
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "connection is not authorized")
        stage = str(context.get("stage") or "")
        return cls(connection_id, user_id, management_endpoint(context), stage)


@dataclass
class Outcome:
    """The reply to the sender plus what the action did, for the invocation log."""

    reply: str
    fanout: FanoutResult | None = None


def chat_room_as_member(chat_id: str, caller: Caller) -> list[RoomEntry]:
    """The chat's room (one Query), after checking the caller belongs to the chat.

    Membership comes free with the room Query: the caller's connection is in
    it. Only a miss costs a GetItem: either a non-member (refused, without
    telling whether the chat exists) or a member whose connection missed the
    room in a race with the chat's creation (joined now).
    """
    room = rooms.resolve(rooms.chat_room(chat_id))
    if any(entry.connection_id == caller.connection_id for entry in room):
        return room
    if chats.membership(chat_id, caller.user_id) is None:
        raise ProtocolError(ErrorCode.FORBIDDEN, "not a member of this chat")
    entry = rooms.entry(rooms.chat_room(chat_id), caller.connection_id, caller.user_id)
    entry.save()
    return [*room, entry]


def others(room: list[RoomEntry], caller: Caller) -> list[str]:
    """Connection ids in the room but the caller's own connection."""
    return [e.connection_id for e in room if e.connection_id != caller.connection_id]


def other_users(room: list[RoomEntry], caller: Caller) -> list[str]:
    """Connection ids in the room but every connection of the caller's user."""
    return [e.connection_id for e in room if e.user_id != caller.user_id]
