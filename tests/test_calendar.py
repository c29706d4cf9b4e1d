"""The default retrospective time: working days, the team's local time, never in the past, DST-proof."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.runbook.calendar import add_working_days, default_retro_time, local_at

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TEN = time(10, 0)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 23), 2, date(2026, 3, 25)),  # Mon + 2 = Wed
        (date(2026, 3, 26), 2, date(2026, 3, 30)),  # Thu + 2 = Mon
        (date(2026, 3, 27), 1, date(2026, 3, 30)),  # Fri + 1 = Mon
        (date(2026, 3, 27), 2, date(2026, 3, 31)),  # Fri + 2 = Tue
        (date(2026, 3, 27), 5, date(2026, 4, 3)),  # Fri + 5 = next Fri
        (date(2026, 3, 28), 1, date(2026, 3, 30)),  # Sat + 1 = Mon
        (date(2026, 3, 29), 2, date(2026, 3, 31)),  # Sun + 2 = Tue
        (date(2026, 3, 25), 0, date(2026, 3, 25)),  # a working day + 0 is that day
        (date(2026, 3, 28), 0, date(2026, 3, 30)),  # Sat + 0 lands on Monday
        (date(2026, 3, 29), 0, date(2026, 3, 30)),  # Sun + 0 lands on Monday
        (date(2026, 3, 23), 10, date(2026, 4, 6)),  # two whole weeks
        (date(2026, 12, 31), 1, date(2027, 1, 1)),  # across the year (no holidays are known)
    ],
)
def test_add_working_days_skips_weekends(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


def test_add_working_days_never_lands_on_a_weekend() -> None:
    for offset in range(14):
        for days in range(0, 8):
            result = add_working_days(date(2026, 3, 23) + timedelta(days=offset), days)
            assert result.weekday() < 5, (offset, days, result)


@pytest.mark.parametrize("tz", [LONDON, NEW_YORK, ZoneInfo("Pacific/Auckland"), ZoneInfo("UTC")], ids=str)
@pytest.mark.parametrize("delay", [0, 1, 2, 5])
def test_default_retro_time_is_never_in_the_past(tz: ZoneInfo, delay: int) -> None:
    """Every hour over three weeks that cross both 2026 DST changes in Europe and the US."""
    now = datetime(2026, 3, 1, 0, 17, tzinfo=UTC)
    for _ in range(24 * 21):
        slot = default_retro_time(now, tz, delay, TEN)
        assert slot > now, (now, slot)
        assert slot.tzinfo is not None and slot.utcoffset() == timedelta(0)
        local = slot.astimezone(tz)
        assert (local.hour, local.minute) == (10, 0), (now, local)
        assert local.weekday() < 5, (now, local)
        assert local.date() >= now.astimezone(tz).date()
        now += timedelta(hours=1)


def test_default_retro_time_with_no_delay_moves_to_the_next_working_day_once_the_hour_has_passed() -> None:
    friday_afternoon = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # 15:00 GMT on a Friday
    slot = default_retro_time(friday_afternoon, LONDON, 0, TEN)
    assert slot.astimezone(LONDON) == datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
    friday_morning = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert default_retro_time(friday_morning, LONDON, 0, TEN) == datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def test_dst_spring_forward_keeps_the_wall_clock_time() -> None:
    """Fri 2026-03-27 + 2 working days at 10:00 London is Tue 31 March 10:00 BST, which is 09:00 UTC."""
    now = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    slot = default_retro_time(now, LONDON, 2, TEN)
    assert slot == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    local = slot.astimezone(LONDON)
    assert (local.date(), local.hour, local.tzname()) == (date(2026, 3, 31), 10, "BST")


def test_dst_fall_back_keeps_the_wall_clock_time() -> None:
    """Fri 2026-10-23 (BST) + 2 working days crosses 25 October: Tue 27 October 10:00 GMT = 10:00 UTC."""
    now = datetime(2026, 10, 23, 8, 0, tzinfo=UTC)  # 09:00 BST
    slot = default_retro_time(now, LONDON, 2, TEN)
    assert slot == datetime(2026, 10, 27, 10, 0, tzinfo=UTC)
    assert slot.astimezone(LONDON).tzname() == "GMT"


def test_dst_in_new_york_too() -> None:
    """The US changes on 2026-03-08: Fri 6 March + 2 working days at 10:00 is 14:00 UTC (EDT), not 15:00."""
    slot = default_retro_time(datetime(2026, 3, 6, 12, 0, tzinfo=UTC), NEW_YORK, 2, TEN)
    assert slot == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def test_a_wall_time_skipped_by_spring_forward_moves_forward_not_back() -> None:
    """01:30 on 2026-03-29 does not exist in London (01:00 GMT jumps to 02:00 BST): it becomes 02:30 BST."""
    slot = local_at(date(2026, 3, 29), time(1, 30), LONDON)
    assert slot == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    local = slot.astimezone(LONDON)
    assert (local.hour, local.minute, local.tzname()) == (2, 30, "BST")
    # Forward means later than every real instant before the gap, and not back at 00:30 UTC / 00:30 GMT.
    assert slot > datetime(2026, 3, 29, 1, 0, tzinfo=UTC) - timedelta(seconds=1)
    assert slot != datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_a_repeated_wall_time_at_fall_back_is_that_wall_time() -> None:
    """01:30 on 2026-10-25 happens twice in London; either way the team's clock reads 01:30 that day."""
    slot = local_at(date(2026, 10, 25), time(1, 30), LONDON)
    local = slot.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute) == (date(2026, 10, 25), 1, 30)
    assert slot in (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC))


def test_local_at_on_an_ordinary_day() -> None:
    assert local_at(date(2026, 7, 1), TEN, LONDON) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert local_at(date(2026, 1, 5), TEN, LONDON) == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
