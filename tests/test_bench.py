"""The bench's harness works: every section runs at tiny sizes and reports what it should.

Speed is never asserted here (bench/ prints it); these tests check the harness measures the right
things: both apps answered, the bot really resumed and opened incidents, the seed wrote a history the
bot can read, and the table shows every target with a verdict.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from rich.console import Console
from sqlalchemy import func, select

from bench.report import render, rows, to_markdown
from bench.run import BenchResults, Plan, run
from bench.seed import seed_history
from bot.store import make_engine, migrate
from bot.store.tables import ChecklistItem, DecisionLog, Draft, Incident, Notice, Retrospective

TINY = Plan(
    name="tiny",
    startup_runs=2,
    ack_levels=(1, 2),
    ack_per_level=3,
    walks=1,
    round_trip_samples=1,
    history_sizes=(2, 4),
    history_reps=1,
    memory_sizes=(2, 4),
    memory_touches=1,
)


@pytest.fixture(scope="module")
def results() -> Iterator[BenchResults]:
    yield run(TINY)


def test_both_apps_answered_every_level(results: BenchResults) -> None:
    assert set(results.acks) == {"oops", "bare"}
    for ack in results.acks.values():
        assert set(ack.levels) == {1, 2}
        assert all(len(level.latencies) == 3 for level in ack.levels.values())
        assert ack.requests == 6 and ack.cpu_seconds >= 0
    for kind in ("oops", "bare"):
        assert len(results.startup.first_ack_new[kind].wall) == 1, kind
        assert len(results.startup.first_ack[kind].wall) == 1, kind
    assert len(results.startup.help.wall) == len(results.startup.python.wall) == 2


def test_history_and_memory_cover_each_size(results: BenchResults) -> None:
    assert set(results.history.resume) == set(results.history.opening) == {2, 4}
    assert all(len(s.wall) == len(s.cpu) == 1 for s in results.history.resume.values())
    assert results.memory.idle_mb > 0
    assert set(results.memory.by_size) == {2, 4}
    assert results.memory.touched == {2: 2, 4: 2}


def test_round_trips_count_what_a_submission_does(results: BenchResults) -> None:
    command, submission = results.round_trips
    assert command.slack_calls.get("views.open") == 1.0
    assert submission.transactions > 0 and submission.selects > 0
    assert submission.slack_calls.get("chat.postMessage", 0) >= 2  # at least the header and the prompt


def test_walks_run_on_sqlite_and_say_why_postgresql_was_skipped(results: BenchResults) -> None:
    sqlite, postgres = results.walks
    assert sqlite.backend == "SQLite" and len(sqlite.wall) == 1 and sqlite.skipped is None
    if os.environ.get("OOPS_TEST_DATABASE_URL") or os.environ.get("OOPS_BENCH_DATABASE_URL"):
        assert postgres.skipped is None and len(postgres.wall) == 1
    else:
        assert postgres.skipped and "DATABASE_URL" in postgres.skipped


def test_the_table_gives_every_target_a_verdict(results: BenchResults) -> None:
    table = rows(results)
    targets = [row for row in table if row.target]
    assert len(targets) == 8  # ack p99, --help, first ack, resume ×2, opening ×2, memory
    assert all(row.met is not None for row in targets)
    out = io.StringIO()
    render(results, Console(file=out, width=160))
    text = out.getvalue()
    assert "machine:" in text and results.machine.cpu in text
    for row in targets:
        line = next(line for line in text.splitlines() if row.measure in line)
        assert ("not met" if not row.met else "met") in line
    markdown = to_markdown(results)
    assert all(f"| {row.measure} |" in markdown for row in table)


def test_seed_writes_a_closed_history_with_all_its_parts(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    try:
        first = seed_history(engine, 3, "T0WHEY", checklist_items=4)
        more = seed_history(engine, 2, "T0WHEY")
        assert len(first) == 3 and len(more) == 2 and len(set(first + more)) == 5
        with engine.connect() as conn:

            def count(table: type, *where: object) -> int:
                return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

            assert count(Incident, Incident.status == "closed") == 5
            assert count(Retrospective) == 5
            assert count(Draft) == 10
            assert count(ChecklistItem, ChecklistItem.incident_id.in_(first)) == 12
            assert count(DecisionLog) >= 5 * 7
            assert count(Notice) > 0
            assert count(Notice, Notice.incident_id.not_in(first + more)) == 0
            runbooks = conn.execute(select(func.count(func.distinct(Incident.runbook_id)))).scalar_one()
            assert runbooks == 3
            if "team_id" in Incident.__table__.c:
                assert count(Incident, Incident.team_id == "T0WHEY") == 5
    finally:
        engine.dispose()
