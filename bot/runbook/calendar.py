"""When the retrospective should be, by default: N working days from now, at a set local time.

Pure date arithmetic in the team's time zone, so that a DST change between today and the
retrospective does not move it by an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    while current.weekday() >= 5:  # a delay of 0 on a weekend still lands on a working day
        current += timedelta(days=1)
    return current


def local_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``tz`` as an aware UTC datetime; a time skipped by DST moves forward."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a wall time that does not exist (spring forward) comes back shifted.
    roundtrip = aware.astimezone(UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != naive:
        aware = roundtrip
    return aware.astimezone(UTC)


def default_retro_time(now: datetime, tz: ZoneInfo, delay_working_days: int, at: time) -> datetime:
    """The default retrospective slot, never in the past."""
    today = now.astimezone(tz).date()
    slot = local_at(add_working_days(today, delay_working_days), at, tz)
    if slot <= now:
        slot = local_at(add_working_days(today, max(delay_working_days, 1)), at, tz)
    return slot
