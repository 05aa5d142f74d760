"""The events Switchboard publishes: names, families, the detail of each, versioned.

Declared once here and documented in docs/events.md. Every event is put with
``source`` SOURCE and ``detail-type`` its name; its ``detail`` carries
``version`` (SCHEMA_VERSION: a field may be added within a version, never
renamed, retyped or removed) and the fields its builder below gives. A stack
publishes only the families named in its EventFamilies parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared import ids

SOURCE = "switchboard"
SCHEMA_VERSION = 1
# message.undelivered names at most this many users per event (ids are up to 128
# characters: 500 of them stay far inside EventBridge's 256 KB per entry); a chat
# with more offline members gets several events for one message.
MAX_USERS_PER_EVENT = 500


class Family(StrEnum):
    CONNECTION = "connection"
    USER = "user"
    MESSAGE = "message"
    CHAT = "chat"
    UNDELIVERED = "undelivered"


class EventName(StrEnum):
    CONNECTION_OPENED = "connection.opened"
    CONNECTION_CLOSED = "connection.closed"
    USER_ONLINE = "user.online"
    USER_OFFLINE = "user.offline"
    MESSAGE_CREATED = "message.created"
    MESSAGE_EDITED = "message.edited"
    MESSAGE_DELETED = "message.deleted"
    MESSAGE_UNDELIVERED = "message.undelivered"
    CHAT_CREATED = "chat.created"
    CHAT_MEMBER_ADDED = "chat.member.added"
    CHAT_MEMBER_REMOVED = "chat.member.removed"


FAMILY_OF: dict[EventName, Family] = {
    EventName.CONNECTION_OPENED: Family.CONNECTION,
    EventName.CONNECTION_CLOSED: Family.CONNECTION,
    EventName.USER_ONLINE: Family.USER,
    EventName.USER_OFFLINE: Family.USER,
    EventName.MESSAGE_CREATED: Family.MESSAGE,
    EventName.MESSAGE_EDITED: Family.MESSAGE,
    EventName.MESSAGE_DELETED: Family.MESSAGE,
    EventName.MESSAGE_UNDELIVERED: Family.UNDELIVERED,
    EventName.CHAT_CREATED: Family.CHAT,
    EventName.CHAT_MEMBER_ADDED: Family.CHAT,
    EventName.CHAT_MEMBER_REMOVED: Family.CHAT,
}


def families(value: str | Iterable[str]) -> frozenset[Family]:
    """The families a setting names (comma-separated; ``all``: every one); unknown
    names are ignored (the template's AllowedPattern refuses them first)."""
    names = value.split(",") if isinstance(value, str) else list(value)
    wanted = {name.strip().lower() for name in names if name.strip()}
    if "all" in wanted:
        return frozenset(Family)
    return frozenset(f for f in Family if f.value in wanted)


@dataclass(frozen=True)
class Entry:
    """One event to put: its name and its detail (``version`` included)."""

    name: EventName
    detail: dict[str, Any]

    @property
    def family(self) -> Family:
        return FAMILY_OF[self.name]


def _entry(event: EventName, /, **fields: Any) -> Entry:
    return Entry(event, {"version": SCHEMA_VERSION, **fields})


def _iso(epoch_ms: Any) -> str | None:
    return ids.iso_from_ms(int(epoch_ms)) if epoch_ms is not None else None


# ---------------------------------------------------------------- connections and users


def connection_opened(
    connection_id: str, user_id: str, stage: str, connected_at_ms: int, source_ip: str | None
) -> Entry:
    return _entry(
        EventName.CONNECTION_OPENED,
        connectionId=connection_id,
        userId=user_id,
        stage=stage,
        connectedAt=_iso(connected_at_ms),
        sourceIp=source_ip,
    )


def connection_closed(connection_id: str, user_id: str, stage: str, reason: str) -> Entry:
    """``reason``: ``disconnected`` ($disconnect) or ``expired`` (swept: no $disconnect came)."""
    return _entry(
        EventName.CONNECTION_CLOSED,
        connectionId=connection_id,
        userId=user_id,
        stage=stage,
        reason=reason,
    )


def user_online(user_id: str, at_ms: int) -> Entry:
    return _entry(EventName.USER_ONLINE, userId=user_id, onlineAt=_iso(at_ms))


def user_offline(user_id: str, last_seen_ms: int) -> Entry:
    return _entry(EventName.USER_OFFLINE, userId=user_id, lastSeen=_iso(last_seen_ms))


# ---------------------------------------------------------------- messages and chats


def _message_fields(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "chatId": message["chatId"],
        "messageId": message["id"],
        "senderId": message["senderId"],
        "createdAt": _iso(message.get("createdAt")),
    }


def message_created(message: dict[str, Any]) -> Entry:
    """``message``: the stored item as plain values (shared/eventbus/streams.py)."""
    return _entry(
        EventName.MESSAGE_CREATED,
        **_message_fields(message),
        body=message.get("body"),
        clientMessageId=message.get("clientMessageId"),
        attachments=message.get("attachments") or [],
        call=message.get("call"),
    )


def message_edited(message: dict[str, Any]) -> Entry:
    return _entry(
        EventName.MESSAGE_EDITED,
        **_message_fields(message),
        body=message.get("body"),
        editedAt=_iso(message.get("editedAt")),
        messageVersion=int(message.get("version") or 1),
    )


def message_deleted(message: dict[str, Any]) -> Entry:
    return _entry(
        EventName.MESSAGE_DELETED,
        **_message_fields(message),
        deletedBy=message.get("deletedBy"),
        deletedAt=_iso(message.get("deletedAt")),
    )


def message_undelivered(message: dict[str, Any], user_ids: list[str]) -> list[Entry]:
    """One event per MAX_USERS_PER_EVENT of the members who had no live connection."""
    return [
        _entry(
            EventName.MESSAGE_UNDELIVERED,
            **_message_fields(message),
            body=message.get("body"),
            attachments=message.get("attachments") or [],
            call=message.get("call"),
            userIds=user_ids[start : start + MAX_USERS_PER_EVENT],
        )
        for start in range(0, len(user_ids), MAX_USERS_PER_EVENT)
    ]


def chat_created(chat: dict[str, Any]) -> Entry:
    return _entry(
        EventName.CHAT_CREATED,
        chatId=chat["chatId"],
        name=chat.get("name"),
        createdBy=chat.get("createdBy"),
        createdAt=_iso(chat.get("createdAt")),
    )


def member_added(member: dict[str, Any]) -> Entry:
    return _entry(
        EventName.CHAT_MEMBER_ADDED,
        chatId=member["chatId"],
        userId=member["userId"],
        role=member.get("role") or "member",
        joinedAt=_iso(member.get("joinedAt")),
    )


def member_removed(member: dict[str, Any]) -> Entry:
    return _entry(EventName.CHAT_MEMBER_REMOVED, chatId=member["chatId"], userId=member["userId"])
