"""The queries behind `oops history show/export/import`: a workspace's incidents with every row they
own, read in batches by id (a long history is never held in memory at once), and written back in one
transaction with the ids they had where those are free.

Action items and the watch after the apology go with the rest (an action item gets a new id when
written back). Posts (where the bot's messages sit in Slack) go too, so that a history moved to another
database (SQLite to PostgreSQL, say) is still edited in place by the bot serving the same workspace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, text
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.search import SearchRows
from bot.store.tables import (
    ActionItem,
    ChecklistItem,
    DecisionLog,
    Draft,
    Incident,
    IncidentWatch,
    Notice,
    Post,
    Retrospective,
)

BATCH = 200  # incidents read per round of queries


@dataclass
class Rows:
    """One incident and everything it owns, each list in the order it was written (by row id)."""

    incident: Incident
    log: list[DecisionLog] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    retrospective: Retrospective | None = None
    checklist: list[ChecklistItem] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    watch: IncidentWatch | None = None


class ArchiveRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team
        self.repo = repo

    # reading -------------------------------------------------------------------------------------
    def one(self, incident_id: int) -> Rows | None:
        incident = self.repo.incident(incident_id)
        return None if incident is None else self._with_children([incident])[0]

    def all(self, batch: int = BATCH) -> Iterator[Rows]:
        """Every incident of the workspace, by id, with its rows."""
        after = 0
        while True:
            query = (
                select(Incident)
                .where(Incident.team_id == self.team, col(Incident.id) > after)
                .order_by(col(Incident.id))
                .limit(batch)
            )
            incidents = list(self.session.exec(query))
            if not incidents:
                return
            yield from self._with_children(incidents)
            after = incidents[-1].id or 0

    def _with_children(self, incidents: Sequence[Incident]) -> list[Rows]:
        found = {i.id: Rows(i) for i in incidents}
        ids = list(found)
        for row in self._owned(DecisionLog, ids):
            found[row.incident_id].log.append(row)
        for row in self._owned(Notice, ids):
            found[row.incident_id].notices.append(row)
        for row in self._owned(Draft, ids):
            found[row.incident_id].drafts.append(row)
        for row in self._owned(Retrospective, ids):
            found[row.incident_id].retrospective = row
        for row in self._owned(ChecklistItem, ids):
            found[row.incident_id].checklist.append(row)
        for row in self._owned(Post, ids):
            found[row.incident_id].posts.append(row)
        for row in self._owned(ActionItem, ids):
            found[row.incident_id].action_items.append(row)
        for row in self._owned(IncidentWatch, ids, order=IncidentWatch.incident_id):
            found[row.incident_id].watch = row
        return list(found.values())

    def _owned(self, table: Any, ids: list[int | None], order: Any = None) -> list[Any]:
        query = (
            select(table)
            .where(col(table.incident_id).in_(ids), table.team_id == self.team)
            .order_by(col(table.id if order is None else order))
        )
        return list(self.session.exec(query))

    # writing -------------------------------------------------------------------------------------
    def same_incident(self, incident_id: int, fingerprint: tuple[object, ...]) -> Incident | None:
        """The workspace's incident that an imported one already is: the one with its id, else any
        other with its fingerprint (reported at the same instant, by the same person, same title)."""
        created_at, reporter, title = fingerprint
        by_id = self.repo.incident(incident_id)
        if by_id is not None and (by_id.created_at, by_id.reporter, by_id.title) == fingerprint:
            return by_id
        query = select(Incident).where(
            Incident.team_id == self.team,
            Incident.created_at == created_at,
            Incident.reporter == reporter,
            Incident.title == title,
        )
        return self.session.exec(query.limit(1)).first()

    def id_taken(self, incident_id: int) -> bool:
        """Ids are shared by every workspace in the database: taken by anyone is taken."""
        return self.session.get(Incident, incident_id) is not None

    def source_key_taken(self, source_key: str) -> bool:
        query = select(Incident.id).where(Incident.source_key == source_key)
        return self.session.exec(query.limit(1)).first() is not None

    def add(self, rows: Rows) -> Incident:
        """Write an incident (with the id it carries, or a new one when it carries None) and its rows,
        for this workspace, and index it for search."""
        incident = rows.incident
        incident.team_id = self.team
        self.session.add(incident)
        self.session.flush()
        assert incident.id is not None
        owned: list[Any] = [*rows.log, *rows.notices, *rows.drafts, *rows.checklist, *rows.posts]
        owned += rows.action_items
        owned += [row for row in (rows.retrospective, rows.watch) if row is not None]
        for row in owned:
            row.team_id, row.incident_id = self.team, incident.id
            self.session.add(row)
        self.session.flush()
        texts = [item.text for item in rows.checklist]
        SearchRows(self.repo).index(incident, rows.retrospective, texts)
        return incident

    def follow_ids(self) -> None:
        """After rows written with their own ids, PostgreSQL's id sequence must move past them (SQLite
        takes the largest id plus one by itself)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        self.session.flush()
        top = self.session.exec(select(func.max(Incident.id))).one()
        if top:
            self.session.exec(  # type: ignore[call-overload]
                text("SELECT setval(pg_get_serial_sequence('incident', 'id'), :top)").bindparams(top=top)
            )

    def next_id(self) -> int:
        """The id the next incident would get after the largest one (what a real import gives it)."""
        self.session.flush()
        return int(self.session.exec(select(func.max(Incident.id))).one() or 0) + 1

    def discard(self) -> None:
        """Undo everything written in this transaction (a dry run)."""
        self.session.rollback()
