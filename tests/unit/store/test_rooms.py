"""Rooms: the names of user and chat rooms, room entries that expire, one-Query resolution."""

from __future__ import annotations

from shared import config
from shared.config import CONNECTION_TTL_SECONDS
from shared.observability import calls
from shared.store import rooms
from tests.unit.store.conftest import FakeClock, Reader


def test_rooms_are_named_by_kind_and_id() -> None:
    assert rooms.user_room("alice") == "user:alice"
    assert rooms.chat_room("c1") == "chat:c1"


def test_chat_ids_of_keeps_the_chat_rooms_in_order_and_leaves_user_rooms_out() -> None:
    names = ["chat:c2", "user:alice", "chat:c1", "user:chat:x"]
    assert rooms.chat_ids_of(names) == ["c2", "c1"]
    assert rooms.chat_ids_of([]) == []


def test_an_entry_is_built_not_written_and_expires_with_its_connection(
    domain: config.Settings, clock: FakeClock, stored: Reader
) -> None:
    entry = rooms.entry("chat:c1", "k1=", "alice")
    assert (entry.room, entry.connection_id, entry.user_id) == ("chat:c1", "k1=", "alice")
    assert entry.expires_at == clock.now_s() + CONNECTION_TTL_SECONDS
    assert stored.items(domain.rooms_table) == []


def test_an_entry_keeps_the_expiry_it_is_given() -> None:
    assert rooms.entry("chat:c1", "k1=", "alice", expires_at=1234).expires_at == 1234


def test_resolve_returns_every_connection_of_the_room_and_only_those(
    domain: config.Settings,
) -> None:
    for connection_id in ("k1=", "k2=", "k3="):
        rooms.entry("chat:c1", connection_id, "alice").save()
    rooms.entry("chat:c2", "k4=", "bob").save()
    rooms.entry("user:alice", "k1=", "alice").save()
    calls.reset()
    resolved = rooms.resolve("chat:c1")
    assert sorted(e.connection_id for e in resolved) == ["k1=", "k2=", "k3="]
    assert {e.user_id for e in resolved} == {"alice"}
    assert calls.counted() == {"dynamodb.Query": 1}


def test_an_empty_room_resolves_to_nothing(domain: config.Settings) -> None:
    assert rooms.resolve("chat:nobody") == []


# ---------------------------------------------------------------- pages and ranges


def fill(room: str, ids: list[str]) -> None:
    for cid in ids:
        rooms.entry(room, cid, "u1").save()


def test_first_page_reads_up_to_the_limit_and_says_where_the_rest_begins(
    domain: config.Settings,
) -> None:
    fill("chat:p", ["a", "b", "c", "d"])
    calls.reset()
    page = rooms.first_page("chat:p", 3)
    assert [e.connection_id for e in page] == ["a", "b", "c"]
    assert not page.complete
    assert page.after == {"room": {"S": "chat:p"}, "connectionId": {"S": "c"}}
    assert calls.counted() == {"dynamodb.Query": 1}
    rest, after = rooms.page("chat:p", after=page.after)
    assert ([e.connection_id for e in rest], after) == (["d"], None)


def test_a_room_within_the_limit_is_complete_and_no_limit_reads_it_all(
    domain: config.Settings,
) -> None:
    fill("chat:p", ["a", "b"])
    assert rooms.first_page("chat:p", 3).complete
    assert len(rooms.first_page("chat:p", None)) == 2


def test_a_page_within_a_range_holds_only_the_range_inclusive(domain: config.Settings) -> None:
    fill("chat:p", ["A1", "B1", "C1", "a1"])
    entries, _ = rooms.page("chat:p", between=("B", "C1"))
    assert [e.connection_id for e in entries] == ["B1", "C1"]


def test_ranges_after_cover_every_key_above_the_start_once() -> None:
    ranges = rooms.ranges_after("Lq3xYdM4IAMCJfQ=", 16)
    assert len(ranges) == 16
    assert ranges[0][0] == "Lq3xYdM4IAMCJfQ="
    assert ranges[-1][1] == rooms.KEY_MAX
    for (_, high), (low, _) in zip(ranges, ranges[1:], strict=False):
        assert high == low and len(low) == 1  # cut on single characters
    assert all(low < high for low, high in ranges)


def test_ranges_after_are_of_equal_width_give_or_take_a_character() -> None:
    """The last range used to take the remainder: three times the others' share."""
    alphabet = rooms._KEY_ALPHABET
    ranges = rooms.ranges_after("+abc", 32)
    widths = [sum(1 for c in alphabet if low[:1] <= c < high[:1]) for low, high in ranges[:-1]] + [
        sum(1 for c in alphabet if c >= ranges[-1][0][:1])
    ]
    assert len(ranges) == 32
    assert max(widths) - min(widths) <= 1, widths


def test_entries_read_bare_come_as_connection_and_user_pairs(domain: config.Settings) -> None:
    fill("chat:p", ["a", "b", "c"])
    found, after = rooms.connections_page("chat:p", limit=2)
    assert found == [("a", "u1"), ("b", "u1")]
    assert rooms.connections_page("chat:p", after=after) == ([("c", "u1")], None)


def test_ranges_after_the_last_character_are_one_range() -> None:
    assert rooms.ranges_after("zzzz", 16) == [("zzzz", rooms.KEY_MAX)]
