"""PynamoDB models of the five tables declared in template.yaml.

Table names come from the environment the template sets (CONNECTIONS_TABLE, ...);
the endpoint from the standard AWS_ENDPOINT_URL_DYNAMODB when it is set.
"""

from __future__ import annotations

import os

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
from pynamodb.models import Model

from shared.config import settings

_SETTINGS = settings()


class _Meta:
    region = _SETTINGS.region
    host = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    max_retry_attempts = 4
    connect_timeout_seconds = 2
    read_timeout_seconds = 5


# ---------------------------------------------------------------- connections


class ConnectionsByUser(GlobalSecondaryIndex["Connection"]):
    class Meta:
        index_name = "byUser"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    connection_id = UnicodeAttribute(range_key=True, attr_name="connectionId")


class Connection(Model):
    """A live WebSocket connection (one per device/session)."""

    class Meta(_Meta):
        table_name = _SETTINGS.connections_table

    connection_id = UnicodeAttribute(hash_key=True, attr_name="connectionId")
    user_id = UnicodeAttribute(attr_name="userId")
    connected_at = NumberAttribute(attr_name="connectedAt")  # epoch ms
    source_ip = UnicodeAttribute(null=True, attr_name="sourceIp")
    expires_at = NumberAttribute(attr_name="expiresAt")  # epoch s, DynamoDB TTL
    by_user = ConnectionsByUser()


# ---------------------------------------------------------------- rooms


class RoomsByConnection(GlobalSecondaryIndex["RoomEntry"]):
    class Meta:
        index_name = "byConnection"
        projection = KeysOnlyProjection()

    connection_id = UnicodeAttribute(hash_key=True, attr_name="connectionId")
    room = UnicodeAttribute(range_key=True, attr_name="room")


class RoomEntry(Model):
    """One connection in one room (``user:{id}`` or ``chat:{id}``)."""

    class Meta(_Meta):
        table_name = _SETTINGS.rooms_table

    room = UnicodeAttribute(hash_key=True, attr_name="room")
    connection_id = UnicodeAttribute(range_key=True, attr_name="connectionId")
    user_id = UnicodeAttribute(attr_name="userId")
    expires_at = NumberAttribute(attr_name="expiresAt")  # epoch s, DynamoDB TTL
    by_connection = RoomsByConnection()


# ---------------------------------------------------------------- chats


class Chat(Model):
    class Meta(_Meta):
        table_name = _SETTINGS.chats_table

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    name = UnicodeAttribute(null=True, attr_name="name")
    created_by = UnicodeAttribute(attr_name="createdBy")
    created_at = NumberAttribute(attr_name="createdAt")  # epoch ms


class MembersByUser(GlobalSecondaryIndex["Member"]):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True, attr_name="userId")
    chat_id = UnicodeAttribute(range_key=True, attr_name="chatId")


class Member(Model):
    """A user's membership of a chat; the byUser index lists a user's chats."""

    class Meta(_Meta):
        table_name = _SETTINGS.members_table

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    user_id = UnicodeAttribute(range_key=True, attr_name="userId")
    role = UnicodeAttribute(default="member", attr_name="role")  # "admin" | "member"
    joined_at = NumberAttribute(attr_name="joinedAt")  # epoch ms
    by_user = MembersByUser()


# ---------------------------------------------------------------- messages


class MessagesByTime(LocalSecondaryIndex["Message"]):
    class Meta:
        index_name = "byTime"
        projection = AllProjection()

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    id = UnicodeAttribute(range_key=True, attr_name="id")


class Message(Model):
    """A chat message. The key ``{senderId}#{clientMessageId}`` makes sends idempotent."""

    class Meta(_Meta):
        table_name = _SETTINGS.messages_table

    chat_id = UnicodeAttribute(hash_key=True, attr_name="chatId")
    dedup_key = UnicodeAttribute(range_key=True, attr_name="dedupKey")
    id = UnicodeAttribute(attr_name="id")
    sender_id = UnicodeAttribute(attr_name="senderId")
    body = UnicodeAttribute(attr_name="body")
    created_at = NumberAttribute(attr_name="createdAt")  # epoch ms
    client_message_id = UnicodeAttribute(attr_name="clientMessageId")
    by_time = MessagesByTime()


def dedup_key(sender_id: str, client_message_id: str) -> str:
    return f"{sender_id}#{client_message_id}"
