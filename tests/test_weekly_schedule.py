"""Weeks and the weekly job across daylight-saving changes (Europe/London, 2026): a week is 167 or 169
hours when the clocks change in it, consecutive weeks share their bound, and the job's trigger fires
exactly once a week, also when its time falls in the hour the clocks skip or repeat."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import WeeklySummary
from bot.runbook.weeks import Week, due_week
from bot.scheduling.scheduler import weekly_trigger

LONDON = ZoneInfo("Europe/London")


def test_weeks_with_a_clock_change_are_167_and_169_hours() -> None:
    spring, autumn = Week.parse("2026-W13"), Week.parse("2026-W43")
    assert spring.sunday == date(2026, 3, 29) and autumn.sunday == date(2026, 10, 25)
    start, end = spring.bounds(LONDON)
    assert end - start == timedelta(hours=167)
    start, end = autumn.bounds(LONDON)
    assert end - start == timedelta(hours=169)
    start, end = Week.parse("2026-W20").bounds(LONDON)
    assert end - start == timedelta(hours=168)


def test_consecutive_weeks_share_their_bound_all_year() -> None:
    week = Week.parse("2025-W52")
    for _ in range(60):
        following = week.shift(1)
        assert week.bounds(LONDON)[1] == following.bounds(LONDON)[0], week.label
        assert following.bounds(LONDON)[0].astimezone(LONDON).time() == time(0, 0)
        week = following
    assert week.label == "2027-W07"


def _fires(settings: WeeklySummary, around: date) -> list[datetime]:
    """Every fire time of the weekly trigger over eight weeks centred on ``around``, one after the
    other as the scheduler asks for them (previous fire time, then the next)."""
    trigger = weekly_trigger(settings, "Europe/London")
    start = datetime.combine(around - timedelta(weeks=4), time(0, 0), tzinfo=UTC)
    stop = start + timedelta(weeks=8)
    fires: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < stop:
        fires.append(fire.astimezone(UTC))
        fire = trigger.get_next_fire_time(fire, fire)
    return fires


@pytest.mark.parametrize("around", [date(2026, 3, 29), date(2026, 10, 25)], ids=["spring", "autumn"])
@pytest.mark.parametrize(
    ("day", "at"),
    [("monday", time(9, 0)), ("sunday", time(1, 30))],
    ids=["monday-0900", "sunday-0130-in-the-changing-hour"],
)
def test_the_weekly_trigger_fires_once_a_week_across_a_clock_change(day: str, at: time, around: date) -> None:
    settings = WeeklySummary(day=day, at=at)  # type: ignore[arg-type]
    fires = _fires(settings, around)
    assert len(fires) == 8, fires
    weeks = [Week.of(f.astimezone(LONDON).date()) for f in fires]
    assert len(set(weeks)) == 8 and weeks == sorted(weeks), fires
    for fire in fires:
        local = fire.astimezone(LONDON)
        assert local.weekday() == settings.weekday
        # At the set time by the wall clock; a time the clocks skip comes an hour later.
        assert local.time() in (at, time(at.hour + 1, at.minute)), local
        # The job's week is the one due then, and each fire covers a different week.
        _, due = due_week(fire, settings.weekday, settings.at, LONDON)
        assert due <= fire < due + timedelta(hours=1)
    covered = [due_week(f, settings.weekday, settings.at, LONDON)[0] for f in fires]
    assert len(set(covered)) == 8
