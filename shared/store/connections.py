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


def unregister(connection_id: str, user_id: str | None = None) -> list[str]:
    """Delete a connection's record and its room entries; returns the rooms it left.

    The rooms are the user's room and the room of every chat the user is a member of
    now (chats joined while connected were joined by this connection too; chats left
    took their entries with them). Costs one Query of the user's memberships plus
    ceil((chats + 2) / 25) BatchWriteItem calls, and one GetItem first when the user
    is not given. No index of the room entries is kept to find them: each one would be
    written and deleted again with its entry at every reconnect. Idempotent: deleting
    what is gone is not an error; a connection without a record and no user given has
    nothing left to find (its room entries, if any, expire with their TTL).
    """
    if user_id is None:
        user_id = user_of(connection_id)
        if user_id is None:
            return []
    names = [rooms.user_room(user_id), *map(rooms.chat_room, user_chat_ids(user_id))]
    # The record goes last: a failed batch leaves it, so a later attempt finds the user.
    dynamodb.write(
        deletes=[*(RoomEntry(name, connection_id) for name in names), Connection(connection_id)]
    )
    return names


def user_of(connection_id: str) -> str | None:
    """The user a connection belongs to, from its record (one GetItem); None without one."""
    record = _record(connection_id)
    return record.user_id if record is not None else None


def _record(connection_id: str) -> Connection | None:
    try:
        return Connection.get(connection_id, consistent_read=True)
    except Connection.DoesNotExist:
        return None


# A post to a connection whose $connect has not returned yet gets 410 too; such a
# connection is young and must not be cleaned up.
GONE_GRACE_MS = 10_000


def unregister_if_stale(connection_id: str) -> bool:
    """Clean up after a 410, unless the connection is still completing its $connect.

    Costs one GetItem, plus unregister() when stale. Returns whether it cleaned up
    (False too when there is no record: it was unregistered already).
    """
    record = _record(connection_id)
    if record is None:
        return False  # already unregistered
    # Young means recently written: $connect may run long after the handshake began
    # (a queue), and the record is written with expiresAt = now + TTL.
    written_ms = (record.expires_at - CONNECTION_TTL_SECONDS) * 1000
    if max(record.connected_at, written_ms) > clock.now_ms() - GONE_GRACE_MS:
        return False
    unregister(connection_id, record.user_id)
    return True


def user_connection_ids(user_id: str) -> list[str]:
    """A user's live connections (every device): the entries of the user's room."""
    return [entry.connection_id for entry in rooms.resolve(rooms.user_room(user_id))]


def join_room(room: str, connections: list[RoomEntry]) -> None:
    """Put the given connections (user room entries) into another room, batched."""
    dynamodb.write(puts=[rooms.entry(room, e.connection_id, e.user_id) for e in connections])
