"""Queries behind the App Home tab: what is open, which retrospectives come next, the newest mistakes.

Like the Repo's own queries, every one filters by the workspace (team id) the Repo was opened for, so
one workspace's home never lists another's incidents. Each reads a bounded page (the home shows a few
of each) plus a count for "and N more", through the (team_id, status) index.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, func
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.tables import Incident, Retrospective

CLOSED = "closed"


class HomeRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def open_incidents(self, *, limit: int) -> list[Incident]:
        """Incidents not closed yet, newest first."""
        query = (
            select(Incident)
            .where(col(Incident.team_id) == self.team, col(Incident.status) != CLOSED)
            .order_by(col(Incident.created_at).desc(), col(Incident.id).desc())
            .limit(limit)
        )
        return list(self.session.exec(query))

    def count_open(self) -> int:
        return self._count(col(Incident.status) != CLOSED)

    def retrospectives(self, statuses: Collection[str], *, limit: int) -> list[Incident]:
        """Incidents whose retrospective is set for a time (in ``statuses``), the soonest first."""
        query = (
            select(Incident)
            .where(
                col(Incident.team_id) == self.team,
                col(Incident.status).in_(sorted(statuses)),
                col(Incident.retro_at).is_not(None),
            )
            .order_by(col(Incident.retro_at), col(Incident.id))
            .limit(limit)
        )
        return list(self.session.exec(query))

    def count_retrospectives(self, statuses: Collection[str]) -> int:
        return self._count(col(Incident.status).in_(sorted(statuses)), col(Incident.retro_at).is_not(None))

    def recent(self, *, limit: int) -> list[tuple[Incident, Retrospective | None]]:
        """The newest incidents with their retrospective, if held."""
        retro_join = and_(
            col(Retrospective.incident_id) == col(Incident.id), col(Retrospective.team_id) == self.team
        )
        query = (
            select(Incident, Retrospective)
            .outerjoin(Retrospective, retro_join)
            .where(col(Incident.team_id) == self.team)
            .order_by(col(Incident.created_at).desc(), col(Incident.id).desc())
            .limit(limit)
        )
        return [(incident, retro) for incident, retro in self.session.exec(query)]

    def count_all(self) -> int:
        return self._count()

    def _count(self, *where: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(Incident).where(col(Incident.team_id) == self.team, *where)
        return int(self.session.exec(query).one())
