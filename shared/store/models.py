"""PynamoDB models of the six tables declared in template.yaml.

Table names, region and endpoint are read from ``settings()`` when PynamoDB first
asks for them (not at import): the environment the template sets
(CONNECTIONS_TABLE, ...; the endpoint from the standard
AWS_ENDPOINT_URL_DYNAMODB). Every model's botocore client counts its calls
(shared/observability/calls.py).
"""

from __future__ import annotations

import threading
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection as PynamoConnection
from pynamodb.connection import TableConnection
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    LocalSecondaryIndex,
)
from pynamodb.models import Model

from shared.config import on_change, settings
from shared.observability import calls
from shared.retries import DYNAMODB


class _LazyMeta(type):
    """Meta classes whose table name comes from settings() when read (not at import)."""

    setting: str

    @property
    def table_name(cls) -> str:
        return str(getattr(settings(), cls.setting))


class _Meta(metaclass=_LazyMeta):
    setting = ""
    # DynamoDB's retry policy (shared/retries.py); botocore counts retries only.
    max_retry_attempts = DYNAMODB.attempts - 1
    connect_timeout_seconds = DYNAMODB.connect_timeout_seconds
    read_timeout_seconds = DYNAMODB.read_timeout_seconds


class _Table(Model):
    """A model whose botocore client counts its calls."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # Region and endpoint are set here, not as lazy Meta properties: PynamoDB looks
        # them up when a model class is made, which would read settings at import.
        current = settings()
        cls.Meta.region = current.region
        cls.Meta.host = current.dynamodb_endpoint or None
        connection = super()._get_connection()
        return _share(connection, (current.region, current.dynamodb_endpoint))


_shared_lock = threading.Lock()
_shared: dict[tuple[str, str], PynamoConnection] = {}


def _share(table: TableConnection, key: tuple[str, str]) -> TableConnection:
    """One PynamoDB Connection (one botocore client, one connection pool) for every
    table of a region and endpoint, instead of one per model: fewer clients to build at
    a cold start, and its calls counted once."""
    with _shared_lock:
        shared = _shared.setdefault(key, table.connection)
        if table.connection is not shared:
            # PynamoDB keeps each table's schema on its Connection (a private dict).
            if table.table_name not in shared._tables:
                shared.add_meta_table(table.connection.get_meta_table(table.table_name))
            table.connection = shared
    calls.instrument(shared.client)
    return table


def client_of(model: type[Model]) -> Any:
    """The botocore client PynamoDB made for ``model`` (one connection pool), counted."""
    return model._get_connection().connection.client


def _forget_connections() -> None:
    """Settings changed: each model connects again on next use (tables, region, endpoint)."""
    for model in (Connection, RoomEntry, Chat, Member, Message, User):
        model._connection = None


on_change(_forget_connections)


# ---------------------------------------------------------------- connections


class Connection(_Table):
    """A live WebSocket connection (one per device/session); a user's connections are
    the entries of the user's room (``user:{id}``), so this table has no index."""

    class Meta(_Meta):
        setting = "connections_table"

    connection_id = UnicodeAttribute(hash_key=True, attr_name="connectionId")
    user_id = UnicodeAttribute(attr_name="userId")
    connected_at = NumberAttribute(attr_name="connectedAt")  # epoch ms
    source_ip = UnicodeAttribute(null=True, attr_name="sourceIp")
    expires_at = NumberAttribute(attr_name="expiresAt")  # epoch s, DynamoDB TTL


# ---------------------------------------------------------------- rooms


class RoomEntry(_Table):
    """One connection in one room (``user:{id}`` or ``chat:{id}``)."""

    class Meta(_Meta):
        setting = "rooms_table"

    room = UnicodeAttribute(hash_key=True, attr_name="room")
    connection_id = UnicodeAttribute(range_key=True, attr_name="connectionId")
    user_id = UnicodeAttribute(attr_name="userId")
    expires_at = NumberAttribute(attr_name="expiresAt")  # epoch s, DynamoDB TTL


# ---------------------------------------------------------------- chats


class Chat(_Table):
    class Meta(_Meta):
        setting = "chats_table"

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    name = UnicodeAttribute(null=True, attr_name="name")
    created_by = UnicodeAttribute(attr_name="createdBy")
    created_at = NumberAttribute(attr_name="createdAt")  # epoch ms
    member_count = NumberAttribute(null=True, attr_name="memberCount")  # kept by add/remove


class MembersByUser(GlobalSecondaryIndex["Member"]):  # type: ignore[no-untyped-call]  # PynamoDB: untyped __init_subclass__
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    chat_id = UnicodeAttribute(range_key=True, attr_name="chatId")


class Member(_Table):
    """A user's membership of a chat; the byUser index lists a user's chats."""

    class Meta(_Meta):
        setting = "members_table"

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    user_id = UnicodeAttribute(range_key=True, attr_name="userId")
    role = UnicodeAttribute(default="member", attr_name="role")  # "admin" | "member"
    joined_at = NumberAttribute(attr_name="joinedAt")  # epoch ms
    last_read_id = UnicodeAttribute(null=True, attr_name="lastReadId")  # read receipts
    read_at = NumberAttribute(null=True, attr_name="readAt")  # epoch ms
    by_user = MembersByUser()


