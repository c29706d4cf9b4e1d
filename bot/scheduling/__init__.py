"""Timed jobs: the retrospective reminder, kept by APScheduler in the bot's own database."""

from bot.scheduling.lease import LeaseKeeper, SchedulerLease
from bot.scheduling.scheduler import ApsRetroScheduler, build_scheduler, watch_shared_store

__all__ = ["ApsRetroScheduler", "LeaseKeeper", "SchedulerLease", "build_scheduler", "watch_shared_store"]
