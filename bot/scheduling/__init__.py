"""Timed jobs (retrospective reminders, the sweep of what came due, the weekly summary), kept by
APScheduler in the bot's own database and run by one process at a time."""

from bot.scheduling.lease import LeaseKeeper, SchedulerLease
from bot.scheduling.scheduler import (
    ApsRetroScheduler,
    build_scheduler,
    install_recurring,
    watch_shared_store,
    weekly_job_id,
)

__all__ = [
    "ApsRetroScheduler",
    "LeaseKeeper",
    "SchedulerLease",
    "build_scheduler",
    "install_recurring",
    "watch_shared_store",
    "weekly_job_id",
]
