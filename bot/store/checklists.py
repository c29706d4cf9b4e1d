"""Queries over the checklist items retrospectives left, in one Repo's workspace.

Like the Repo's own queries, every one filters by the workspace (team id) the Repo was opened for:
an item id taken from a crafted payload of another workspace finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.tables import ChecklistItem

# The newest items read to build a checklist (years of retrospectives for most teams): its cost
# stays flat however long the history grows. Merging compares each wording with the items so far.
WINDOW = 2000


class ChecklistRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def active(self, runbook_id: str | None = None, *, limit: int = WINDOW) -> list[ChecklistItem]:
        """Items not retired, newest first: of one runbook, or of all."""
        query = select(ChecklistItem).where(
            ChecklistItem.team_id == self.team, col(ChecklistItem.retired_at).is_(None)
        )
        if runbook_id is not None:
            query = query.where(ChecklistItem.runbook_id == runbook_id)
        return list(self.session.exec(query.order_by(col(ChecklistItem.id).desc()).limit(limit)))

    def item(self, item_id: int) -> ChecklistItem | None:
        query = select(ChecklistItem).where(ChecklistItem.id == item_id, ChecklistItem.team_id == self.team)
        return self.session.exec(query).first()

    def retire(self, item_ids: Iterable[int], user: str, at: datetime) -> int:
        """Retire these items (those still active, in this workspace); returns how many were."""
        ids = sorted(set(item_ids))
        if not ids:
            return 0
        result = self.session.exec(  # type: ignore[call-overload]
            update(ChecklistItem)
            .where(
                col(ChecklistItem.id).in_(ids),
                col(ChecklistItem.team_id) == self.team,
                col(ChecklistItem.retired_at).is_(None),
            )
            .values(retired_at=at, retired_by=user)
        )
        return int(result.rowcount or 0)
