"""The load test at a small size: no errors, no lost messages, no leaked records.

Its own emulator (in a child process) so that the leak check sees only its own
connections. No timing is asserted: only correctness under concurrency and storms.
"""

from __future__ import annotations

import pytest

from benchmarks.load import run


@pytest.mark.timeout(180)
def test_small_load_loses_nothing_and_leaks_nothing() -> None:
    report = run(
        connections=60,
        chat_size=5,
        duration_s=5,
        storm_fraction=0.25,
        storms=2,
        rate=10,
        leak_timeout=30,
    )
    print(report.summary())
    assert report.messages_acked == report.messages_sent > 0
    assert report.errors == 0, report.error_samples
    assert report.reconnects > 0 and report.syncs == report.reconnects
    assert report.deliveries_expected > 0
    assert report.lost_live == 0, report.loss_samples
    assert report.lost_after_sync == 0, report.loss_samples
    assert report.lost_cursor_race == 0, report.loss_samples
    assert report.leaked == 0, report.leaks
