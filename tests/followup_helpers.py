"""Helpers for the follow-up tests: a clock the test moves, the walk to a scheduled retrospective with
three people, and reading direct messages and the thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from slack_emulator import Message

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]

PEOPLE = (h.REPORTER, h.DECIDER, h.REVIEWER)  # reported, decided, approved the apology


@dataclass
class Clock:
    """What the bot believes is now (Deps.clock), moved only by the test. It starts at the real time:
    a retrospective set from it is in the real future, so the real scheduler never fires its job
    by itself (only the test does), and a draft written now belongs to a decision taken now."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime) -> None:
        self.now = when

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def with_clock(bot: DemoBot, start: datetime | None = None) -> Clock:
    clock = Clock(start or datetime.now(UTC))
    bot.runtime.deps.clock = clock
    return clock


def walk_to_approved(bot: DemoBot) -> int:
    """Reported by REPORTER, decided by DECIDER, the apology approved by REVIEWER."""
    incident_id = h.walk_to_drafting(bot)
    h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
    assert h.only_incident(bot).status == Status.SCHEDULING
    return incident_id


def walk_to_scheduled(bot: DemoBot) -> int:
    incident_id = walk_to_approved(bot)
    h.click(bot, ids.RETRO_SCHEDULE, h.DECIDER)
    assert h.only_incident(bot).status == Status.RETRO_SCHEDULED
    return incident_id


def remind_at_its_time(bot: DemoBot, clock: Clock, incident_id: int) -> datetime:
    """The clock reaches the retrospective's time and its reminder job runs; returns that time."""
    retro_at = h.only_incident(bot).retro_at
    assert retro_at is not None
    clock.at(retro_at)
    h.fire_reminder(bot, incident_id)
    return retro_at


def sweep(bot: DemoBot) -> dict[str, int]:
    done = bot.runtime.sweep()
    bot.settle()
    return done


def dms(bot: DemoBot, user: str) -> list[Message]:
    return h.dms(bot.emulator, user)


def dm_counts(bot: DemoBot) -> dict[str, int]:
    return {user: len(dms(bot, user)) for user in PEOPLE}


def thread(bot: DemoBot) -> list[Message]:
    incident = h.only_incident(bot)
    return bot.emulator.thread(h.INCIDENT_CHANNEL, incident.header_ts or "")


def saying(bot: DemoBot, words: str) -> list[Message]:
    """The thread's messages (the header included) whose text or blocks say ``words``."""
    return [m for m in thread(bot) if words in h.blocks_text(m)]


def open_home(bot: DemoBot, user: str = h.REPORTER) -> dict[str, Any]:
    before = len(bot.emulator.calls_to("views.publish"))
    response = bot.driver.open_home(user)
    assert response.status == 200, response.body_text
    bot.settle()
    assert len(bot.emulator.calls_to("views.publish")) == before + 1
    view = bot.emulator.home_view(user)
    assert view is not None
    return view


def other_workspace(payload: dict[str, Any], team: str = "T0ELSEWHERE") -> dict[str, Any]:
    """The same click, as if it came from another workspace (a crafted or misrouted request)."""
    payload["team"] = {"id": team, "domain": "elsewhere"}
    payload["user"]["team_id"] = team
    return payload
