"""Rooms: named sets of connections (``user:{id}``, ``chat:{id}``) resolved with one Query."""

from __future__ import annotations

from shared import clock
from shared.config import CONNECTION_TTL_SECONDS
from shared.store.models import RoomEntry


def user_room(user_id: str) -> str:
    return f"user:{user_id}"


def chat_room(chat_id: str) -> str:
    return f"chat:{chat_id}"


def chat_ids_of(room_names: list[str]) -> list[str]:
    """The chat ids among room names (``chat:{id}``; ``user:`` rooms left out)."""
    prefix = chat_room("")
    return [name[len(prefix) :] for name in room_names if name.startswith(prefix)]


def entry(room: str, connection_id: str, user_id: str, expires_at: int | None = None) -> RoomEntry:
    """A room entry (not yet written); it expires with its connection."""
    return RoomEntry(
        room,
        connection_id,
        user_id=user_id,
        expires_at=expires_at or clock.now_s() + CONNECTION_TTL_SECONDS,
    )


def resolve(room: str) -> list[RoomEntry]:
    """Every connection in a room: one strongly consistent Query (paged past 1 MB)."""
    return list(RoomEntry.query(room, consistent_read=True))


def rooms_of(connection_id: str) -> list[RoomEntry]:
    """The rooms a connection is in (keys only), from the byConnection index."""
    return list(RoomEntry.by_connection.query(connection_id))
