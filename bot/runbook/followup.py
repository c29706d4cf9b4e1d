"""When a held-up retrospective is reminded again and marked overdue, when the watch after an apology
asks for its figures, and when those figures call for a second look at the scale.

Pure rules on times and numbers: the use cases read the rows and the config, these say what is due.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.runbook.calendar import add_working_days, local_at
from bot.runbook.incident import Status

# A figure "much higher" than at assessment: at least this many times it, and at least this many more.
MUCH_HIGHER_FACTOR = 2
MUCH_HIGHER_MORE = 10


def again_at(reminded_at: datetime, hours: float) -> datetime:
    """When a retrospective not held since its reminder gets one more reminder."""
    return reminded_at + timedelta(hours=hours)


def overdue_at(reminded_at: datetime, hours: float) -> datetime:
    """When it is marked overdue: the same delay again after the second reminder was due."""
    return reminded_at + 2 * timedelta(hours=hours)


def overdue_since(
    status: Status, reminded_at: datetime | None, now: datetime, hours: float
) -> datetime | None:
    """Since when a reminded retrospective is overdue, or None while it is not (or is not reminded)."""
    if status is not Status.RETRO_DUE or reminded_at is None:
        return None
    since = overdue_at(reminded_at, hours)
    return since if now >= since else None


def watch_due(approved_at: datetime, tz: ZoneInfo, after_working_days: int, at: time) -> datetime:
    """When to ask for the figures after an apology approved at ``approved_at``: that many working
    days later at ``at`` in the team's time zone, and never before the approval itself."""
    day: date = approved_at.astimezone(tz).date()
    due = local_at(add_working_days(day, after_working_days), at, tz)
    if due <= approved_at:
        due = local_at(add_working_days(day, max(after_working_days, 1)), at, tz)
    return due


def much_higher(now: int | None, then: int | None) -> bool:
    """Whether ``now`` complaints are much more than ``then`` (at assessment): the scale may be wrong."""
    if now is None or then is None:
        return False
    return now >= MUCH_HIGHER_FACTOR * then and now >= then + MUCH_HIGHER_MORE
