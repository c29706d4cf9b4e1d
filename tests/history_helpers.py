"""Past incidents written straight through the bot's own store, as report and retrospective record
them (and indexed for search), for the history tests: search, similar mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

import tests.slack_helpers as h
from bot.store import Store
from bot.store.search import SearchRows
from bot.store.tables import Incident, Retrospective


@dataclass
class Past:
    title: str
    details: str = ""
    runbook: str = "general"
    scale: str = "small"
    decision: str | None = None
    status: str | None = None  # None: closed when it has a retrospective, else deciding
    reporter: str = h.REPORTER
    day: str = "2026-03-01"
    lessons: tuple[str, str, str] | None = None  # what went wrong, root cause, what changes
    checklist: list[str] | tuple[str, ...] = field(default_factory=list)
    team: str = h.TEAM_ID


def write(engine: Engine, past: Past, *, index: bool = True) -> int:
    """One incident (and its retrospective), recorded as the bot records them."""
    with Store(engine).transaction(past.team) as repo:
        incident = repo.add_incident(
            Incident(
                team_id=past.team,
                runbook_id=past.runbook,
                title=past.title,
                details=past.details,
                reporter=past.reporter,
                channel=h.INCIDENT_CHANNEL,
                status=past.status or ("closed" if past.lessons else "deciding"),
                scale=past.scale,
                recommendation="correct",
                decision=past.decision,
                draft_approved=past.decision not in (None, "no_action"),
                created_at=datetime.fromisoformat(past.day + "T10:00:00+00:00"),
            )
        )
        assert incident.id is not None
        retro = None
        if past.lessons:
            wrong, cause, change = past.lessons
            retro = Retrospective(
                team_id=past.team,
                incident_id=incident.id,
                what_went_wrong=wrong,
                root_cause=cause,
                what_we_change=change,
                submitted_by=h.REVIEWER,
            )
            repo.add_retrospective(retro, list(past.checklist), past.runbook)
        if index:
            SearchRows(repo).index(incident, retro, list(past.checklist))
        return incident.id
