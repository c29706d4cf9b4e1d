"""Timed jobs: the retrospective reminder, kept by APScheduler in the bot's own database."""

from bot.scheduling.scheduler import ApsRetroScheduler, build_scheduler

__all__ = ["ApsRetroScheduler", "build_scheduler"]
