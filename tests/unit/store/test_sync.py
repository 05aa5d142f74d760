"""Catching up after a reconnect: what was missed per chat, oldest first, bounded, with overlap."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shared import config, ids
from shared.observability import calls
from shared.store import dynamodb, sync
from shared.store.models import Member, Message, dedup_key
from shared.store.sync import OVERLAP_MS, PAGE_PER_CHAT, REPLY_BUDGET_BYTES
from tests.unit.store.conftest import FakeClock

Post = Callable[..., Message]
T0 = 1_800_000_000_000


@pytest.fixture(autouse=True)
def members(domain: config.Settings, join: Callable[..., Member]) -> None:
    """alice is in c1 and c2; c3 exists without her."""
    for chat_id in ("c1", "c2"):
        join(chat_id, "alice")
        join(chat_id, "bob")
    join("c3", "bob")


def bulk(chat_id: str, count: int, body: str = "x", start_ms: int = T0) -> list[str]:
    """``count`` of bob's messages written directly, a millisecond apart; ids oldest first."""
    made = [
        Message(
            chat_id,
            dedup_key("bob", f"b{start_ms + i}"),
            id=ids.new_id(start_ms + i),
            sender_id="bob",
            body=body,
            created_at=start_ms + i,
            client_message_id=f"b{start_ms + i}",
        )
        for i in range(count)
    ]
    dynamodb.write(puts=made)
    return [m.id for m in made]


def wire_ids(reply: dict[str, Any], chat_id: str) -> list[str]:
    return [m["id"] for m in reply["chats"][chat_id]["messages"]]


def size(wire: dict[str, Any]) -> int:
    return len(json.dumps(wire, ensure_ascii=False).encode())


# ---------------------------------------------------------------- overlap_start


def test_the_overlap_starts_at_the_lowest_id_of_its_first_millisecond() -> None:
    after = ids.new_id(T0)
    assert sync.overlap_start(after) == ids.lowest_id(T0 - OVERLAP_MS)
    assert sync.overlap_start(after, 5) == ids.lowest_id(T0 - 5)
    assert sync.overlap_start(after, 5) < ids.new_id(T0 - 5)


def test_the_overlap_never_starts_before_the_epoch() -> None:
    assert sync.overlap_start(ids.new_id(10)) == ids.lowest_id(0)


@pytest.mark.parametrize(
    "cursor", ["m1", "not-a-time-sortable-id-000", "01abcdefghjkmnpqrstvwxyz00"]
)
def test_a_cursor_that_is_not_a_time_sortable_id_gets_no_overlap(cursor: str) -> None:
    assert sync.overlap_start(cursor) == cursor


# ---------------------------------------------------------------- messages_after


def test_messages_after_a_cursor_are_the_newer_ones_oldest_first_for_one_query(
    domain: config.Settings,
) -> None:
    sent = bulk("c1", 5)
    calls.reset()
    page, more = sync.messages_after("c1", sent[1], 10)
    assert calls.counted() == {"dynamodb.Query": 1}
    assert ([m.id for m in page], more) == (sent[2:], False)


def test_without_a_cursor_messages_after_starts_at_the_first_message(
    domain: config.Settings,
) -> None:
    sent = bulk("c1", 3)
    page, more = sync.messages_after("c1", None, 10)
    assert ([m.id for m in page], more) == (sent, False)


def test_messages_after_stops_at_the_limit_and_says_there_is_more(
    domain: config.Settings,
) -> None:
    sent = bulk("c1", 6)
    page, more = sync.messages_after("c1", None, 4)
    assert ([m.id for m in page], more) == (sent[:4], True)
    page, more = sync.messages_after("c1", None, 6)
    assert (len(page), more) == (6, False)


def test_with_an_overlap_messages_after_also_returns_those_just_before_the_cursor(
    domain: config.Settings,
) -> None:
    early = bulk("c1", 1, start_ms=T0)  # 60 s before the cursor
    late = bulk("c1", 1, start_ms=T0 + 40_000)  # 20 s before: still being fanned out
    cursor = bulk("c1", 1, start_ms=T0 + 60_000)
    newer = bulk("c1", 1, start_ms=T0 + 70_000)
    page, _ = sync.messages_after("c1", cursor[0], 10, overlap_ms=30_000)
    assert [m.id for m in page] == late + cursor + newer
    assert early[0] not in [m.id for m in page]
    page, _ = sync.messages_after("c1", cursor[0], 10)
    assert [m.id for m in page] == newer


# ---------------------------------------------------------------- catch_up


