"""Who sent a frame and what an action returns: the types every action module shares,
and the one way an action announces something to a chat's other connections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared import errors
from shared.delivery import fanout
from shared.delivery.fanout import FanoutResult
from shared.invocation import GatewayEvent
from shared.protocol import Event, frame
from shared.store import chats, rooms


@dataclass(frozen=True)
class Caller:
    """Who sent a frame, on which connection, and where to post replies."""

    connection_id: str
    user_id: str
    endpoint: str
    stage: str = ""

    @classmethod
    def from_event(cls, event: GatewayEvent) -> Caller:
        """The caller of a WebSocket event: the user the `$connect` authorizer vouched for."""
        if event.user_id is None or event.connection_id is None:
            raise errors.Unauthorized("connection is not authorized")
        return cls(event.connection_id, event.user_id, event.management_endpoint, event.stage)

    def room_of(self, chat_id: str) -> rooms.Page:
        """The chat's room, after checking the caller belongs to the chat (see
        ``chats.room_as_member``: one Query, Forbidden for non-members). A room larger
        than the inline fan-out limit is read only that far; ``announce`` hands its
        rest to the delivery function."""
        return chats.room_as_member(
            chat_id, self.connection_id, self.user_id, fanout.first_page_limit()
        )

    def announce(
        self, room: rooms.Page, event: Event, data: Any, *, own_devices: bool = True
    ) -> FanoutResult:
        """Post ``event`` to every connection in ``room`` but the caller's own; with
        ``own_devices=False``, to none of the caller's user's devices either."""
        targets = [
            e.connection_id
            for e in room
            if e.connection_id != self.connection_id and (own_devices or e.user_id != self.user_id)
        ]
        rest = fanout.room_rest(room, (self.connection_id,), None if own_devices else self.user_id)
        return fanout.deliver(targets, frame(event, data), self.endpoint, rest)


@dataclass
class Outcome:
    """The reply to the sender plus what the action did, for the invocation log."""

    reply: str
    fanout: FanoutResult | None = None
