"""Storing messages once per (sender, clientMessageId), newest-first history pages, lookups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared import config, ids
from shared.observability import calls
from shared.store import dynamodb, messages
from shared.store.messages import MAX_PAGE
from shared.store.models import Message, dedup_key
from tests.unit.store.conftest import FakeClock, Reader

Post = Callable[..., Message]


def many(chat_id: str, count: int, start_ms: int = 1_800_000_000_000) -> list[str]:
    """``count`` messages written directly (one batch per 25), one per millisecond; their
    ids, oldest first."""
    made = [
        Message(
            chat_id,
            dedup_key("bob", f"m{i}"),
            id=ids.new_id(start_ms + i),
            sender_id="bob",
            body=f"#{i}",
            created_at=start_ms + i,
            client_message_id=f"m{i}",
        )
        for i in range(count)
    ]
    dynamodb.write(puts=made)
    return [m.id for m in made]


# ---------------------------------------------------------------- store


def test_a_first_send_is_stored_with_one_put(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    now = clock.ms
    calls.reset()
    message, created = messages.store("c1", "alice", "hello", "m1")
    assert created is True
    assert calls.counted() == {"dynamodb.PutItem": 1}
    assert ids.decode_time(message.id) == now
    assert stored.item(domain.messages_table, chatId="c1", dedupKey="alice#m1") == {
        "chatId": {"S": "c1"},
        "dedupKey": {"S": "alice#m1"},
        "id": {"S": message.id},
        "senderId": {"S": "alice"},
        "body": {"S": "hello"},
        "createdAt": {"N": str(now)},
        "clientMessageId": {"S": "m1"},
        "version": {"N": "1"},
    }


def test_a_retried_send_returns_the_original_without_a_second_put(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    original, _ = messages.store("c1", "alice", "hello", "m1")
    clock.advance(5_000)
    calls.reset()
    again, created = messages.store("c1", "alice", "hello, edited in the outbox", "m1")
    assert created is False
    assert calls.counted() == {"dynamodb.PutItem": 1}  # the failed conditional Put only
    assert (again.id, again.body, again.created_at) == (
        original.id,
        "hello",
        original.created_at,
    )
    assert len(stored.items(domain.messages_table)) == 1


def test_the_same_client_message_id_from_two_senders_is_two_messages(
    domain: config.Settings, stored: Reader
) -> None:
    first, first_created = messages.store("c1", "alice", "hi", "m1")
    second, second_created = messages.store("c1", "bob", "hi", "m1")
    assert first_created and second_created
    assert first.id != second.id
    assert len(stored.items(domain.messages_table)) == 2


def test_without_a_client_message_id_every_send_is_new_and_keyed_by_its_id(
    domain: config.Settings, stored: Reader
) -> None:
    first, _ = messages.store("c1", "alice", "hi", None)
    second, created = messages.store("c1", "alice", "hi", None)
    assert created is True
    assert first.client_message_id == first.id
    assert first.dedup_key == dedup_key("alice", first.id)
    assert second.id != first.id
    assert len(stored.items(domain.messages_table)) == 2


def test_a_put_that_landed_with_its_answer_lost_is_still_this_calls_creation(
    domain: config.Settings, monkeypatch: pytest.MonkeyPatch, stored: Reader
) -> None:
    real = dynamodb.conditional

    def lands_then_retried(operation: str, **request: Any) -> dict[str, Any]:
        real(operation, **request)  # lands, its answer lost; botocore retries:
        return real(operation, **request)

    monkeypatch.setattr(dynamodb, "conditional", lands_then_retried)
    message, created = messages.store("c1", "alice", "hi", "m1")
    assert created is True
    assert len(stored.items(domain.messages_table)) == 1
    assert stored.items(domain.messages_table)[0]["id"] == {"S": message.id}


def test_a_failed_put_without_the_old_item_reads_the_original(
    domain: config.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    original, _ = messages.store("c1", "alice", "hello", "m1")

    def fails_without_item(operation: str, **request: Any) -> dict[str, Any]:
        raise dynamodb.ConditionFailed(None)

    monkeypatch.setattr(dynamodb, "conditional", fails_without_item)
    calls.reset()
    again, created = messages.store("c1", "alice", "other", "m1")
    assert (again.id, again.body, created) == (original.id, "hello", False)
    assert calls.counted() == {"dynamodb.GetItem": 1}


# ---------------------------------------------------------------- history


def test_history_is_newest_first_with_the_oldest_id_as_cursor(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    sent = [post("c1", "alice", f"#{i}").id for i in range(5)]
    calls.reset()
    page, cursor = messages.history("c1", limit=2)
    assert [m.id for m in page] == [sent[4], sent[3]]
    assert cursor == sent[3]
    assert calls.counted() == {"dynamodb.Query": 1}


def test_paging_with_the_cursor_walks_the_whole_history_once(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    sent = [post("c1", "alice", f"#{i}").id for i in range(7)]
    post("c2", "alice", "elsewhere")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page, cursor = messages.history("c1", limit=3, before=cursor)
        pages += 1
        seen += [m.id for m in page]
        if cursor is None:
            break
    assert seen == list(reversed(sent))
    assert pages == 3


def test_a_page_that_reaches_the_oldest_message_has_no_cursor(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    sent = [post("c1", "alice").id for _ in range(3)]
    page, cursor = messages.history("c1", limit=3)
    assert [m.id for m in page] == list(reversed(sent))
    assert cursor is None


def test_an_empty_chat_has_an_empty_history(domain: config.Settings) -> None:
    assert messages.history("c1") == ([], None)


def test_the_page_size_is_kept_between_1_and_100(domain: config.Settings) -> None:
    newest_first = list(reversed(many("c1", MAX_PAGE + 1)))
    for asked, served in [(0, 1), (-3, 1), (1, 1), (500, MAX_PAGE)]:
        page, cursor = messages.history("c1", limit=asked)
        assert [m.id for m in page] == newest_first[:served], asked
        assert cursor == page[-1].id


def test_the_default_page_is_50(domain: config.Settings) -> None:
    many("c1", 60)
    page, cursor = messages.history("c1")
    assert len(page) == messages.DEFAULT_PAGE == 50
    assert cursor is not None


# ---------------------------------------------------------------- find, newest


def test_find_returns_the_chats_message_by_id(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    wanted = post("c1", "alice", "this one")
    post("c1", "bob", "not this one")
    calls.reset()
    found = messages.find("c1", wanted.id)
    assert found is not None and (found.id, found.body) == (wanted.id, "this one")
    assert calls.counted() == {"dynamodb.Query": 1}


def test_find_returns_none_for_an_unknown_id_or_another_chats_message(
    domain: config.Settings, post: Post
) -> None:
    elsewhere = post("c2", "alice")
    assert messages.find("c1", elsewhere.id) is None
    assert messages.find("c1", ids.new_id()) is None


def test_newest_is_the_latest_message_or_none(
    domain: config.Settings, clock: FakeClock, post: Post
) -> None:
    assert messages.newest("c1") is None
    post("c1", "alice", "older")
    latest = post("c1", "bob", "newer")
    post("c2", "carol", "other chat")
    calls.reset()
    found = messages.newest("c1")
    assert found is not None and found.id == latest.id
    assert calls.counted() == {"dynamodb.Query": 1}