# ---------------------------------------------------------------- messages


REACTION_PREFIX = "reaction:"  # attribute name prefix of a message's per-emoji user sets


class MessagesByTime(LocalSecondaryIndex["Message"]):  # type: ignore[no-untyped-call]  # PynamoDB: untyped __init_subclass__
    class Meta:
        index_name = "byTime"
        projection = AllProjection()

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    id = UnicodeAttribute(range_key=True, attr_name="id")


class Attachment(MapAttribute[str, Any]):
    """A file a message carries: its object is ``files/{chatId}/{id}`` in the attachments
    bucket (shared/attachments), checked and copied there when the message was sent."""

    id = UnicodeAttribute(attr_name="id")
    name = UnicodeAttribute(attr_name="name")
    size = NumberAttribute(attr_name="size")  # bytes
    content_type = UnicodeAttribute(attr_name="contentType")

    @classmethod
    def of(cls, id: str, name: str, size: int, content_type: str) -> Attachment:
        return cls(id=id, name=name, size=size, content_type=content_type)


class CallRecord(MapAttribute[str, Any]):
    """What a call message says (shared/calls/history.py): the call, its media, how it
    stands (``ringing``, ``active``, then ``ended``; or ``missed``, ``declined``,
    ``cancelled``, ``busy``) and, once answered, when it started and ended."""

    call_id = UnicodeAttribute(attr_name="callId")
    media = UnicodeAttribute(attr_name="media")
    status = UnicodeAttribute(attr_name="status")
    started_at = NumberAttribute(null=True, attr_name="startedAt")  # epoch ms, answered
    ended_at = NumberAttribute(null=True, attr_name="endedAt")  # epoch ms

    @classmethod
    def of(cls, call_id: str, media: str, status: str) -> CallRecord:
        return cls(call_id=call_id, media=media, status=status)


class Message(_Table):
    """A chat message. The key ``{senderId}#{clientMessageId}`` makes sends idempotent."""

    class Meta(_Meta):
        setting = "messages_table"

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    dedup_key = UnicodeAttribute(range_key=True, attr_name="dedupKey")
    id = UnicodeAttribute(attr_name="id")
    sender_id = UnicodeAttribute(attr_name="senderId")
    body = UnicodeAttribute(null=True, attr_name="body")  # removed by a delete
    created_at = NumberAttribute(attr_name="createdAt")  # epoch ms
    client_message_id = UnicodeAttribute(attr_name="clientMessageId")
    version = NumberAttribute(default=1, attr_name="version")  # +1 per edit/delete/reaction
    edited_at = NumberAttribute(null=True, attr_name="editedAt")  # epoch ms
    deleted_at = NumberAttribute(null=True, attr_name="deletedAt")  # epoch ms
    deleted_by = UnicodeAttribute(null=True, attr_name="deletedBy")
    # Reactions: one top-level string set of user ids per emoji, named
    # REACTION_PREFIX + emoji (ADD/DELETE work atomically on top-level sets
    # only), and the set of emojis in use, which caps how many there can be.
    reaction_emojis = UnicodeSetAttribute(null=True, attr_name="reactionEmojis")
    attachments = ListAttribute(of=Attachment, null=True, attr_name="attachments")
    # A call's message (shared/calls). PynamoDB: MapAttribute's __init__ is untyped.
    call = CallRecord(null=True, attr_name="call")  # type: ignore[no-untyped-call]
    by_time = MessagesByTime()
    _reactions: dict[str, set[str]]  # the reaction:* sets, kept by from_raw_data

    @classmethod
    def from_raw_data(cls, data: dict[str, Any]) -> Message:
        """Every read goes through here: keep the per-emoji reaction sets too."""
        message = super().from_raw_data(data)
        message._reactions = {
            name[len(REACTION_PREFIX) :]: set(value["SS"])
            for name, value in data.items()
            if name.startswith(REACTION_PREFIX) and "SS" in value
        }
        return message

    @property
    def reactions(self) -> dict[str, set[str]]:
        """emoji -> the ids of the users who reacted with it (none on a new message)."""
        return getattr(self, "_reactions", None) or {}


# ---------------------------------------------------------------- users


class User(_Table):
    """Durable per-user presence: last seen and the chosen status."""

    class Meta(_Meta):
        setting = "users_table"

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    last_seen = NumberAttribute(null=True, attr_name="lastSeen")  # epoch ms
    status = UnicodeAttribute(null=True, attr_name="status")  # "online" | "away" | "busy"
    status_text = UnicodeAttribute(null=True, attr_name="statusText")


def dedup_key(sender_id: str, client_message_id: str) -> str:
    return f"{sender_id}#{client_message_id}"
