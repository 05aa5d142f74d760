"""The idle-cost benchmark at a tiny size: it runs, and counts what an idle hour must cost.

3 users in 2 chats each, at scale 300 (a 2 s presence TTL, pings every second, API
Gateway's 2 hours in 24 s): connections are renewed before their cut in the window.
No figure is asserted beyond "there is some": the measured ones are docs/performance.md's.
"""

from __future__ import annotations

import pytest

from benchmarks.idle_cost import measure, price, print_run


@pytest.mark.timeout(180)
def test_a_tiny_idle_window_counts_pings_renewals_units_and_offline() -> None:
    run = measure(users=3, chats=2, scale=300, hours=2.0, warmup_hours=0.1)
    print_run([run])
    traffic = run.traffic
    # Renewed before API Gateway's 2-hour cut: the first connection's renewal falls inside
    # the window for sure (the others' may land just after it, as connections open over
    # the warm-up).
    assert run.renewals >= 1
    # the renewal's hello goes to the $default route (the event function), pings to the
    # MOCK one
    assert traffic.inbound.get("ping", 0) > 0 and traffic.inbound.get("$default", 0) >= 1
    assert traffic.route_responses.get("$default", 0) >= 1
    assert 50 < run.per_user_hour(traffic.connection_minutes * run.scale) <= 61
    assert {"ConnectFunction", "DisconnectFunction", "SweeperFunction"} <= {
        name for name, use in run.functions.items() if use.invocations and use.billed_ms > 0
    }
    assert run.functions["SweeperFunction"].redis > 0 and traffic.gets > 0
    assert run.dynamodb.write_units > 0 and run.dynamodb.read_units > 0
    cost = price(run)
    assert cost.connection_minutes == pytest.approx(10.95, rel=0.1)
    assert all(line.dollars >= 0 for line in cost.lines) and cost.total > cost.connection_minutes
    assert run.offline_closed and run.offline_closed[0] < 5
    assert run.offline_severed  # within a TTL and a few sweeps (scaled back)
