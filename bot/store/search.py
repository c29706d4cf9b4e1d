"""History search in the database: one interface, SQLite FTS5 or PostgreSQL full text underneath.

The words come from bot.store.search_text (one normaliser for both); the query from
bot.store.search_query, whose terms reach the database only as one bound parameter of quoted lexemes
(an FTS5 MATCH string, a to_tsquery text) and whose filters are bound values. Every query filters by
the workspace (team id) the Repo was opened for. Ranked by relevance (bm25 / ts_rank), newest first
among equals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, column, func, table, text
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.search_query import SearchQuery, fts5_match, tsquery
from bot.store.search_text import document
from bot.store.tables import Incident, IncidentSearch, Retrospective

# What migration 0004 makes outside the models (autogenerate must not see it as ours to drop):
# SQLite's FTS5 table (and its shadow tables), PostgreSQL's tsvector column and its GIN index.
FTS_TABLE = "incident_search_fts"
TSV_COLUMN = "search_tsv"
TSV_INDEX = "ix_incident_search_tsv"
CLOSED = "closed"
TITLE_WEIGHT = 4.0  # bm25: a title word counts four times; PostgreSQL: weight A (1.0) against B (0.4)
S = TypeVar("S", bound=Any)  # a select statement


def made_by_migration(name: str | None, type_: str) -> bool:
    """True for the search index's own objects, which no model declares."""
    name = name or ""
    return (
        (type_ == "table" and name.startswith(FTS_TABLE))
        or (type_ == "column" and name == TSV_COLUMN)
        or (type_ == "index" and name == TSV_INDEX)
    )


def lessons_of(retro: Retrospective | None, checklist: Iterable[str]) -> list[str]:
    fields = [retro.what_went_wrong, retro.root_cause, retro.what_we_change] if retro else []
    return [*fields, *checklist]


class SearchRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def index(
        self, incident: Incident, retro: Retrospective | None = None, checklist: Sequence[str] = ()
    ) -> None:
        """Write an incident's search text (the database's index follows it in the same transaction)."""
        assert incident.id is not None
        title, body = document(
            incident.title, incident.details, incident.runbook_id, lessons_of(retro, checklist)
        )
        row = self.session.get(IncidentSearch, incident.id)
        if row is None:
            row = IncidentSearch(incident_id=incident.id, team_id=self.team)
        elif row.team_id != self.team:
            return  # another workspace's incident: never touched from here
        row.title_text, row.search_text = title, body
        self.session.add(row)

    def search(
        self,
        query: SearchQuery,
        *,
        limit: int,
        offset: int = 0,
        since: datetime | None = None,
        before: datetime | None = None,
    ) -> list[tuple[Incident, Retrospective | None]]:
        """Incidents matching every term and filter, best first. ``since``/``before`` are the query's
        dates as instants in the team's time zone. A query with neither terms nor filters finds nothing."""
        if query.empty or limit <= 0:
            return []
        retro_join = and_(
            col(Retrospective.incident_id) == col(Incident.id), col(Retrospective.team_id) == self.team
        )
        stmt = (
            select(Incident, Retrospective)
            .outerjoin(Retrospective, retro_join)
            .where(col(Incident.team_id) == self.team)
        )
        stmt = self._filters(stmt, query, since, before)
        order: list[Any] = []
        if query.terms:
            stmt = stmt.join(IncidentSearch, col(IncidentSearch.incident_id) == col(Incident.id)).where(
                col(IncidentSearch.team_id) == self.team
            )
            if self.session.get_bind().dialect.name == "sqlite":
                fts = table(FTS_TABLE, column("rowid"))
                stmt = stmt.join(fts, fts.c.rowid == col(IncidentSearch.incident_id)).where(
                    text(f"{FTS_TABLE} MATCH :match").bindparams(match=fts5_match(query))
                )
                order.append(text(f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)"))
            else:
                words = tsquery(query)
                stmt = stmt.where(
                    text(f"incident_search.{TSV_COLUMN} @@ to_tsquery('simple', :tsq)").bindparams(tsq=words)
                )
                rank = f"ts_rank(incident_search.{TSV_COLUMN}, to_tsquery('simple', :tsr)) DESC"
                order.append(text(rank).bindparams(tsr=words))
        order += [col(Incident.created_at).desc(), col(Incident.id).desc()]
        rows = self.session.exec(stmt.order_by(*order).limit(limit).offset(max(offset, 0)))
        return [(incident, retro) for incident, retro in rows]

    def count_filtered(self, query: SearchQuery, since: datetime | None, before: datetime | None) -> int:
        """How many incidents the filters alone allow (terms ignored): what a search can never exceed."""
        stmt = select(func.count()).select_from(Incident).where(col(Incident.team_id) == self.team)
        return int(self.session.exec(self._filters(stmt, query, since, before)).one())

    @staticmethod
    def _filters(stmt: S, query: SearchQuery, since: datetime | None, before: datetime | None) -> S:
        f = query.filters
        if f.runbook is not None:
            stmt = stmt.where(col(Incident.runbook_id) == f.runbook)
        if f.scale is not None:
            stmt = stmt.where(col(Incident.scale) == f.scale)
        if f.decision is not None:
            stmt = stmt.where(col(Incident.decision) == f.decision)
        if f.status == CLOSED:
            stmt = stmt.where(col(Incident.status) == CLOSED)
        elif f.status is not None:
            stmt = stmt.where(col(Incident.status) != CLOSED)
        if f.by is not None:
            stmt = stmt.where(col(Incident.reporter) == f.by)
        if since is not None:
            stmt = stmt.where(col(Incident.created_at) >= since)
        if before is not None:
            stmt = stmt.where(col(Incident.created_at) < before)
        return stmt
