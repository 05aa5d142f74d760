"""Direct reads of the tables (through boto3) that tests use to check what was written."""

from __future__ import annotations

from typing import Any

Item = dict[str, Any]


def _query(dynamodb: Any, table: str, condition: str, value: str, **extra: Any) -> list[Item]:
    return list(
        dynamodb.query(
            TableName=table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues={":v": {"S": value}},
            **extra,
        )["Items"]
    )


def stored_messages(dynamodb: Any, tables: dict[str, str], chat_id: str) -> list[Item]:
    """Every stored message of a chat (consistent read)."""
    return _query(dynamodb, tables["MessagesTable"], "chatId = :v", chat_id, ConsistentRead=True)


def chat_members(dynamodb: Any, tables: dict[str, str], chat_id: str) -> set[str]:
    items = _query(dynamodb, tables["MembersTable"], "chatId = :v", chat_id, ConsistentRead=True)
    return {item["userId"]["S"] for item in items}


def room_entries(dynamodb: Any, tables: dict[str, str], room: str) -> list[Item]:
    return _query(dynamodb, tables["RoomsTable"], "room = :v", room, ConsistentRead=True)


def _scan(dynamodb: Any, table: str, attribute: str, value: str) -> list[Item]:
    """Every item of a table whose ``attribute`` is ``value`` (a consistent Scan: tests
    only; the code never scans)."""
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="#a = :v",
        ExpressionAttributeNames={"#a": attribute},
        ExpressionAttributeValues={":v": {"S": value}},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page["Items"]]


def rooms_of(dynamodb: Any, tables: dict[str, str], connection_id: str) -> set[str]:
    """The rooms a connection is in (the table has no index by connection: scanned)."""
    return {
        item["room"]["S"]
        for item in _scan(dynamodb, tables["RoomsTable"], "connectionId", connection_id)
    }


def connections_of(dynamodb: Any, tables: dict[str, str], user_id: str) -> list[Item]:
    """A user's connection records (scanned)."""
    return _scan(dynamodb, tables["ConnectionsTable"], "userId", user_id)


def room_names_of(connection_id: str) -> list[str]:
    """The rooms a connection is in, through the domain's models (unit tests; scanned)."""
    from shared.store.models import RoomEntry

    found = RoomEntry.scan(RoomEntry.connection_id == connection_id, consistent_read=True)
    return sorted(entry.room for entry in found)


def connection_record(dynamodb: Any, tables: dict[str, str], connection_id: str) -> Item | None:
    answer = dynamodb.get_item(
        TableName=tables["ConnectionsTable"],
        Key={"connectionId": {"S": connection_id}},
        ConsistentRead=True,
    )
    return answer.get("Item")
