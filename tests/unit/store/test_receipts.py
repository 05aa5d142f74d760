"""Read receipts: a member's read position only moves forward; unread counts and summaries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared import config, errors, ids
from shared.observability import calls
from shared.store import dynamodb, message_updates, receipts
from shared.store.models import Chat, Member, Message, dedup_key
from shared.store.receipts import UNREAD_CAP, ReadPosition
from tests.unit.store.conftest import FakeClock, Reader

Post = Callable[..., Message]
CHAT = "c1"


@pytest.fixture(autouse=True)
def members(domain: config.Settings, join: Callable[..., Member]) -> None:
    """alice and bob are members of the chat; mallory is no member."""
    join(CHAT, "alice")
    join(CHAT, "bob")


def position(stored: Reader, table: str, user_id: str) -> tuple[str | None, int | None]:
    item = stored.item(table, chatId=CHAT, userId=user_id)
    assert item is not None
    last = item.get("lastReadId", {}).get("S")
    at = item.get("readAt", {}).get("N")
    return last, int(at) if at is not None else None


def bulk(chat_id: str, sender_id: str, count: int, start_ms: int) -> list[str]:
    """``count`` messages of one sender written directly, a millisecond apart; ids oldest first."""
    made = [
        Message(
            chat_id,
            dedup_key(sender_id, f"bulk{start_ms + i}"),
            id=ids.new_id(start_ms + i),
            sender_id=sender_id,
            body="x",
            created_at=start_ms + i,
            client_message_id=f"bulk{start_ms + i}",
        )
        for i in range(count)
    ]
    dynamodb.write(puts=made)
    return [m.id for m in made]


# ---------------------------------------------------------------- ReadPosition


def test_a_position_on_the_wire_has_an_iso_read_time_or_none() -> None:
    moved = ReadPosition("c1", "alice", "01M", 1_700_000_000_123, True)
    assert moved.to_wire() == {
        "chatId": "c1",
        "userId": "alice",
        "messageId": "01M",
        "readAt": "2023-11-14T22:13:20.123Z",
    }
    empty = ReadPosition("c1", "alice", None, None, False)
    assert empty.to_wire() == {"chatId": "c1", "userId": "alice", "messageId": None, "readAt": None}


# ---------------------------------------------------------------- advance


def test_a_first_read_sets_the_position_with_one_update(
    domain: config.Settings, clock: FakeClock, stored: Reader, post: Post
) -> None:
    message = post(CHAT, "bob")
    clock.step_ms = 0
    calls.reset()
    read = receipts.advance(CHAT, "alice", message.id)
    assert calls.counted() == {"dynamodb.UpdateItem": 1}
    assert read == ReadPosition(CHAT, "alice", message.id, clock.ms, True)
    assert position(stored, domain.members_table, "alice") == (message.id, clock.ms)


def test_the_position_moves_forward(
    domain: config.Settings, clock: FakeClock, stored: Reader, post: Post
) -> None:
    older, newer = post(CHAT, "bob"), post(CHAT, "bob")
    receipts.advance(CHAT, "alice", older.id)
    read = receipts.advance(CHAT, "alice", newer.id)
    assert (read.message_id, read.moved) == (newer.id, True)
    assert position(stored, domain.members_table, "alice")[0] == newer.id


@pytest.mark.parametrize("again", ["older", "same"])
def test_a_read_at_or_behind_the_position_is_answered_with_the_position_unchanged(
    domain: config.Settings, clock: FakeClock, stored: Reader, post: Post, again: str
) -> None:
    older, newer = post(CHAT, "bob"), post(CHAT, "bob")
    first = receipts.advance(CHAT, "alice", newer.id)
    clock.advance(60_000)
    calls.reset()
    read = receipts.advance(CHAT, "alice", older.id if again == "older" else newer.id)
    assert calls.counted() == {"dynamodb.UpdateItem": 1}  # the position came with the refusal
    assert read == ReadPosition(CHAT, "alice", newer.id, first.read_at, False)
    assert position(stored, domain.members_table, "alice") == (newer.id, first.read_at)


def test_only_the_readers_position_moves(
    domain: config.Settings, stored: Reader, post: Post
) -> None:
    message = post(CHAT, "bob")
    receipts.advance(CHAT, "alice", message.id)
    assert position(stored, domain.members_table, "bob") == (None, None)


def test_a_non_member_has_no_position_to_move(
    domain: config.Settings, stored: Reader, post: Post
) -> None:
    message = post(CHAT, "bob")
    with pytest.raises(errors.Forbidden, match="not a member"):
        receipts.advance(CHAT, "mallory", message.id)
    assert stored.item(domain.members_table, chatId=CHAT, userId="mallory") is None


# ---------------------------------------------------------------- mark_read, mark_all_read


def test_mark_read_reads_up_to_a_message_of_the_chat(
    domain: config.Settings, stored: Reader, post: Post
) -> None:
    message = post(CHAT, "bob")
    calls.reset()
    read = receipts.mark_read(CHAT, "alice", message.id)
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 1}
    assert (read.message_id, read.moved) == (message.id, True)
    assert position(stored, domain.members_table, "alice")[0] == message.id


def test_mark_read_refuses_a_message_the_chat_does_not_have(
    domain: config.Settings, stored: Reader, post: Post
) -> None:
    elsewhere = post("c2", "bob")
    for message_id in (elsewhere.id, ids.new_id()):
        with pytest.raises(errors.NotFound, match="no such message"):
            receipts.mark_read(CHAT, "alice", message_id)
    assert position(stored, domain.members_table, "alice") == (None, None)


def test_mark_read_by_a_non_member_is_forbidden(domain: config.Settings, post: Post) -> None:
    message = post(CHAT, "bob")
    with pytest.raises(errors.Forbidden):
        receipts.mark_read(CHAT, "mallory", message.id)


def test_mark_all_read_reads_up_to_the_newest_message(
    domain: config.Settings, clock: FakeClock, stored: Reader, post: Post
) -> None:
    post(CHAT, "bob")
    newest = post(CHAT, "bob")
    calls.reset()
    read = receipts.mark_all_read(CHAT, "alice")
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 1}
    assert (read.message_id, read.moved) == (newest.id, True)
    assert position(stored, domain.members_table, "alice")[0] == newest.id


def test_mark_all_read_of_an_empty_chat_is_an_empty_position_for_one_query(
    domain: config.Settings, stored: Reader
) -> None:
    calls.reset()
    assert receipts.mark_all_read(CHAT, "alice") == ReadPosition(CHAT, "alice", None, None, False)
    assert calls.counted() == {"dynamodb.Query": 1}
    assert position(stored, domain.members_table, "alice") == (None, None)


# ---------------------------------------------------------------- chat_summaries


def chat(chat_id: str) -> Chat:
    return Chat(chat_id, created_by="alice", created_at=1)


def test_no_chats_no_summaries_no_calls(domain: config.Settings) -> None:
    calls.reset()
    assert receipts.chat_summaries("alice", []) == []
    assert calls.counted() == {}


def test_a_summary_counts_the_others_unread_messages_and_shows_the_newest(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    first = post(CHAT, "bob", "one")
    receipts.advance(CHAT, "alice", first.id)
    post(CHAT, "bob", "two")
    post(CHAT, "alice", "mine do not count")
    deleted = post(CHAT, "bob", "deleted ones do not count")
    message_updates.delete(CHAT, deleted.id, "bob")
    newest = post(CHAT, "bob", "three")
    [summary] = receipts.chat_summaries("alice", [chat(CHAT)])
    assert summary["unreadCount"] == 2
    assert summary["lastMessage"]["id"] == newest.id
    assert summary["lastMessage"]["body"] == "three"


def test_without_a_position_every_message_of_the_others_is_unread(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    post(CHAT, "bob")
    post(CHAT, "bob")
    post(CHAT, "alice")
    [summary] = receipts.chat_summaries("alice", [chat(CHAT)])
    assert summary["unreadCount"] == 2


def test_everything_read_leaves_the_last_read_message_as_the_last_message(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    post(CHAT, "bob")
    last = post(CHAT, "bob")
    receipts.advance(CHAT, "alice", last.id)
    [summary] = receipts.chat_summaries("alice", [chat(CHAT)])
    assert (summary["unreadCount"], summary["lastMessage"]["id"]) == (0, last.id)


def test_a_newest_message_that_was_deleted_shows_as_a_tombstone(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    post(CHAT, "bob")
    gone = post(CHAT, "bob", "oops")
    message_updates.delete(CHAT, gone.id, "bob")
    [summary] = receipts.chat_summaries("alice", [chat(CHAT)])
    assert summary["lastMessage"]["id"] == gone.id
    assert (summary["lastMessage"]["deleted"], summary["lastMessage"]["body"]) == (True, None)
    assert summary["unreadCount"] == 1


def test_an_empty_chat_has_no_last_message_and_nothing_unread(domain: config.Settings) -> None:
    assert receipts.chat_summaries("alice", [chat(CHAT)]) == [
        {"lastMessage": None, "unreadCount": 0}
    ]


@pytest.mark.parametrize("read_first", [False, True])
def test_unread_counts_stop_at_100(domain: config.Settings, read_first: bool) -> None:
    if read_first:
        [seen] = bulk(CHAT, "bob", 1, 1_800_000_000_000)
        receipts.advance(CHAT, "alice", seen)
    bulk(CHAT, "bob", UNREAD_CAP + 5, 1_800_000_001_000)
    [summary] = receipts.chat_summaries("alice", [chat(CHAT)])
    assert summary["unreadCount"] == UNREAD_CAP == 100


def test_exactly_100_unread_after_the_position_are_counted_exactly(
    domain: config.Settings,
) -> None:
    [seen] = bulk(CHAT, "bob", 1, 1_800_000_000_000)
    receipts.advance(CHAT, "alice", seen)
    bulk(CHAT, "bob", 99, 1_800_000_001_000)
    [summary] = receipts.chat_summaries("alice", [chat(CHAT)])
    assert summary["unreadCount"] == 99


def test_summaries_come_in_the_order_of_the_chats_for_one_batch_get_and_a_query_each(
    domain: config.Settings, clock: FakeClock, join: Callable[..., Member], post: Post
) -> None:
    join("c2", "alice")
    join("c3", "alice")
    post("c2", "bob", "in c2")
    post("c2", "bob", "in c2 again")
    post(CHAT, "bob", "in c1")
    calls.reset()
    summaries = receipts.chat_summaries("alice", [chat("c3"), chat("c2"), chat(CHAT)])
    assert calls.counted() == {"dynamodb.BatchGetItem": 1, "dynamodb.Query": 3}
    assert [s["unreadCount"] for s in summaries] == [0, 2, 1]
    last: list[Any] = [s["lastMessage"] and s["lastMessage"]["body"] for s in summaries]
    assert last == [None, "in c2 again", "in c1"]
