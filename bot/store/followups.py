"""Queries behind the follow-ups: retrospectives reminded and not held, and the watch after an apology.

Each reads what is due from indexed columns, in the workspace the Repo was opened for: reminded
retrospectives through (team_id, status), watches through (team_id, asked_at, due_at). A sweep costs
the same however long the history.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.runbook.incident import Status
from bot.store.repo import Repo
from bot.store.tables import Draft, Incident, IncidentWatch

BATCH = 100  # due rows handled per sweep; the rest come at the next minute


class FollowupRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def reminded(self, before: datetime, *, limit: int = BATCH) -> list[int]:
        """Incidents whose retrospective is due and was reminded at or before ``before``, the newest
        reminders first: one marked overdue and never held stays due, and a batch of those must not
        keep a retrospective reminded today from its second reminder."""
        query = (
            select(Incident.id)
            .where(
                col(Incident.team_id) == self.team,
                col(Incident.status) == Status.RETRO_DUE.value,
                col(Incident.reminded_at) <= before,
            )
            .order_by(col(Incident.reminded_at).desc(), col(Incident.id).desc())
            .limit(limit)
        )
        return [int(i) for i in self.session.exec(query) if i is not None]

    def approvers(self, incident_id: int) -> list[str]:
        """Who approved the incident's apology drafts (one, in practice), in order."""
        query = (
            select(Draft.approved_by)
            .where(
                col(Draft.team_id) == self.team,
                col(Draft.incident_id) == incident_id,
                col(Draft.approved_by).is_not(None),
            )
            .order_by(col(Draft.id))
        )
        return [str(u) for u in self.session.exec(query) if u]

    # the watch after the apology ----------------------------------------------------------------------
    def watch(self, incident_id: int, *, lock: bool = False) -> IncidentWatch | None:
        query = select(IncidentWatch).where(
            col(IncidentWatch.team_id) == self.team, col(IncidentWatch.incident_id) == incident_id
        )
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def add_watch(self, incident_id: int, due_at: datetime) -> IncidentWatch:
        """The incident's watch, due at ``due_at``; an existing one (not asked yet) is moved."""
        row = self.watch(incident_id)
        if row is None:
            row = IncidentWatch(incident_id=incident_id, team_id=self.team, due_at=due_at)
        elif row.asked_at is None:
            row.due_at = due_at
        self.session.add(row)
        self.session.flush()
        return row

    def watches_due(self, now: datetime, *, limit: int = BATCH) -> list[int]:
        """Watches not asked yet whose time has come, the longest waiting first."""
        query = (
            select(IncidentWatch.incident_id)
            .where(
                col(IncidentWatch.team_id) == self.team,
                col(IncidentWatch.asked_at).is_(None),
                col(IncidentWatch.due_at) <= now,
            )
            .order_by(col(IncidentWatch.due_at), col(IncidentWatch.incident_id))
            .limit(limit)
        )
        return [int(i) for i in self.session.exec(query)]
