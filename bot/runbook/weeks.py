"""Which week a weekly summary covers, and that week's bounds, in the team's time zone.

A summary covers one ISO week (Monday 00:00 to the next Monday 00:00, local): the newest week that
has ended by the time the summary is due. Bounds come from local midnights, so a week that crosses
a daylight-saving change is 167 or 169 hours long, and no incident falls between two weeks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.runbook.calendar import local_at

_LABEL = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def parse(cls, label: str) -> Week:
        """``2026-W47`` (or ``2026W47``); ValueError naming the expected form otherwise."""
        match = _LABEL.match(label.strip())
        if match is None:
            raise ValueError(f"{label!r} is not a week: write it as 2026-W47")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} has no week {number}") from None
        return cls(year, number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shift(self, weeks: int) -> Week:
        return Week.of(self.monday + timedelta(weeks=weeks))

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware UTC datetimes: local Monday midnight to the next one."""
        start = local_at(self.monday, time(0, 0), tz)
        end = local_at(self.monday + timedelta(days=7), time(0, 0), tz)
        return start, end

    def span(self) -> str:
        """ "16–22 Nov 2026", for people."""
        first, last = self.monday, self.sunday
        if first.month == last.month:
            return f"{first.day}–{last.day} {last:%b %Y}"
        if first.year == last.year:
            return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def last_due(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The newest weekly due time (``weekday`` 0 = Monday, at ``at`` local) at or before ``now``."""
    local_today = now.astimezone(tz).date()
    back = (local_today.weekday() - weekday) % 7
    candidate = local_at(local_today - timedelta(days=back), at, tz)
    if candidate > now:
        candidate = local_at(local_today - timedelta(days=back + 7), at, tz)
    return candidate.astimezone(UTC)


def covered(due: datetime, tz: ZoneInfo) -> Week:
    """The week a summary due at ``due`` covers: the newest ISO week that has ended by then."""
    local_day = due.astimezone(tz).date()
    return Week.of(local_day).shift(-1)


def due_week(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> tuple[Week, datetime]:
    """The week whose summary should have been posted by ``now``, and when it fell due."""
    due = last_due(now, weekday, at, tz)
    return covered(due, tz), due
