"""The manager API: Switchboard's public server-side operations, for your own code.

Mirrors the Socket.IO manager Switchboard replaces: broadcast_to_chat,
send_to_user, broadcast, broadcast_user_status, add_user_to_chat,
remove_user_from_chat, get_stats, get_chat_users, is_user_online,
disconnect_user (and user_status), plus create_chat and send_message for
system and bot users. Each is a thin, stable name over the layer that does the
work (delivery, lifecycle, store); Switchboard's own code calls those layers
directly, and the server API (shared/server_api) calls these for backends
outside the stack. ``event`` is one of Switchboard's events or an application
event (whose name the server API checks). ``endpoint`` defaults to the stage's
Management API (MANAGEMENT_ENDPOINT).
"""

from __future__ import annotations

from typing import Any

from shared.config import settings
from shared.delivery import fanout
from shared.delivery.fanout import FanoutResult
from shared.lifecycle import membership, sessions, status
from shared.protocol import Event
from shared.store import chats, messages


def broadcast_to_chat(
    chat_id: str,
    event: Event | str,
    data: Any,
    exclude_connection: str | None = None,
    endpoint: str | None = None,
    exclude_user: str | None = None,
) -> FanoutResult:
    """``event`` to every connection in the chat (but ``exclude_connection`` and every
    device of ``exclude_user``)."""
    return fanout.broadcast_to_chat(
        chat_id, event, data, exclude_connection, endpoint, exclude_user
    )


def send_to_user(
    user_id: str, event: Event | str, data: Any, endpoint: str | None = None
) -> FanoutResult:
    """``event`` to every device of a user."""
    return fanout.send_to_user(user_id, event, data, endpoint)


def broadcast(event: Event | str, data: Any, endpoint: str | None = None) -> FanoutResult:
    """``event`` to every live connection (an administrative operation: a Scan)."""
    return fanout.broadcast(event, data, endpoint)


def broadcast_user_status(
    user_id: str, payload: dict[str, Any] | None = None, endpoint: str | None = None
) -> FanoutResult:
    """``user:status`` (the user's current one unless given) to everyone sharing a chat."""
    return status.announce(user_id, payload, endpoint=endpoint)


def add_user_to_chat(
    chat_id: str,
    user_id: str,
    added_by: str | None = None,
    role: str = "member",
    endpoint: str | None = None,
) -> bool:
    """Make ``user_id`` a member (live connections join at once); False if already one."""
    return membership.add(chat_id, user_id, added_by, role, endpoint)


def remove_user_from_chat(
    chat_id: str, user_id: str, removed_by: str | None = None, endpoint: str | None = None
) -> bool:
    """End a membership (live connections leave at once); False if not a member."""
    return membership.remove(chat_id, user_id, removed_by, endpoint)


def get_stats() -> dict[str, Any]:
    """Live connections, online users and per-stage connection counts."""
    return status.stats()


def get_chat_users(chat_id: str) -> list[dict[str, Any]]:
    """Members of a chat who are online now, with their chosen status."""
    return status.chat_users(chat_id)


def is_user_online(user_id: str) -> bool:
    return status.is_online(user_id)


def user_status(user_id: str) -> dict[str, Any]:
    """``{userId, status, text, lastSeen}``."""
    return status.user_status(user_id)


def disconnect_user(user_id: str, endpoint: str | None = None) -> int:
    """Close every session of a user; returns how many were closed."""
    return sessions.close_all(user_id, endpoint or settings().management_endpoint)


def create_chat(
    created_by: str, members: list[str], name: str | None = None, endpoint: str | None = None
) -> dict[str, Any]:
    """A chat of ``created_by`` (its admin) and ``members``; their live connections join
    it at once and hear ``chat:created``. Returns the chat as clients see it."""
    return membership.create(created_by, members, name, endpoint)


def send_message(
    chat_id: str,
    sender_id: str,
    body: str,
    client_message_id: str | None = None,
    endpoint: str | None = None,
) -> dict[str, Any]:
    """A message from ``sender_id`` (a person, a bot or a system user; not necessarily a
    member), stored and delivered like any other: ``message:new`` to every connection of
    the chat, the sender's own devices included. Idempotent per (sender,
    ``client_message_id``): a retry delivers nothing twice. NotFound if the chat does
    not exist. Returns the message as clients see it."""
    chats.existing(chat_id)
    message, created = messages.store(chat_id, sender_id, body, client_message_id)
    wire = messages.to_wire(message)
    if created:
        fanout.broadcast_to_chat(chat_id, Event.MESSAGE_NEW, wire, endpoint=endpoint)
    return wire
