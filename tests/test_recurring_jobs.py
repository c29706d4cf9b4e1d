"""The recurring jobs a lease holder installs: the minute sweep and each workspace's weekly summary.

The weekly job lives in the shared job table. Installing it again (every start, every takeover) must
not move a run that fell due while the bot was down; a changed setting replaces it; a missed run is
run once, however late and however many weeks were missed (coalesced, misfire_grace_time None).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from bot.config import WeeklySummary
from bot.scheduling import build_scheduler, install_recurring, jobs, weekly_job_id
from bot.scheduling.scheduler import SWEEP_JOB
from bot.store import make_engine, migrate

try:  # tests/ may or may not become a package; work either way
    from tests.together import at_once
except ImportError:
    from together import at_once  # type: ignore[no-redef]

TZ = "Europe/London"
TEAM = "T0WHEY"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def calls() -> Iterator[list[str]]:
    """Weekly-summary runs, recorded by the handler the runtime would set; others put back after."""
    saved = dict(jobs._handlers)
    seen: list[str] = []
    fired = threading.Event()

    def weekly(team: str) -> None:
        seen.append(team)
        fired.set()

    jobs.set_handler("weekly_summary", weekly)
    jobs.set_handler("sweep", lambda: None)
    yield seen
    jobs._handlers.clear()
    jobs._handlers.update(saved)


def _paused(engine: Engine) -> BackgroundScheduler:
    scheduler = build_scheduler(engine)
    scheduler.start(paused=True)
    return scheduler


def test_installing_again_keeps_a_run_that_fell_due(engine: Engine, calls: list[str]) -> None:
    scheduler = _paused(engine)
    try:
        install_recurring(scheduler, [TEAM], WeeklySummary(), TZ)
        job = scheduler.get_job(weekly_job_id(TEAM))
        assert job is not None and str(job.trigger) == "cron[day_of_week='mon', hour='9', minute='0']"
        assert job.next_run_time.weekday() == 0 and job.next_run_time.hour in (9, 8)
        missed = datetime.now(UTC) - timedelta(days=3)
        job.modify(next_run_time=missed)  # the bot was down over its Monday
        install_recurring(scheduler, [TEAM], WeeklySummary(), TZ)
        assert scheduler.get_job(weekly_job_id(TEAM)).next_run_time == missed, "not pushed to next week"
        assert scheduler.get_job(SWEEP_JOB) is not None
    finally:
        scheduler.shutdown(wait=False)


def test_a_changed_setting_replaces_the_job_and_disabled_removes_it(engine: Engine, calls: list[str]) -> None:
    scheduler = _paused(engine)
    try:
        install_recurring(scheduler, [TEAM, "T0OTHER"], WeeklySummary(), TZ)
        friday = WeeklySummary(day="fri", at=time(16, 30))
        install_recurring(scheduler, [TEAM], friday, TZ)
        job = scheduler.get_job(weekly_job_id(TEAM))
        assert str(job.trigger) == "cron[day_of_week='fri', hour='16', minute='30']"
        local = job.next_run_time.astimezone(job.trigger.timezone)
        assert (local.weekday(), local.hour, local.minute) == (4, 16, 30)
        install_recurring(scheduler, [TEAM], WeeklySummary(enabled=False), TZ)
        assert scheduler.get_job(weekly_job_id(TEAM)) is None
        assert scheduler.get_job(weekly_job_id("T0OTHER")) is not None, "each workspace has its own"
    finally:
        scheduler.shutdown(wait=False)


def test_a_summary_missed_for_three_weeks_runs_once_when_the_bot_is_back(
    engine: Engine, calls: list[str]
) -> None:
    first = _paused(engine)
    install_recurring(first, [TEAM], WeeklySummary(), TZ)
    first.get_job(weekly_job_id(TEAM)).modify(next_run_time=datetime.now(UTC) - timedelta(weeks=3))
    first.shutdown(wait=False)

    later = build_scheduler(engine)  # a new process, started weeks later
    later.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while not calls and datetime.now(UTC) < deadline:
            threading.Event().wait(0.05)
        threading.Event().wait(0.5)  # room for a second run, which must not come
        assert calls == [TEAM]
        job = later.get_job(weekly_job_id(TEAM))
        assert job is not None and job.next_run_time > datetime.now(UTC), "next week's run is set"
    finally:
        later.shutdown(wait=False)


def test_a_day_must_be_named() -> None:
    with pytest.raises(ValueError, match="day name"):
        WeeklySummary.model_validate({"day": 0})
    with pytest.raises(ValueError):
        WeeklySummary.model_validate({"day": "someday"})
    assert WeeklySummary.model_validate({"day": "Mon"}).day == "monday"
    assert WeeklySummary.model_validate({"day": "sunday"}).weekday == 6


def test_schedulers_starting_together_on_a_new_database_all_start(database_url: str) -> None:
    """APScheduler creates its job table as it starts: replicas starting at once on a new database
    raced to create it, and one died (a duplicate type on PostgreSQL). Each starts now."""
    setup = make_engine(database_url)
    migrate(setup)  # our tables; the job table is APScheduler's, made by the first scheduler
    setup.dispose()
    engines = [make_engine(database_url) for _ in range(3)]

    def start(engine: Engine) -> BackgroundScheduler:
        scheduler = build_scheduler(engine)
        scheduler.start(paused=True)
        return scheduler

    started, errors = at_once(start, engines, timeout=60)
    try:
        assert errors == [], errors
        assert len(started) == len(engines)
    finally:
        for scheduler in started:
            scheduler.shutdown(wait=False)
        for engine in engines:
            engine.dispose()
