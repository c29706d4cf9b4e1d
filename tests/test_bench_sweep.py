"""The sweep bench at its smallest size: it measures a sweep that posts nothing, beside its floor."""

from __future__ import annotations

from bench.sweep import SHORT, lines, measure


def test_the_sweep_bench_times_a_quiet_sweep_beside_its_floor() -> None:
    run = measure(10, reps=3)
    assert SHORT > 10, "10 incidents are written as a week, not drawn from the search bench's history"
    assert len(run.sweep) == 3 and len(run.floor) == 3
    assert all(t > 0 for t in run.sweep + run.floor)
    assert run.waiting == 10 and run.open_items == 0
    table = lines([run])
    assert table[2].startswith("| 10 | 0 | 10 |") and table[2].endswith("× |"), table
