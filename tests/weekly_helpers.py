"""A month and a half of known mistakes around week 2026-W47 (16–22 Nov 2026, Europe/London), written
straight through the bot's store as the bot records them, and the figures its summary must show.

The history is built so each figure has something just outside it: an incident at the next Monday's
midnight, a decision of the week for an incident of the week before, a retrospective overdue and one
a day short of it, an action item due today (not overdue), watch figures of the week before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

import tests.slack_helpers as h
from bot.store import Store
from bot.store.tables import (
    ActionItem,
    ChecklistItem,
    Draft,
    Incident,
    IncidentWatch,
    Retrospective,
)

LONDON = ZoneInfo("Europe/London")
WEEK = "2026-W47"
# The scheduled run: Monday 23 Nov 2026, 09:00 London (GMT, so 09:00 UTC).
DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """'2026-11-16 10:00' read as London time, as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).astimezone(UTC)


def _incident(
    created: str,
    *,
    runbook: str = "general",
    scale: str = "small",
    answers: dict[str, Any] | None = None,
    decision: str | None = None,
    decided: str | None = None,
    status: str = "deciding",
    retro_at: str | None = None,
    reminded: str | None = None,
    team: str = h.TEAM_ID,
) -> Incident:
    return Incident(
        team_id=team,
        runbook_id=runbook,
        title=f"Mistake of {created}",
        reporter=h.REPORTER,
        channel=h.INCIDENT_CHANNEL,
        status=status,
        scale=scale,
        answers=answers or {},
        recommendation="correct",
        decision=decision,
        decided_by=h.DECIDER if decision else None,
        decided_at=at(decided) if decided else None,
        retro_at=at(retro_at) if retro_at else None,
        reminded_at=at(reminded) if reminded else None,
        created_at=at(created),
    )


