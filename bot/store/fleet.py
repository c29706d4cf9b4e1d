"""The few questions asked across workspaces: by the scheduler and by recovery at start-up.

Everything else goes through a Repo, which is bound to one workspace. These return only workspace and
incident ids; the work itself is then done in that workspace's scope.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.store.db import READ_ONLY
from bot.store.tables import (
    ChecklistItem,
    DecisionLog,
    Draft,
    Incident,
    Notice,
    Post,
    Retrospective,
)

OWNED = (Incident, Post, Notice, Draft, Retrospective, ChecklistItem, DecisionLog)
# An incident in this state may be waiting for a draft that was never written.
DRAFTING = "drafting"
RETRO_SCHEDULED = "retro_scheduled"


class Fleet:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _session(self) -> Session:
        return Session(self.engine.execution_options(**{READ_ONLY: True}))

    def team_of(self, incident_id: int) -> str | None:
        """The workspace of an incident named by a stored job (which carries only its id)."""
        with self._session() as session:
            return session.exec(select(Incident.team_id).where(Incident.id == incident_id)).first()

    def unfinished(self, quiet_since: datetime) -> list[tuple[str, int]]:
        """(workspace, incident) pairs that may need finishing: never shown, a post or notice whose
        outcome is unknown, a draft the decision is waiting for. Only incidents untouched since
        ``quiet_since``: one changed a moment ago may be in the hands of another process right now."""
        quiet = col(Incident.updated_at) < quiet_since
        with self._session() as session:
            found: set[tuple[str, int]] = set()
            queries = (
                select(Incident.team_id, Incident.id)
                .join(Post, col(Post.incident_id) == col(Incident.id))
                .where(col(Post.ts).is_(None), quiet),
                select(Incident.team_id, Incident.id)
                .join(Notice, col(Notice.incident_id) == col(Incident.id))
                .where(col(Notice.ts).is_(None), col(Notice.error).is_(None), quiet),
                select(Incident.team_id, Incident.id).where(Incident.status == DRAFTING, quiet),
                select(Incident.team_id, Incident.id).where(col(Incident.header_ts).is_(None), quiet),
            )
            for query in queries:
                found.update((team, int(incident)) for team, incident in session.exec(query))
            return sorted(found, key=lambda pair: pair[1])

    def claim(self, team: str, incident_id: int, quiet_since: datetime, now: datetime) -> bool:
        """Take an incident for recovery: True for the one process whose update finds it still quiet
        (every process may recover at start; only one finishes each incident)."""
        with Session(self.engine) as session:
            result = session.exec(  # type: ignore[call-overload]
                update(Incident)
                .where(
                    col(Incident.id) == incident_id,
                    col(Incident.team_id) == team,
                    col(Incident.updated_at) < quiet_since,
                )
                .values(updated_at=now)
            )
            session.commit()
            return bool(result.rowcount)

    def scheduled(self) -> list[tuple[str, int]]:
        """(workspace, incident) pairs waiting for their retrospective reminder."""
        with self._session() as session:
            query = select(Incident.team_id, Incident.id).where(Incident.status == RETRO_SCHEDULED)
            return [(team, int(incident)) for team, incident in session.exec(query)]

    def teams(self) -> list[str]:
        """The workspaces with incidents in this database (the CLI asks, to pick one)."""
        with self._session() as session:
            query = select(Incident.team_id).where(Incident.team_id != "").distinct()
            return sorted(str(team) for team in session.exec(query))

    def adopt(self, team: str) -> int:
        """Rows written before workspaces were recorded belong to the one the bot serves: claim them.
        Asked at every start, so the common answer (none) comes from an index, not a scan."""
        with self._session() as session:
            if session.exec(select(Incident.id).where(Incident.team_id == "").limit(1)).first() is None:
                return 0
        count = 0
        with Session(self.engine) as session:
            for table in OWNED:
                result = session.exec(  # type: ignore[call-overload]
                    update(table).where(col(table.team_id) == "").values(team_id=team)
                )
                count += result.rowcount or 0
            session.commit()
        return count
