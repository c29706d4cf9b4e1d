"""Candidates for "similar past mistakes": incidents sharing any of a new incident's words, best first.

Where history search (bot.store.search) asks for every word, this asks for any of them: the new
incident's informative words (see bot.usecases.similar) joined by OR, ranked by the database
(bm25 on SQLite FTS5, ts_rank on PostgreSQL), so the use case re-scores a short list rather than
the whole history. The words reach the database only inside one bound parameter, each one quoted
as a plain string (FTS5) or lexeme (tsquery), never as syntax. Every query carries the workspace.
The list chosen is kept in its own table (``incident_precedents``), read back for every redraw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, column, table, text
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.search import FTS_TABLE, TITLE_WEIGHT, TSV_COLUMN
from bot.store.tables import Incident, IncidentPrecedents, IncidentSearch, Retrospective

CANDIDATES = 20  # re-scored by the use case: enough for recall, few enough to stay cheap
WORDS_MAX = 32  # words asked for: the title's come first, so a long paste keeps what matters


def _fts(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def any_of_fts5(words: Sequence[str]) -> str:
    """An FTS5 MATCH expression: each word a quoted string, joined by OR."""
    return " OR ".join(_fts(w) for w in words[:WORDS_MAX] if w)


def any_of_tsquery(words: Sequence[str]) -> str:
    """to_tsquery('simple', …) text: each word a quoted lexeme, joined by |."""
    return " | ".join(_lexeme(w) for w in words[:WORDS_MAX] if w)


class SimilarRows:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def keep(self, incident_id: int, body: dict[str, Any]) -> None:
        """Keep what an incident shows as its precedents (once: a second call changes nothing)."""
        if self.session.get(IncidentPrecedents, incident_id) is None:
            self.session.add(IncidentPrecedents(incident_id=incident_id, team_id=self.team, body=body))

    def kept(self, incident_id: int) -> dict[str, Any] | None:
        """What an incident of this workspace was given to show; None when it opened before that."""
        row = self.session.get(IncidentPrecedents, incident_id)
        return row.body if row is not None and row.team_id == self.team else None

    def candidates(
        self, words: Sequence[str], *, exclude_id: int | None = None, limit: int = CANDIDATES
    ) -> list[tuple[Incident, Retrospective | None]]:
        """This workspace's incidents holding any of ``words`` (already folded and stemmed as the
        index is), best ranked first, newest first among equals; ``exclude_id`` is never one."""
        words = [w for w in dict.fromkeys(words) if w]
        if not words or limit <= 0:
            return []
        retro_join = and_(
            col(Retrospective.incident_id) == col(Incident.id), col(Retrospective.team_id) == self.team
        )
        stmt: Any = (
            select(Incident, Retrospective)
            .join(IncidentSearch, col(IncidentSearch.incident_id) == col(Incident.id))
            .outerjoin(Retrospective, retro_join)
            .where(col(Incident.team_id) == self.team, col(IncidentSearch.team_id) == self.team)
        )
        if exclude_id is not None:
            stmt = stmt.where(col(Incident.id) != exclude_id)
        if self.session.get_bind().dialect.name == "sqlite":
            fts = table(FTS_TABLE, column("rowid"))
            stmt = stmt.join(fts, fts.c.rowid == col(IncidentSearch.incident_id)).where(
                text(f"{FTS_TABLE} MATCH :match").bindparams(match=any_of_fts5(words))
            )
            rank: Any = text(f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0)")
        else:
            query = any_of_tsquery(words)
            stmt = stmt.where(
                text(f"incident_search.{TSV_COLUMN} @@ to_tsquery('simple', :tsq)").bindparams(tsq=query)
            )
            rank = text(f"ts_rank(incident_search.{TSV_COLUMN}, to_tsquery('simple', :tsr)) DESC").bindparams(
                tsr=query
            )
        stmt = stmt.order_by(rank, col(Incident.created_at).desc(), col(Incident.id).desc()).limit(limit)
        return [(incident, retro) for incident, retro in self.session.exec(stmt)]