def write_history(engine: Engine, team: str = h.TEAM_ID) -> dict[str, int]:
    """The history; returns the ids of the incidents tests refer to by name."""
    ids: dict[str, int] = {}
    with Store(engine).transaction(team) as repo:

        def add(name: str, incident: Incident) -> int:
            incident.team_id = team
            added = repo.add_incident(incident)
            assert added.id is not None
            ids[name] = added.id
            return added.id

        # Week 43 (19–25 Oct, 169 hours: the clocks go back on the 25th): three mistakes, one at the
        # week's first local half hour (Sunday in UTC), one late on its last day.
        add("w43a", _incident("2026-10-19 00:30", status="retro_scheduled", retro_at="2026-12-05 10:00"))
        add("w43b", _incident("2026-10-21 12:00"))
        add("w43c", _incident("2026-10-25 23:30", status="closed"))
        # Week 44: none. Week 45: one, closed with a retrospective.
        add("w45", _incident("2026-11-04 15:00", status="closed"))
        # Week 46: two, one decided and approved in week 47.
        add("w46a", _incident("2026-11-15 23:59"))
        add(
            "w46b",
            _incident(
                "2026-11-15 22:00",
                scale="big",
                decision="make_it_big",
                decided="2026-11-16 08:00",
                status="retro_due",  # reminded on Friday, not held: overdue since Sunday noon
                retro_at="2026-11-20 12:00",
                reminded="2026-11-20 12:00",
            ),
        )
        # Week 47: four mistakes.
        one = add(
            "one",
            _incident(
                "2026-11-16 10:00",
                scale="big",
                answers={"people_affected": 100, "money_at_stake": 250.5},
                decision="correct",
                decided="2026-11-16 10:30",
                status="retro_scheduled",
                retro_at="2026-11-25 10:00",
            ),
        )
        add(
            "two",
            _incident(
                "2026-11-17 14:00",
                runbook="email-campaign",
                scale="huge",
                answers={"people_affected": 27463, "money_at_stake": 0, "audience": "customers"},
            ),
        )
        add(
            "three",
            _incident(
                "2026-11-18 09:00",
                answers={"people_affected": 10, "money_at_stake": None},
                decision="no_action",
                decided="2026-11-18 11:00",
                status="retro_scheduled",
                retro_at="2026-11-20 10:00",
            ),
        )
        add(
            "four",
            _incident("2026-11-22 23:30", runbook="pricing-error", answers={"people_affected": 5}),
        )
        # The next week's first minute: not this week's.
        add("next", _incident("2026-11-23 00:00", answers={"people_affected": 1000}))

        session = repo.session
        # Apologies: OOPS one approved 90 min after /oops (its first approval counts, not the second);
        # w46b approved 11 h after; a draft never approved.
        for incident, version, approved in (
            (one, 1, "2026-11-16 11:30"),
            (one, 2, "2026-11-16 12:30"),
            (ids["w46b"], 1, "2026-11-16 09:00"),
            (ids["three"], 1, None),
        ):
            session.add(
                Draft(
                    team_id=team,
                    incident_id=incident,
                    version=version,
                    subject="Sorry",
                    body="We are sorry.",
                    author="oops",
                    source="template",
                    approved_by=h.DECIDER if approved else None,
                    approved_at=at(approved) if approved else None,
                    created_at=at("2026-11-16 11:00"),
                )
            )
        # Retrospectives: two held in week 47 (process), one in week 45 (process), one in week 44
        # (tooling): process recurs (3 in five weeks), tooling does not.
        for name, held, cause in (
            ("w43a", "2026-11-18 10:00", "process"),
            ("w43b", "2026-11-20 16:00", "process"),
            ("w45", "2026-11-06 10:00", "process"),
            ("w43c", "2026-10-28 10:00", "tooling"),
        ):
            session.add(
                Retrospective(
                    team_id=team,
                    incident_id=ids[name],
                    what_went_wrong="x",
                    cause=cause,
                    root_cause="y",
                    what_we_change="z",
                    submitted_by=h.REVIEWER,
                    created_at=at(held),
                )
            )
        for text, created in (
            ("Check the list", "2026-11-18 10:05"),
            ("Test on staging", "2026-11-20 16:05"),
            ("Ask finance", "2026-11-22 23:59"),
            ("Old lesson", "2026-11-06 10:05"),
        ):
            session.add(
                ChecklistItem(
                    team_id=team,
                    incident_id=one,
                    runbook_id="general",
                    text=text,
                    created_by=h.REVIEWER,
                    created_at=at(created),
                )
            )
        # Action items: one done in the week, one done the week before, one open and overdue, one due
        # today (not overdue yet), one due next week.
        for due, done in (
            (date(2026, 11, 18), "2026-11-17 12:00"),
            (date(2026, 11, 10), "2026-11-12 12:00"),
            (date(2026, 11, 20), None),
            (date(2026, 11, 23), None),
            (date(2026, 11, 30), None),
        ):
            session.add(
                ActionItem(
                    team_id=team,
                    incident_id=one,
                    text="Do it",
                    owner=h.REVIEWER,
                    due=due,
                    created_by=h.REVIEWER,
                    created_at=at("2026-11-10 10:00"),
                    done_at=at(done) if done else None,
                    done_by=h.REVIEWER if done else None,
                    next_remind_on=None if done else due,
                )
            )
        # Watch figures recorded in the week for two incidents; one recorded the week before.
        for name, figures, recorded in (
            ("one", (3, 10, 2), "2026-11-17 10:00"),
            ("w46b", (4, 0, None), "2026-11-19 10:00"),
            ("w45", (50, 50, 50), "2026-11-09 10:00"),
        ):
            complaints, unsubscribes, replies = figures
            session.add(
                IncidentWatch(
                    incident_id=ids[name],
                    team_id=team,
                    due_at=at(recorded) - timedelta(hours=1),
                    asked_at=at(recorded) - timedelta(hours=1),
                    complaints=complaints,
                    unsubscribes=unsubscribes,
                    replies=replies,
                    recorded_by=h.REVIEWER,
                    recorded_at=at(recorded),
                )
            )
    return ids