def test_catch_up_returns_what_was_missed_in_each_chat_as_wire_messages(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    post("c1", "bob", "long before the cursor")
    clock.advance(OVERLAP_MS + 1_000)
    seen = post("c1", "bob", "seen")  # within the overlap: sent again, the client drops it
    clock.advance(OVERLAP_MS + 1_000)
    missed = [post("c1", "bob", "missed"), post("c1", "alice", "from another device")]
    in_c2 = post("c2", "bob", "in c2")
    calls.reset()
    reply = sync.catch_up("alice", {"c1": seen.id, "c2": None})
    assert calls.counted() == {"dynamodb.Query": 3}  # her chats, then one per chat
    assert reply["unknown"] == []
    assert wire_ids(reply, "c1") == [seen.id, *(m.id for m in missed)]
    assert wire_ids(reply, "c2") == [in_c2.id]
    assert reply["chats"]["c1"]["hasMore"] is False
    first = reply["chats"]["c1"]["messages"][1]
    assert (first["chatId"], first["senderId"], first["body"]) == ("c1", "bob", "missed")


def test_chats_the_user_is_not_in_or_that_do_not_exist_are_unknown_alike(
    domain: config.Settings, post: Post
) -> None:
    post("c3", "bob", "secret")
    calls.reset()
    reply = sync.catch_up("alice", {"zz-missing": None, "c3": None})
    assert reply == {"chats": {}, "unknown": ["c3", "zz-missing"]}
    assert calls.counted() == {"dynamodb.Query": 1}  # no query of a chat she is not in


def test_a_chat_with_nothing_new_has_an_empty_page(domain: config.Settings) -> None:
    reply = sync.catch_up("alice", {"c1": None})
    assert reply["chats"]["c1"] == {"messages": [], "hasMore": False}


def test_catch_up_returns_50_per_chat_and_says_there_is_more(domain: config.Settings) -> None:
    sent = bulk("c1", PAGE_PER_CHAT + 1)
    reply = sync.catch_up("alice", {"c1": None})
    assert wire_ids(reply, "c1") == sent[:PAGE_PER_CHAT]
    assert reply["chats"]["c1"]["hasMore"] is True


def test_catch_up_includes_messages_that_landed_just_before_the_cursor(
    domain: config.Settings,
) -> None:
    bulk("c1", 1, start_ms=T0)
    late = bulk("c1", 1, start_ms=T0 + 50_000)  # sent before the cursor, delivered after it
    cursor = bulk("c1", 1, start_ms=T0 + 60_000)
    reply = sync.catch_up("alice", {"c1": cursor[0]})
    assert wire_ids(reply, "c1") == late + cursor  # clients drop the ids they have


def test_the_reply_stays_within_its_byte_budget_and_says_there_is_more(
    domain: config.Settings,
) -> None:
    sent = bulk("c1", 30, body="a" * 4000)
    reply = sync.catch_up("alice", {"c1": None})
    got = reply["chats"]["c1"]["messages"]
    assert 0 < len(got) < 30
    assert [m["id"] for m in got] == sent[: len(got)]  # the oldest, in order
    assert sum(size(m) for m in got) <= REPLY_BUDGET_BYTES
    assert sum(size(m) for m in got) + size(got[0]) > REPLY_BUDGET_BYTES  # one more would not fit
    assert reply["chats"]["c1"]["hasMore"] is True


def test_the_budget_counts_utf8_bytes_not_characters(domain: config.Settings) -> None:
    bulk("c1", 20, body="é" * 4000)  # 20 x ~4.2k characters fit, 20 x ~8.2k bytes do not
    reply = sync.catch_up("alice", {"c1": None})
    got = reply["chats"]["c1"]["messages"]
    assert len(got) < 20 and reply["chats"]["c1"]["hasMore"] is True
    assert sum(size(m) for m in got) <= REPLY_BUDGET_BYTES


def test_the_budget_is_shared_by_the_chats_in_the_order_asked(domain: config.Settings) -> None:
    bulk("c1", 15, body="a" * 4000)
    bulk("c2", 15, body="b" * 4000)
    reply = sync.catch_up("alice", {"c1": None, "c2": None})
    first, second = reply["chats"]["c1"], reply["chats"]["c2"]
    assert (len(first["messages"]), first["hasMore"]) == (15, False)
    assert 0 < len(second["messages"]) < 15 and second["hasMore"] is True
    total = sum(size(m) for chat in (first, second) for m in chat["messages"])
    assert total <= REPLY_BUDGET_BYTES
