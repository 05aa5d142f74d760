"""Catching up after a reconnect: what a client missed in each of its chats, in order.

A bounded reply (per chat and in bytes, to stay far below API Gateway's
128 KB frame) with a ``hasMore`` flag; the rest comes over REST
(``GET /chats/{id}/messages?after=...``).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared import ids
from shared.store import connections, messages
from shared.store.models import Message, MessagesByTime

PAGE_PER_CHAT = 50
REPLY_BUDGET_BYTES = 96 * 1024
# Ids are taken before a send's fan-out ends, so a newer message can arrive
# before an older one still being fanned out; a client whose connection dropped
# in between holds the newer id as its cursor. Sync therefore also returns the
# messages of the OVERLAP_MS before the cursor (longer than any send can take:
# the function times out at 10 s); clients drop the ids they already have.
OVERLAP_MS = 30_000

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="sync")


def overlap_start(after: str, overlap_ms: int = OVERLAP_MS) -> str:
    """The smallest id of a message created ``overlap_ms`` before the message ``after``."""
    try:
        created = ids.decode_time(after)
    except ValueError:
        return after
    return ids.lowest_id(max(0, created - overlap_ms))


def messages_after(
    chat_id: str, after: str | None, limit: int, overlap_ms: int = 0
) -> tuple[list[Message], bool]:
    """Up to ``limit`` messages newer than ``after`` (all if None), oldest first: one Query.
    With ``overlap_ms``, also the messages created that long before ``after``."""
    start = overlap_start(after, overlap_ms) if after and overlap_ms else after
    condition = MessagesByTime.id > start if start else None
    page = list(
        Message.by_time.query(
            chat_id,
            range_key_condition=condition,
            scan_index_forward=True,
            limit=limit + 1,
            consistent_read=True,
        )
    )
    return page[:limit], len(page) > limit


def catch_up(user_id: str, last_seen: dict[str, str | None]) -> dict[str, Any]:
    """``{"chats": {chatId: {"messages": [...], "hasMore": bool}}, "unknown": [...]}``.

    Costs one Query for the user's chats plus one Query per requested chat
    (concurrently). Chats the user is not in (or that do not exist) are listed
    under ``unknown``, without telling the two apart.
    """
    member_of = set(connections.user_chat_ids(user_id))
    wanted = [chat_id for chat_id in last_seen if chat_id in member_of]
    unknown = sorted(chat_id for chat_id in last_seen if chat_id not in member_of)
    pages = _pool.map(lambda c: messages_after(c, last_seen[c], PAGE_PER_CHAT, OVERLAP_MS), wanted)
    budget = REPLY_BUDGET_BYTES
    result: dict[str, Any] = {}
    for chat_id, (page, more) in zip(wanted, pages, strict=True):
        wires: list[dict[str, Any]] = []
        for message in page:
            wire = messages.to_wire(message)
            size = len(json.dumps(wire, ensure_ascii=False).encode())
            if size > budget:
                more = True
                break
            budget -= size
            wires.append(wire)
        result[chat_id] = {"messages": wires, "hasMore": more}
    return {"chats": result, "unknown": unknown}
