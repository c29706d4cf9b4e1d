"""Queries over draft approvals (bot.store.tables.DraftApproval): who approved which version of an
incident's apology. Scoped to the Repo's workspace like every query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.tables import DraftApproval


class DraftApprovals:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def of(self, incident_id: int, version: int) -> list[str]:
        """The people who approved ``version``, first approval first."""
        query = (
            select(DraftApproval.user)
            .where(
                DraftApproval.team_id == self.team,
                DraftApproval.incident_id == incident_id,
                DraftApproval.draft_version == version,
            )
            .order_by(col(DraftApproval.at), col(DraftApproval.id))
        )
        return list(self.session.exec(query).all())

    def add(self, incident_id: int, version: int, user: str, at: datetime) -> bool:
        """Record one approval; False when this person had already approved this version."""
        if user in self.of(incident_id, version):
            return False
        row = DraftApproval(
            team_id=self.team, incident_id=incident_id, draft_version=version, user=user, at=at
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True
