"""One process runs the reminders, however many `oops serve` processes share the database."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.config import AppConfig
from bot.demo import DemoBot
from bot.scheduling import SchedulerLease, jobs
from bot.scheduling.lease import LEASE_KEY, LOST, RUNS
from bot.store import make_engine, migrate
from bot.store.tables import DecisionLog
from tests import slack_helpers as h
from tests.fleet_helpers import TAKEOVER_BOUND, Fleet, assert_one_runner_at_a_time


def test_only_one_lease_at_a_time_and_it_passes_on_when_released(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    first, second = SchedulerLease(engine), SchedulerLease(make_engine(database_url))
    try:
        assert first.acquire() is True
        assert second.acquire() is False, "two processes would both run the reminders"
        assert first.acquire() is True, "the holder keeps its lease"
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()
        engine.dispose()


@pytest.fixture
def two_bots(config: AppConfig, database_url: str) -> Iterator[tuple[DemoBot, DemoBot]]:
    """Two bot processes' worth of runtime on one database and one Slack workspace."""
    with h.workspace_emulator(config) as emulator, ExitStack() as stack:
        leader = stack.enter_context(h.serve_bot(config, database_url, emulator))
        follower = stack.enter_context(h.serve_bot(config, database_url, emulator))
        yield leader, follower


def test_the_second_process_schedules_and_the_first_one_reminds_once(
    two_bots: tuple[DemoBot, DemoBot],
) -> None:
    leader, follower = two_bots
    assert leader.runtime.runs_reminders and not follower.runtime.runs_reminders
    # The whole incident is driven through the second process, as a load balancer might.
    incident_id = h.walk_to_retro_scheduled(follower)
    assert follower.runtime.retro_scheduler.scheduled(incident_id) is not None, "job not in the shared table"
    # One test process holds both runtimes, and the job handler is the last one's: use the leader's.
    jobs.set_handler("retro_reminder", leader.runtime.remind)
    h.fire_reminder(leader, incident_id)
    leader.settle()
    # In the thread; each person's direct message has the button too.
    reminders = [
        m
        for m in h.all_messages(leader.emulator)
        if h.has_element(m, h.ids.RETRO_START) and m.channel == h.INCIDENT_CHANNEL
    ]
    assert len(reminders) == 1
    with Session(leader.runtime.engine) as session:
        rows = session.exec(select(DecisionLog).where(DecisionLog.step == "retro_remind")).all()
    assert [r.choice for r in rows] == ["reminded"]


# APScheduler's last pass at shutdown, if it reads the shared table, ends its thread with a traceback.
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_follower_that_stops_leaves_due_reminders_alone(config: AppConfig, database_url: str) -> None:
    """Every process ends its scheduler with shutdown(); one that does not hold the lease must not
    touch the due jobs of the shared table then."""
    engine = make_engine(database_url)
    migrate(engine)
    holder = SchedulerLease(engine)
    try:
        assert holder.acquire()
        with h.workspace_emulator(config) as emulator:
            with h.serve_bot(config, database_url, emulator) as follower:
                assert not follower.runtime.runs_reminders
                incident_id = h.walk_to_retro_scheduled(follower)
                assert follower.runtime.retro_scheduler.run_now(incident_id), "no reminder job is stored"
            assert not h.shows(emulator, h.ids.RETRO_START), "a follower ran a reminder"
        assert f"retro-reminder-{incident_id}" in h.job_ids(engine), "the due reminder was lost"
    finally:
        holder.release()
        engine.dispose()


# ------------------------------------------------------------------------------------ losing the lease


def _holder_backends(database_url: str) -> list[int]:
    """PostgreSQL backends holding this schema's lease, read from pg_locks as an operator would."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(_HOLDERS)).scalars())
    finally:
        engine.dispose()


_HOLDERS = f"""
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((classid::bigint << 32) | objid::bigint) = ({LEASE_KEY})::bigint"""


def _take_lock_away(database_url: str) -> None:
    """What can end a lease while its holder lives: on PostgreSQL its lock connection drops (here the
    server is told to end that backend); on SQLite the lock file is deleted from under it."""
    if database_url.startswith("sqlite"):
        os.remove(database_url.split("///", 1)[1] + ".scheduler-lock")
        return
    holders = _holder_backends(database_url)
    assert len(holders) == 1, f"expected one lease holder, pg_locks shows {holders}"
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holders[0]}).scalar()
    finally:
        engine.dispose()


def test_a_holder_notices_when_its_lease_is_taken_from_under_it(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    holder, other = SchedulerLease(engine), SchedulerLease(make_engine(database_url))
    try:
        assert holder.acquire() is True
        assert holder.still_held() is True
        _take_lock_away(database_url)
        assert other.acquire() is True, "the lock should be free once its connection or file is gone"
        assert holder.still_held() is False, "the holder would go on running reminders beside the new one"
        assert holder.acquire() is False, "the former holder must become a follower"
        assert other.still_held() is True
    finally:
        holder.release()
        other.release()
        engine.dispose()


# ------------------------------------------------------------------------------- real processes failing


@pytest.fixture
def fleet(config: AppConfig, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    with h.workspace_emulator(config) as emulator:
        fleet = Fleet(config, database_url, emulator, tmp_path)
        try:
            yield fleet
        finally:
            fleet.end()


RAN_REMINDER = 'Running job "retro_reminder'


def test_a_follower_runs_the_reminders_within_60_s_of_the_holder_being_killed(fleet: Fleet) -> None:
    incident_id = fleet.scheduled_incident()
    first, second = fleet.serve_two()

    first.kill9()
    deadline = time.monotonic() + TAKEOVER_BOUND
    fleet.make_due(incident_id)
    second.wait_for(RUNS, deadline)
    fleet.wait_for_reminder(deadline)

    assert second.saying(RAN_REMINDER), second.output()
    assert fleet.reminders() == (1, ["reminded"])
    assert_one_runner_at_a_time(first, second)


def test_a_holder_that_loses_its_lock_stops_before_another_process_starts(fleet: Fleet) -> None:
    incident_id = fleet.scheduled_incident()
    first, second = fleet.serve_two()

    _take_lock_away(fleet.database_url)
    deadline = time.monotonic() + TAKEOVER_BOUND
    first.wait_for(LOST, deadline)
    # The reminder falls due now: the new holder runs it, the former one does not.
    fleet.make_due(incident_id)
    second.wait_for(RUNS, deadline)
    assert first.process.poll() is None, "losing the lease must not end the process"
    assert_one_runner_at_a_time(first, second)
    fleet.wait_for_reminder(deadline)
    assert second.saying(RAN_REMINDER), second.output()
    assert not first.saying(RAN_REMINDER), first.output()
    assert fleet.reminders() == (1, ["reminded"])

    # The former holder became a follower that keeps trying: it takes over when the new one dies.
    assert len(first.saying(RUNS)) == 1, first.output()
    second.kill9()
    first.wait_for(RUNS, time.monotonic() + TAKEOVER_BOUND, count=2)
    assert_one_runner_at_a_time(first, second)
