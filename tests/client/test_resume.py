"""Dedupe and sync cursors: each message is delivered once, a sync asks for exactly what
may have been missed, and memory stays bounded."""

from __future__ import annotations

import pytest

from shared import ids
from switchboard_client.resume import ResumeState, Verdict, id_time_ms, lowest_id

T0 = 1_780_000_000_000  # epoch ms


def msg(ms: int, chat: str = "c1", version: int = 1) -> dict:
    """A message created at ``ms`` (its id as the server would make it)."""
    return {"id": lowest_id(ms)[:-1] + "1", "chatId": chat, "version": version, "body": "x"}


def test_ids_decode_like_the_server_makes_them() -> None:
    made = ids.new_id(T0)
    assert id_time_ms(made) == T0
    assert lowest_id(T0) == ids.lowest_id(T0)
    assert lowest_id(T0) <= made
    assert id_time_ms("not-an-id") is None
    assert id_time_ms("!" * 26) is None


def test_a_live_message_is_delivered_once() -> None:
    state = ResumeState()
    first, second = msg(T0), msg(T0 + 1)
    assert state.accept_live(first)
    assert not state.accept_live(dict(first))  # at-least-once delivery: the copy is dropped
    assert state.accept_live(second)
    assert state.cursors() == {"c1": second["id"]}


def test_the_cursor_is_the_newest_id_even_when_an_older_one_arrives_late() -> None:
    state = ResumeState()
    newer, older = msg(T0 + 5), msg(T0)
    assert state.accept_live(newer) and state.accept_live(older)  # the fan-out race
    assert state.cursors()["c1"] == newer["id"]


def test_sync_asks_from_the_cursor_or_from_the_stream_start() -> None:
    state = ResumeState()
    state.start(T0)
    state.start(T0 + 99)  # only the first connection sets it
    state.add_chats(["quiet", "c1"])
    state.accept_live(msg(T0 + 10))
    assert state.sync_request() == {"quiet": lowest_id(T0), "c1": msg(T0 + 10)["id"]}


def test_synced_messages_new_known_updated_and_history() -> None:
    state = ResumeState()
    state.start(T0)
    seen = msg(T0 + 10)
    state.accept_live(seen)
    assert state.accept_synced(seen) is Verdict.KNOWN  # the overlap before the cursor
    assert state.accept_synced({**seen, "version": 3}) is Verdict.UPDATED  # edited meanwhile
    assert state.accept_synced({**seen, "version": 3}) is Verdict.KNOWN
    missed = msg(T0 + 20)
    assert state.accept_synced(missed) is Verdict.NEW
    assert state.accept_synced(missed) is Verdict.KNOWN
    assert state.accept_live(missed) is False  # came live too, on the new connection
    before_stream = msg(T0 - 5_000)
    assert state.accept_synced(before_stream) is Verdict.KNOWN  # history, not news
    assert state.cursors()["c1"] == missed["id"]


def test_updates_are_deduped_by_version() -> None:
    state = ResumeState()
    m = msg(T0)
    state.accept_live(m)
    assert state.accept_update("c1", m["id"], 2)
    assert not state.accept_update("c1", m["id"], 2)
    assert not state.accept_update("c1", m["id"], 1)
    assert state.accept_update("c1", m["id"], 4)  # a version skipped (missed) still passes
    assert state.accept_update("c1", m["id"], None)  # no version: cannot tell, pass on


def test_an_update_of_an_unknown_message_passes_and_does_not_hide_its_message_new() -> None:
    state = ResumeState()
    m = msg(T0)
    assert state.accept_update("c1", m["id"], 2)  # the edit overtook the message:new
    assert state.accept_live(m)
    assert state.accept_update("other", m["id"], 1)


def test_own_messages_and_history_can_be_recorded_as_delivered() -> None:
    state = ResumeState()
    m = msg(T0)
    state.record(m)
    assert not state.accept_live(m)
    assert state.accept_synced(m) is Verdict.KNOWN
    assert state.cursors()["c1"] == m["id"]


def test_removed_chats_are_not_synced() -> None:
    state = ResumeState()
    state.add_chats(["a", "b"])
    state.remove_chat("a")
    assert list(state.sync_request()) == ["b"]


def test_memory_is_bounded_by_the_window_and_forgotten_ids_never_come_back() -> None:
    state = ResumeState(window_seconds=60)
    step = 1_000  # one message a second, for an hour
    messages = [msg(T0 + i * step) for i in range(3_600)]
    for m in messages:
        assert state.accept_live(m)
    log = state.chat("c1")
    assert len(log) <= 2 * 256 + 2 * 61  # the last minute, plus what awaits the next prune
    assert state.accept_synced(messages[0]) is Verdict.KNOWN  # forgotten: taken as delivered
    assert state.accept_synced(messages[-1]) is Verdict.KNOWN
    assert state.accept_synced(messages[-40]) is Verdict.KNOWN  # within sync's overlap


def test_memory_is_bounded_by_count_too() -> None:
    state = ResumeState(max_entries=500)
    for i in range(5_000):  # a burst: 5,000 messages in 5 seconds
        state.accept_live(msg(T0 + i))
    assert len(state.chat("c1")) <= 1_000


def test_a_window_shorter_than_the_sync_overlap_is_refused() -> None:
    with pytest.raises(ValueError):
        ResumeState(window_seconds=10)
