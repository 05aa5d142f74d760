"""Rooms: named sets of connections (``user:{id}``, ``chat:{id}``) resolved with one Query."""

from __future__ import annotations

import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared import clock
from shared.config import CONNECTION_TTL_SECONDS
from shared.store.models import RoomEntry, client_of


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


@dataclass
class Page:
    """A room's first entries and the key its rest begins after (None: that is all).

    Iterating a page yields its entries."""

    room: str
    entries: list[RoomEntry]
    after: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[RoomEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def complete(self) -> bool:
        return self.after is None


def first_page(room: str, limit: int | None) -> Page:
    """The room's first ``limit`` entries (one Query), or all of it when ``limit`` is None."""
    if limit is None:
        return Page(room, resolve(room))
    entries, after = page(room, limit=limit)
    return Page(room, entries, after)


def resolve(room: str) -> list[RoomEntry]:
    """Every connection in a room: one strongly consistent Query (paged past 1 MB)."""
    return list(RoomEntry.query(room, consistent_read=True))


# The last key a range can hold: above every connection id (API Gateway's are base64).
KEY_MAX = "\uffff"


def page(
    room: str,
    *,
    limit: int | None = None,
    after: dict[str, Any] | None = None,
    between: tuple[str, str] | None = None,
) -> tuple[list[RoomEntry], dict[str, Any] | None]:
    """One page of a room (one strongly consistent Query): up to ``limit`` entries (or
    1 MB), after the key ``after``, connection ids within ``between`` (inclusive).
    Returns the entries and the key to go on from (None: the room, or range, is done)."""
    request = _page_request(room, limit, after, between)
    response = client_of(RoomEntry).query(**request)
    entries = [RoomEntry.from_raw_data(item) for item in response.get("Items", [])]
    return entries, response.get("LastEvaluatedKey")


def _page_request(
    room: str,
    limit: int | None,
    after: dict[str, Any] | None,
    between: tuple[str, str] | None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TableName": RoomEntry.Meta.table_name,
        "KeyConditionExpression": "#room = :room",
        "ExpressionAttributeNames": {"#room": "room"},
        "ExpressionAttributeValues": {":room": {"S": room}},
        "ConsistentRead": True,
    }
    if between is not None:
        request["KeyConditionExpression"] += " AND #id BETWEEN :low AND :high"
        request["ExpressionAttributeNames"]["#id"] = "connectionId"
        request["ExpressionAttributeValues"].update(
            {":low": {"S": between[0]}, ":high": {"S": between[1]}}
        )
    if limit is not None:
        request["Limit"] = limit
    if after is not None:
        request["ExclusiveStartKey"] = after
    return request


def ranges_after(connection_id: str, parts: int) -> list[tuple[str, str]]:
    """Split the connection ids above ``connection_id`` into ``parts`` ranges of about
    equal width (inclusive bounds, cut on single characters, which no connection id
    is; fewer when fewer characters are left), so that a large room's rest is read by
    parallel Queries rather than page by page."""
    above = [c for c in _KEY_ALPHABET if c > connection_id[:1]]
    parts = max(1, min(parts, len(above)))
    cuts = [above[round(i * len(above) / parts)] for i in range(1, parts)]
    bounds = [connection_id, *dict.fromkeys(cuts), KEY_MAX]
    return [(low, high) for low, high in zip(bounds, bounds[1:], strict=False)]


def connections_page(
    room: str,
    *,
    limit: int | None = None,
    after: dict[str, Any] | None = None,
    between: tuple[str, str] | None = None,
) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
    """``page``'s (connection id, user id) pairs, read without building models: a
    delivery job reads tens of thousands of them. (No projection: the entries hold
    little else, and the read units are the same.)"""
    request = _page_request(room, limit, after, between)
    response = client_of(RoomEntry).query(**request)
    found = [
        (item["connectionId"]["S"], item.get("userId", {}).get("S", ""))
        for item in response.get("Items", [])
    ]
    return found, response.get("LastEvaluatedKey")


# API Gateway's connection ids are base64: these characters, in key (byte) order.
_KEY_ALPHABET = sorted(string.ascii_letters + string.digits + "+/=-_")
