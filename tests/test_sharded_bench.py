"""benchmarks.sharded at toy sizes: every recipient reached once, the model and the cost
computed from what was measured. A room of 300 connections is sharded under the default
FanoutInlineLimit (100). No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks import sharded


@pytest.mark.timeout(300)
def test_sharded_benchmark_at_toy_sizes() -> None:
    figures = sharded.measure(ack_sizes=(10, 300), sizes=(300,), repeats=2)
    for sends in figures.sends.values():
        for send in sends:
            assert send.delivered == send.recipients, send
            assert send.posts == send.recipients, send
    assert figures.sharded_sizes() == [300]
    assert all(len(send.delivery) == 2 for send in figures.sends[300])
    assert figures.ack_ratio is not None
    model = sharded.aws_model(sharded.work_of(figures), sharded.connection_ids(100_001, seed=1))
    assert model.total_s > 0 and model.invocations > 400
    assert [row.room for row in sharded.cost_rows(figures)] == [10, 300]
