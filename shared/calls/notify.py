"""Who hears of a call's changes: its peers (connection ids kept with the call, no lookup)
and users' devices (each user's ``user:{id}`` room: one Query per user, at most
``MAX_CALL_PEERS - 1`` of them), posted concurrently."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared import protocol
from shared.delivery import fanout
from shared.state.calls import Call
from shared.store import rooms


def devices(user_ids: Iterable[str], exclude_connection: str | None = None) -> list[str]:
    """Every connection of these users but one: one room Query per user."""
    found: list[str] = []
    for user_id in dict.fromkeys(user_ids):
        found += [
            e.connection_id
            for e in rooms.resolve(rooms.user_room(user_id))
            if e.connection_id != exclude_connection
        ]
    return found


def peers(call: Call, exclude_peer: str | None = None) -> list[str]:
    return [p.connection_id for p in call.peers.values() if p.peer_id != exclude_peer]


def post(
    connection_ids: Iterable[str], event: protocol.Event, data: Any, endpoint: str
) -> fanout.FanoutResult:
    return fanout.post_to_connections(connection_ids, protocol.frame(event, data), endpoint)
