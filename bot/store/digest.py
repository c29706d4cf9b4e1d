"""What the weekly summary reads: one workspace, one week [start, end), by aggregate queries.

Every query is a range on an indexed (team_id, time) column, a COUNT or a GROUP BY, or reads the rows
of that one week (bounded by the week, not by the history): the cost stays flat however long the
history grows. Figures kept in an incident's answers (JSON) are summed from the week's rows in Python,
which works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.tables import ActionItem, ChecklistItem, Draft, Incident, IncidentWatch, Retrospective

WAITING_FOR_RETRO = ("retro_scheduled", "retro_due")


@dataclass(frozen=True)
class WeekRows:
    """The raw figures of one week; the use case names and orders them."""

    by_scale_runbook: dict[tuple[str, str], int]  # (scale, runbook id) -> mistakes reported
    answers: list[dict[str, Any]]  # the answers of each mistake reported in the week
    decisions: dict[str, int]  # decision -> taken in the week
    to_decision: list[timedelta]  # /oops to decision, for each decision taken in the week
    to_apology: list[timedelta]  # /oops to approval, for each apology approved in the week
    retros_held: int
    retros_overdue: int
    retros_coming: int
    actions_done: int
    actions_overdue: int
    checklist_new: int
    watch: tuple[int, int, int, int]  # incidents with figures recorded; complaints, unsubscribes, replies
    causes: dict[str, int]  # retrospective cause -> count over the week and the ones before it
    earlier: list[int]  # mistakes reported in each earlier week, oldest first


class DigestRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def week(
        self,
        start: datetime,
        end: datetime,
        *,
        now: datetime,
        today: date,
        overdue_before: datetime,
        causes_from: datetime,
        earlier: Sequence[tuple[datetime, datetime]],
    ) -> WeekRows:
        """The figures of [start, end); what is overdue or coming is as of ``now`` (``today`` local)."""
        return WeekRows(
            by_scale_runbook=self.by_scale_runbook(start, end),
            answers=self.answers(start, end),
            decisions=self.decisions(start, end),
            to_decision=self.to_decision(start, end),
            to_apology=self.to_apology(start, end),
            retros_held=self._count(Retrospective, Retrospective.created_at, start, end),
            # As the thread and the Home tab say it (bot.runbook.followup.overdue_since): reminded,
            # and not held twice the remind-again delay later.
            retros_overdue=self.retros_waiting(
                col(Incident.status) == "retro_due", col(Incident.reminded_at) < overdue_before
            ),
            retros_coming=self.retros_waiting(
                col(Incident.retro_at) >= now, col(Incident.retro_at) < now + timedelta(days=7)
            ),
            actions_done=self._count(ActionItem, ActionItem.done_at, start, end),
            actions_overdue=self.actions_overdue(today),
            checklist_new=self._count(ChecklistItem, ChecklistItem.created_at, start, end),
            watch=self.watch(start, end),
            causes=self.causes(causes_from, end),
            earlier=[self.mistakes(a, b) for a, b in earlier],
        )

    def _in(self, column: Any, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
        return [col(column) >= start, col(column) < end]

    def _count(self, table: Any, column: Any, start: datetime, end: datetime) -> int:
        query = (
            select(func.count())
            .select_from(table)
            .where(table.team_id == self.team, *self._in(column, start, end))
        )
        return int(self.session.exec(query).one())

    def mistakes(self, start: datetime, end: datetime) -> int:
        """Incidents reported in [start, end): one range count on (team_id, created_at)."""
        return self._count(Incident, Incident.created_at, start, end)

    def by_scale_runbook(self, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
        query = (
            select(col(Incident.scale), col(Incident.runbook_id), func.count())
            .where(col(Incident.team_id) == self.team, *self._in(Incident.created_at, start, end))
            .group_by(col(Incident.scale), col(Incident.runbook_id))
        )
        return {(scale, runbook): int(n) for scale, runbook, n in self.session.exec(query)}

    def answers(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        query = select(col(Incident.answers)).where(
            col(Incident.team_id) == self.team, *self._in(Incident.created_at, start, end)
        )
        return [dict(a) if isinstance(a, dict) else {} for a in self.session.exec(query)]

    def decisions(self, start: datetime, end: datetime) -> dict[str, int]:
        query = (
            select(col(Incident.decision), func.count())
            .where(
                col(Incident.team_id) == self.team,
                *self._in(Incident.decided_at, start, end),
                col(Incident.decision).is_not(None),
            )
            .group_by(col(Incident.decision))
        )
        return {str(decision): int(n) for decision, n in self.session.exec(query)}

    def to_decision(self, start: datetime, end: datetime) -> list[timedelta]:
        query = select(col(Incident.created_at), col(Incident.decided_at)).where(
            col(Incident.team_id) == self.team, *self._in(Incident.decided_at, start, end)
        )
        return [decided - created for created, decided in self.session.exec(query) if created and decided]

    def to_apology(self, start: datetime, end: datetime) -> list[timedelta]:
        """Apologies approved in the week, each from its incident's /oops (an incident's first approval)."""
        query = (
            select(col(Incident.created_at), func.min(col(Draft.approved_at)))
            .join(
                Incident, and_(col(Incident.id) == col(Draft.incident_id), col(Incident.team_id) == self.team)
            )
            .where(col(Draft.team_id) == self.team, *self._in(Draft.approved_at, start, end))
            .group_by(col(Draft.incident_id), col(Incident.created_at))
        )
        return [approved - created for created, approved in self.session.exec(query) if created and approved]

    def retros_waiting(self, *where: ColumnElement[bool]) -> int:
        """Retrospectives set for a time and not held yet, through (team_id, status)."""
        query = (
            select(func.count())
            .select_from(Incident)
            .where(
                col(Incident.team_id) == self.team,
                col(Incident.status).in_(WAITING_FOR_RETRO),
                col(Incident.retro_at).is_not(None),
                *where,
            )
        )
        return int(self.session.exec(query).one())

    def actions_overdue(self, today: date) -> int:
        query = (
            select(func.count())
            .select_from(ActionItem)
            .where(
                col(ActionItem.team_id) == self.team,
                col(ActionItem.done_at).is_(None),
                col(ActionItem.due) < today,
            )
        )
        return int(self.session.exec(query).one())

    def watch(self, start: datetime, end: datetime) -> tuple[int, int, int, int]:
        query = select(
            func.count(),
            func.coalesce(func.sum(col(IncidentWatch.complaints)), 0),
            func.coalesce(func.sum(col(IncidentWatch.unsubscribes)), 0),
            func.coalesce(func.sum(col(IncidentWatch.replies)), 0),
        ).where(col(IncidentWatch.team_id) == self.team, *self._in(IncidentWatch.recorded_at, start, end))
        n, complaints, unsubscribes, replies = self.session.exec(query).one()
        return int(n), int(complaints), int(unsubscribes), int(replies)

    def causes(self, start: datetime, end: datetime) -> dict[str, int]:
        query = (
            select(col(Retrospective.cause), func.count())
            .where(
                col(Retrospective.team_id) == self.team,
                *self._in(Retrospective.created_at, start, end),
                col(Retrospective.cause) != "",
            )
            .group_by(col(Retrospective.cause))
        )
        return {str(cause): int(n) for cause, n in self.session.exec(query)}
