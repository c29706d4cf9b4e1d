"""The weekly summary with several `oops serve` processes on one database (SQLite and PostgreSQL):
only the lease holder runs it, it is posted once, and after the holder is killed with SIGKILL the
survivor runs what came due meanwhile, and a second run of the same week posts nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import AppConfig
from bot.scheduling import build_scheduler, weekly_job_id
from bot.scheduling.lease import RUNS
from bot.store import make_engine, migrate
from bot.store.tables import JobRun
from slack_emulator.server import Message
from tests import slack_helpers as h
from tests.fleet_helpers import TAKEOVER_BOUND, Fleet, assert_one_runner_at_a_time

RAN_WEEKLY = 'Running job "weekly_summary'


@pytest.fixture
def fleet(config: AppConfig, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    with h.workspace_emulator(config) as emulator:
        fleet = Fleet(config, database_url, emulator, tmp_path)
        engine = make_engine(database_url)  # a database in use already: the schema is there
        migrate(engine)
        engine.dispose()
        try:
            yield fleet
        finally:
            fleet.end()


def _make_weekly_due(database_url: str, deadline: float) -> None:
    """Monday 09:00 comes: the stored weekly job is brought forward in the shared table, by a
    scheduler that never runs anything itself. Waits for the holder to have installed the job."""
    engine = make_engine(database_url)
    scheduler = build_scheduler(engine)
    scheduler.start(paused=True)
    try:
        job_id = weekly_job_id(h.TEAM_ID)
        while scheduler.get_job(job_id) is None:
            assert time.monotonic() < deadline, "no process installed the weekly summary job"
            time.sleep(0.2)
        scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()


def _summaries(fleet: Fleet) -> list[Message]:
    channel = fleet.emulator.resolve_channel(fleet.config.digest_channel or "")
    assert channel is not None, "the emulated workspace has no digest channel"
    return fleet.emulator.messages(channel)


def _runs(database_url: str) -> list[JobRun]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            query = select(JobRun).where(JobRun.key.startswith("weekly:"))  # type: ignore[attr-defined]
            return list(session.exec(query))
    finally:
        engine.dispose()


def _wait_posts(fleet: Fleet, count: int, deadline: float) -> None:
    while len(_summaries(fleet)) < count:
        if time.monotonic() > deadline:
            pytest.fail("no weekly summary in time\n" + "\n".join(p.output() for p in fleet.processes))
        time.sleep(0.1)


def test_two_processes_post_one_summary_and_the_survivor_of_kill_9_runs_the_next(fleet: Fleet) -> None:
    first, second = fleet.serve_two()
    deadline = time.monotonic() + TAKEOVER_BOUND
    _make_weekly_due(fleet.database_url, deadline)
    _wait_posts(fleet, 1, deadline)
    time.sleep(2)  # room for a second post, which must not come
    assert len(_summaries(fleet)) == 1
    assert first.saying(RAN_WEEKLY) and not second.saying(RAN_WEEKLY), second.output()
    [run] = _runs(fleet.database_url)
    assert run.finished_at is not None and run.ref

    # The holder dies and, before anyone holds the lease, the job falls due again (as a takeover
    # re-running the same week would): the survivor takes the lease, runs what came due meanwhile,
    # and finds the week posted already.
    first.kill9()
    deadline = time.monotonic() + TAKEOVER_BOUND
    _make_weekly_due(fleet.database_url, deadline)
    assert not second.saying(RUNS)
    second.wait_for(RUNS, deadline)
    second.wait_for(RAN_WEEKLY, deadline)
    second.wait_for("executed successfully", deadline)
    assert len(_summaries(fleet)) == 1, "the same week is never posted twice"
    assert len(_runs(fleet.database_url)) == 1
    assert_one_runner_at_a_time(first, second)
