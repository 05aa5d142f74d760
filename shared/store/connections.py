"""Connection lifecycle: register on $connect (with its rooms), unregister on $disconnect or 410."""

from __future__ import annotations

from shared import clock
from shared.config import CONNECTION_TTL_SECONDS
from shared.store import dynamodb, rooms
from shared.store.models import Connection, Member, RoomEntry


def user_chat_ids(user_id: str) -> list[str]:
    """The chats a user belongs to: one Query of the members' byUser index."""
    return [member.chat_id for member in Member.by_user.query(user_id)]


def register(
    connection_id: str, user_id: str, connected_at_ms: int, source_ip: str | None
) -> list[str]:
    """Write the connection and its room entries (user room + every chat) in one batch.

    Costs one Query plus ceil((2 + chats) / 25) BatchWriteItem calls. If the
    batch fails, whatever was written is removed again and the error raised.
    """
    chat_ids = user_chat_ids(user_id)
    expires_at = clock.now_s() + CONNECTION_TTL_SECONDS
    connection = Connection(
        connection_id,
        user_id=user_id,
        connected_at=connected_at_ms,
        source_ip=source_ip,
        expires_at=expires_at,
    )
    entries = [rooms.entry(rooms.user_room(user_id), connection_id, user_id, expires_at)]
    entries += [
        rooms.entry(rooms.chat_room(chat_id), connection_id, user_id, expires_at)
        for chat_id in chat_ids
    ]
    try:
        dynamodb.write(puts=[connection, *entries])
    except Exception:
        dynamodb.write(deletes=[connection, *entries])
        raise
    return chat_ids


def unregister(connection_id: str) -> list[str]:
    """Delete a connection record and all its room entries; returns the rooms it left.

    Costs one Query of the byConnection index plus ceil((rooms + 1) / 25)
    BatchWriteItem calls. Idempotent: deleting what is gone is not an error.
    """
    entries = rooms.rooms_of(connection_id)
    dynamodb.write(deletes=[Connection(connection_id), *entries])
    return [entry.room for entry in entries]


# A post to a connection whose $connect has not returned yet gets 410 too; such a
# connection is young and must not be cleaned up.
GONE_GRACE_MS = 10_000


def unregister_if_stale(connection_id: str) -> bool:
    """Clean up after a 410, unless the connection is still completing its $connect.

    Costs one GetItem, plus unregister() when stale. Returns whether it cleaned up.
    """
    try:
        record = Connection.get(connection_id, consistent_read=True)
    except Connection.DoesNotExist:
        record = None
    if record is not None:
        # Young means recently written: $connect may run long after the handshake
        # began (a queue), and the record is written with expiresAt = now + TTL.
        written_ms = (record.expires_at - CONNECTION_TTL_SECONDS) * 1000
        if max(record.connected_at, written_ms) > clock.now_ms() - GONE_GRACE_MS:
            return False
    unregister(connection_id)
    return True


def user_connection_ids(user_id: str) -> list[str]:
    """A user's live connections (every device), from the connections' byUser index."""
    return [c.connection_id for c in Connection.by_user.query(user_id)]


def join_room(room: str, connections: list[RoomEntry]) -> None:
    """Put the given connections (user room entries) into another room, batched."""
    dynamodb.write(puts=[rooms.entry(room, e.connection_id, e.user_id) for e in connections])
