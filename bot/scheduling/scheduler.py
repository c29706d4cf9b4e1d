"""APScheduler 3 set up for the bot: jobs in the bot's database, so they survive a restart.

One process runs the scheduler (APScheduler does not support several schedulers sharing a job
store). If two ever fire the same reminder, the use case posts it once: it only acts on an
incident still waiting for its reminder.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy import Engine

from bot.scheduling import jobs

JOB_TABLE = "apscheduler_jobs"


WATCH_SECONDS = 30


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
    return SharedStoreScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE),
            "local": MemoryJobStore(),
        },
        # A reminder missed while the bot was down still fires when it comes back, however late.
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        timezone=UTC,
    )


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
