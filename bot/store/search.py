"""History search in the database: one interface, SQLite FTS5 or PostgreSQL full text underneath.

The words come from bot.store.search_text (one normaliser for both); the query from
bot.store.search_query, whose terms reach the database only as one bound parameter of quoted lexemes
(an FTS5 MATCH string, a to_tsquery text) and whose filters are bound values. Every query filters by
the workspace (team id) the Repo was opened for. Ranked by relevance (bm25 / ts_rank), newest first
among equals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, column, func, literal_column, table, text
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
RANK_WINDOW = 2000  # matches ranked per search: see SearchRows.search
NO_ID = 0  # below every id: a bound that leaves nothing
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
    def __init__(self, repo: Repo, *, window: int = RANK_WINDOW) -> None:
        self.session = repo.session
        self.team = repo.team
        self.window = window

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
        any_term: bool = False,
    ) -> list[tuple[Incident, Retrospective | None]]:
        """Incidents matching every term (any one, with ``any_term``: ranked, those with more of them
        first) and every filter, best first. ``since``/``before`` are the query's
        dates as instants in the team's time zone. A query with neither terms nor filters finds nothing.

        Ranking a match costs the database a look at its words, so only the newest ``window``
        matches are ranked: a search stays as fast at 100,000 incidents as at 1,000, and a word so
        common that it matches more than that is ranked among its recent matches (narrower words
        reach older ones)."""
        if query.empty or limit <= 0:
            return []
        retro_join = and_(
            col(Retrospective.incident_id) == col(Incident.id), col(Retrospective.team_id) == self.team
        )
        stmt = select(Incident, Retrospective).outerjoin(Retrospective, retro_join)
        if query.terms and any_term:
            query = self._telling(query)
        if query.terms:
            # Rank the window on its own narrow rows, then read only the page's incidents.
            window = self._window(query, since, before, any_term)
            ranked = select(window).order_by(*self._best_first(window)).limit(limit).offset(max(offset, 0))
            page = ranked.subquery("page")
            stmt = stmt.join(page, page.c.id == col(Incident.id)).order_by(*self._best_first(page))
        else:
            stmt = self._filters(stmt.where(col(Incident.team_id) == self.team), query, since, before)
            stmt = stmt.order_by(col(Incident.created_at).desc(), col(Incident.id).desc())
            stmt = stmt.limit(limit).offset(max(offset, 0))
        return [(incident, retro) for incident, retro in self.session.exec(stmt)]

    @staticmethod
    def _best_first(ranked: Any) -> list[Any]:
        return [ranked.c.score, ranked.c.created_at.desc(), ranked.c.id.desc()]

    def _window(
        self, query: SearchQuery, since: datetime | None, before: datetime | None, any_term: bool
    ) -> Any:
        """The newest ``window`` matches of the terms and filters, with their scores (lower is better),
        walked newest first through the full-text index so the walk stops at the window."""
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        if sqlite:
            fts = table(FTS_TABLE, column("rowid"))
            match_id = fts.c.rowid
            matches = text(f"{FTS_TABLE} MATCH :match").bindparams(match=fts5_match(query, any_term=any_term))
            score = literal_column(f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)")
            source: Any = fts
        else:
            words = func.to_tsquery("simple", tsquery(query, any_term=any_term))
            tsv = literal_column(f"incident_search.{TSV_COLUMN}")
            match_id = col(IncidentSearch.incident_id)
            matches = tsv.op("@@")(words)
            score = -func.ts_rank(tsv, words)
            source = IncidentSearch
        stmt = (
            select(match_id.label("id"), score.label("score"), col(Incident.created_at))
            .select_from(source)
            .join(Incident, col(Incident.id) == match_id)
            .where(matches, col(Incident.team_id) == self.team)
        )
        # SQLite walks its index by id, so id bounds skip to the dates; PostgreSQL reads every match
        # from its GIN index anyway, and the bounds' own queries would cost it more than they save.
        low, high = self._id_bounds(since, before) if sqlite else (None, None)
        if low is not None:
            stmt = stmt.where(match_id >= low)
        if high is not None:
            stmt = stmt.where(match_id <= high)
        stmt = self._filters(stmt, query, since, before)
        # PostgreSQL: newest first by an expression, not the primary key's order, so the planner
        # reads the matches from the GIN index instead of walking every incident in id order and
        # testing each (its estimate for a rare word's walk is far too hopeful).
        newest = match_id.desc() if sqlite else (match_id + 0).desc()
        return stmt.order_by(newest).limit(self.window).subquery("window")

    def _id_bounds(self, since: datetime | None, before: datetime | None) -> tuple[int | None, int | None]:
        """Ids that no incident of the date range lies outside (taken over all workspaces: looser, never
        wrong), so the index walk starts at the range instead of reading every newer match."""
        low = high = None
        if since is not None:
            first = select(func.min(Incident.id)).where(col(Incident.created_at) >= since)
            low = self.session.exec(first).one()
            if low is None:
                return None, NO_ID  # nothing that recent
        if before is not None:
            last = select(func.max(Incident.id)).where(col(Incident.created_at) < before)
            high = self.session.exec(last).one()
            if high is None:
                return None, NO_ID  # nothing that old
        return low, high

    def counts(self, expressions: Sequence[str], cap: int, *, everywhere: bool = False) -> dict[int, int]:
        """How many of this workspace's incidents match each expression (an FTS5 MATCH string on
        SQLite, to_tsquery text on PostgreSQL; by place in the list), counted up to ``cap``: what
        an expression costs to rank, and how much it tells. ``everywhere`` counts over every
        workspace: ten times cheaper on SQLite (no row is read), for choosing between words that
        are common here already."""
        if not expressions:
            return {}
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        if sqlite and everywhere:
            one = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :e{{n}} LIMIT :cap"
        elif sqlite:
            # CROSS JOIN keeps the index walk outside: led by incident_search's team index, SQLite
            # would ask FTS5 once per incident of the workspace.
            one = (
                f"SELECT {FTS_TABLE}.rowid FROM {FTS_TABLE} CROSS JOIN incident_search s"
                f" ON s.incident_id = {FTS_TABLE}.rowid"
                f" WHERE {FTS_TABLE} MATCH :e{{n}} AND s.team_id = :team LIMIT :cap"
            )
        else:
            team = "" if everywhere else " AND team_id = :team"
            one = (
                f"SELECT 1 FROM incident_search WHERE {TSV_COLUMN} @@ to_tsquery('simple', :e{{n}})"
                f"{team} LIMIT :cap"
            )
        union = " UNION ALL ".join(
            f"SELECT {n} AS n, (SELECT count(*) FROM ({one.format(n=n)}) AS c{n}) AS df"
            for n in range(len(expressions))
        )
        values = {f"e{n}": e for n, e in enumerate(expressions)}
        rows = self.session.execute(text(union), {**values, "team": self.team, "cap": cap})
        return {int(n): int(df) for n, df in rows}

    def _telling(self, query: SearchQuery) -> SearchQuery:
        """For "any of the words": the terms that do not fill the ranking window on their own (a word
        in thousands of incidents would crowd out those holding more of the words), the rarest always."""
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        single = [SearchQuery((term,), query.filters) for term in query.terms]
        found = self.counts([fts5_match(q) if sqlite else tsquery(q) for q in single], self.window)
        order = sorted(range(len(single)), key=lambda n: found.get(n, 0))
        kept = [n for n in order if found.get(n, 0) < self.window] or order[:1]
        return replace(query, terms=tuple(query.terms[n] for n in sorted(kept)))

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
