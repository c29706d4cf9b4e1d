"""Candidates for "similar past mistakes": incidents sharing any of a new incident's words, best first.

Where history search (bot.store.search) asks for every word, this asks for any of them: the new
incident's informative words (see bot.usecases.similar) joined by OR, ranked by the database
(bm25 on SQLite FTS5, ts_rank on PostgreSQL), so the use case re-scores a short list rather than
the whole history. Ranking costs a step per matching incident, so a word found in thousands of the
workspace's incidents is left out (``telling``): the lookup's cost stays flat as the history grows.
The words reach the database only as bound parameters, each one quoted as a plain string (FTS5) or lexeme
(tsquery), never as syntax. Every query carries the workspace.
The list chosen is kept in its own table (``incident_precedents``), read back for every redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, column, table, text
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.search import FTS_TABLE, TITLE_WEIGHT, TSV_COLUMN, SearchRows
from bot.store.search_query import quote_fts, quote_ts
from bot.store.tables import Incident, IncidentPrecedents, Retrospective

CANDIDATES = 20  # re-scored by the use case: enough for recall, few enough to stay cheap
WORDS_MAX = 24  # words looked at: the title's come first, so a long paste keeps what matters
COUNT_CAP = 2000  # matches counted per word, at most
COMMON_CAP = 20_000  # when every word passes COUNT_CAP, counted this far to find the two rarest
RANK_BUDGET = 3000  # matches ranked, about: the cost of a lookup stays flat as the history grows


def any_of_fts5(words: Sequence[str], *, every: bool = False) -> str:
    """An FTS5 MATCH expression: each word a quoted string, joined by OR (AND with ``every``)."""
    return (" AND " if every else " OR ").join(quote_fts(w) for w in words[:WORDS_MAX] if w)


def any_of_tsquery(words: Sequence[str], *, every: bool = False) -> str:
    """to_tsquery('simple', …) text: each word a quoted lexeme, joined by | (& with ``every``)."""
    return (" & " if every else " | ").join(quote_ts(w) for w in words[:WORDS_MAX] if w)


class SimilarRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team
        self.rows = SearchRows(repo)

    def keep(self, incident_id: int, body: dict[str, Any]) -> None:
        """Keep what an incident shows as its precedents (once: a second call changes nothing)."""
        if self.session.get(IncidentPrecedents, incident_id) is None:
            self.session.add(IncidentPrecedents(incident_id=incident_id, team_id=self.team, body=body))

    def kept(self, incident_id: int) -> dict[str, Any] | None:
        """What an incident of this workspace was given to show; None when it opened before that."""
        row = self.session.get(IncidentPrecedents, incident_id)
        return row.body if row is not None and row.team_id == self.team else None

    def telling(self, words: list[str]) -> tuple[list[str], bool]:
        """The words worth asking for, and whether all of them are required: the rarest first, while
        the incidents they match stay within RANK_BUDGET (ranking costs a step per match, and a word
        in half the history says little), the rarest always; when even that one is common, the two
        rarest together. Counts stop at COUNT_CAP, so counting stays cheap too. Counted in this
        workspace only: another workspace's history never changes what this one is shown."""
        if len(words) <= 1:
            return words, False
        found = self._counts(words, COUNT_CAP)
        order = sorted(range(len(words)), key=lambda n: found.get(n, 0))
        if found.get(order[0], 0) >= COUNT_CAP:
            # Every word is common here: count further, once, to tell which two are the rarest (over
            # the whole index: cheap, and it only picks among words already common in this workspace).
            found = self._counts(words, COMMON_CAP, everywhere=True)
            order = sorted(range(len(words)), key=lambda n: found.get(n, 0))
            return [words[n] for n in sorted(order[:2])], True
        chosen, spent = [], 0
        for n in order:
            count = found.get(n, 0)
            if chosen and (count >= COUNT_CAP or spent + count > RANK_BUDGET):
                break
            chosen.append(n)
            spent += count
        return [words[n] for n in sorted(chosen)], False

    def _counts(self, words: list[str], cap: int, *, everywhere: bool = False) -> dict[int, int]:
        """How many incidents hold each word (by its place), up to ``cap``: of this workspace, or of
        every workspace (see SearchRows.counts)."""
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        quoted = [quote_fts(w) if sqlite else quote_ts(w) for w in words]
        return self.rows.counts(quoted, cap, everywhere=everywhere)

    def candidates(
        self, words: Sequence[str], *, exclude_id: int | None = None, limit: int = CANDIDATES
    ) -> list[tuple[Incident, Retrospective | None]]:
        """This workspace's incidents holding any of ``words`` (already folded and stemmed as the
        index is), best ranked first, newest first among equals; ``exclude_id`` is never one."""
        if limit <= 0:
            return []
        asked = [w for w in dict.fromkeys(words) if w][:WORDS_MAX]
        words, every = self.telling(asked)
        if not words:
            return []
        ids = self._ranked(words, asked if every else words, every, exclude_id, limit)
        if not ids:
            return []
        retro_join = and_(
            col(Retrospective.incident_id) == col(Incident.id), col(Retrospective.team_id) == self.team
        )
        stmt = (
            select(Incident, Retrospective)
            .outerjoin(Retrospective, retro_join)
            .where(col(Incident.team_id) == self.team, col(Incident.id).in_(ids))
        )
        rows = {incident.id: (incident, retro) for incident, retro in self.session.exec(stmt)}
        return [rows[i] for i in ids if i in rows]

    def _ranked(
        self, words: list[str], rank_by: list[str], every: bool, exclude_id: int | None, limit: int
    ) -> list[int]:
        """The best ranked ids, from the index alone (its own table, then the incidents: only those
        kept are read in full), newest first among equals. Incidents hold any of ``words`` (all, with
        ``every``) and are ranked by ``rank_by``: with the two rarest words required, the rest still
        decide which of the incidents holding them is most alike."""
        search = table("incident_search", column("incident_id"), column("team_id"))
        if self.session.get_bind().dialect.name == "sqlite":
            fts = table(FTS_TABLE, column("rowid"))
            match = any_of_fts5(words, every=every)
            if every and rank_by != words:  # bm25 weighs every phrase of the MATCH expression
                match = f"({match}) AND ({any_of_fts5(rank_by)})"
            stmt: Any = (
                select(search.c.incident_id)
                .select_from(fts.join(search, search.c.incident_id == fts.c.rowid))
                .where(text(f"{FTS_TABLE} MATCH :match").bindparams(match=match))
            )
            rank: Any = text(f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)")
        else:
            query = any_of_tsquery(words, every=every)
            stmt = select(search.c.incident_id).where(
                text(f"incident_search.{TSV_COLUMN} @@ to_tsquery('simple', :tsq)").bindparams(tsq=query)
            )
            rank = text(f"ts_rank(incident_search.{TSV_COLUMN}, to_tsquery('simple', :tsr)) DESC").bindparams(
                tsr=any_of_tsquery(rank_by)
            )
        stmt = stmt.where(search.c.team_id == self.team)
        if exclude_id is not None:
            stmt = stmt.where(search.c.incident_id != exclude_id)
        stmt = stmt.order_by(rank, search.c.incident_id.desc()).limit(limit)
        return [int(i) for i in self.session.execute(stmt).scalars()]
