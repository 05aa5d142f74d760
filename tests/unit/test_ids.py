"""Message ids sort by creation time."""

from __future__ import annotations

from shared.ids import iso_from_ms, new_id


def test_ids_sort_by_time_and_are_unique() -> None:
    earlier = [new_id(1_700_000_000_000 + i) for i in range(100)]
    assert earlier == sorted(earlier)
    assert len(set(new_id(1) for _ in range(1000))) == 1000
    assert len(new_id()) == 26


def test_iso_timestamps_carry_milliseconds_in_utc() -> None:
    assert iso_from_ms(1_700_000_000_123) == "2023-11-14T22:13:20.123Z"
