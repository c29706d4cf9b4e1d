"""APScheduler 3 set up for the bot: jobs in the bot's database, so they survive a restart.

One process runs the scheduler (APScheduler does not support several schedulers sharing a job
store). If two ever fire the same reminder, the use case posts it once: it only acts on an
incident still waiting for its reminder.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, inspect

from bot.config import WeeklySummary
from bot.scheduling import jobs
from bot.store.db import one_migrator

JOB_TABLE = "apscheduler_jobs"


WATCH_SECONDS = 30
SWEEP_SECONDS = 60
SWEEP_JOB = "sweep"


class SharedStoreScheduler(BackgroundScheduler):
    """Processes jobs only while running. APScheduler's loop makes one more pass after shutdown(),
    paused or not: a process that does not hold the lease would read the due jobs of the shared table,
    try to hand them to its stopped executor, and end its thread on a JobLookupError traceback."""

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        wait: float | None = super()._process_jobs()
        return wait


def build_scheduler(engine: Engine) -> BackgroundScheduler:
    _prepare_job_table(engine)
    return SharedStoreScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE),
            "local": MemoryJobStore(),
        },
        # A reminder missed while the bot was down still fires when it comes back, however late.
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        timezone=UTC,
    )


def _prepare_job_table(engine: Engine) -> None:
    """APScheduler creates its table when it starts: replicas starting together on a new database
    would both create it, and one would die of it. Created here, once, under the migration lock."""
    if inspect(engine).has_table(JOB_TABLE):
        return
    with one_migrator(engine):
        SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE).jobs_t.create(engine, checkfirst=True)


def watch_shared_store(scheduler: BackgroundScheduler) -> None:
    """APScheduler sleeps until its next known job; reminders written by other processes would wait
    for that. Waking every 30 s bounds how late such a reminder can be."""
    scheduler.add_job(
        jobs.wake,
        "interval",
        seconds=WATCH_SECONDS,
        id="watch-shared-store",
        jobstore="local",
        replace_existing=True,
    )


def _job_id(incident_id: int) -> str:
    return f"retro-reminder-{incident_id}"


class ApsRetroScheduler:
    def __init__(self, scheduler: BackgroundScheduler) -> None:
        self.scheduler = scheduler

    def schedule(self, incident_id: int, when: datetime) -> None:
        self.scheduler.add_job(
            jobs.retro_reminder,
            "date",
            run_date=when,
            args=[incident_id],
            id=_job_id(incident_id),
            replace_existing=True,
        )

    def cancel(self, incident_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(_job_id(incident_id))

    def scheduled(self, incident_id: int) -> datetime | None:
        job = self.scheduler.get_job(_job_id(incident_id))
        return job.next_run_time if job else None

    def run_now(self, incident_id: int) -> bool:
        """Bring a reminder forward to now (the demo's "two days later"); False when there is none."""
        job = self.scheduler.get_job(_job_id(incident_id))
        if job is None:
            return False
        job.modify(next_run_time=datetime.now(UTC))
        self.scheduler.wakeup()
        return True


def weekly_job_id(team: str) -> str:
    return f"weekly-summary:{team}"


class WeeklyTrigger(CronTrigger):
    """APScheduler's cron, once a week whatever the clocks do. CronTrigger fires twice when its time
    falls in the hour that repeats as the clocks go back (01:30 on a Sunday in October, in London);
    a weekly time comes round again only days later, so a fire within a day of the last is skipped.
    A time skipped as the clocks go forward fires once, an hour later by the wall clock."""

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        if (
            fire is not None
            and previous_fire_time is not None
            and fire - previous_fire_time < timedelta(days=1)
        ):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def weekly_trigger(settings: WeeklySummary, timezone: str) -> CronTrigger:
    """The weekly summary's time: a day name (APScheduler counts Monday as 0; a name cannot be read
    wrong), the team's zone, so it stays at 09:00 local across daylight-saving changes."""
    return WeeklyTrigger(
        day_of_week=settings.day[:3],
        hour=settings.at.hour,
        minute=settings.at.minute,
        timezone=timezone,
    )


def install_recurring(
    scheduler: BackgroundScheduler, teams: list[str], settings: WeeklySummary, timezone: str
) -> None:
    """Called by the process that takes the lease. The sweep runs at once, then every minute (in
    memory: each leader adds its own). Each workspace's weekly summary job is kept in the shared job
    table and left as it is when its time has not changed: replacing it would compute its next run
    from now, and a summary missed while the bot was down would never run. Missed runs are coalesced
    into one and run however late (misfire_grace_time None); the job itself says which week it covers.
    """
    scheduler.add_job(
        jobs.sweep,
        "interval",
        seconds=SWEEP_SECONDS,
        id=SWEEP_JOB,
        jobstore="local",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
    )
    for team in teams:
        job_id = weekly_job_id(team)
        job = scheduler.get_job(job_id)
        if not settings.enabled:
            if job is not None:
                scheduler.remove_job(job_id)
            continue
        trigger = weekly_trigger(settings, timezone)
        if (
            job is not None
            and type(job.trigger) is type(trigger)
            and str(job.trigger) == str(trigger)
            and str(job.trigger.timezone) == timezone
        ):
            continue
        scheduler.add_job(jobs.weekly_summary, trigger, args=[team], id=job_id, replace_existing=True)
