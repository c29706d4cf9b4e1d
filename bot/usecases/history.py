"""Search the mistake history: past incidents by their words and lessons, with filters.

The query language is bot.store.search_query's; the ranking the database's (bot.store.search). A
query's dates are days in the team's time zone. A query with no words and no filters finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from bot.store.repo import Repo
from bot.store.search import SearchRows
from bot.store.search_query import SearchQuery, parse
from bot.store.tables import Incident, Retrospective
from bot.usecases.context import Env

PAGE_SIZE = 10
LIMIT_MAX = 100
LESSON_MAX = 150


@dataclass(frozen=True)
class Hit:
    id: int
    ref: str
    title: str
    date: datetime  # when it was reported (aware UTC)
    runbook: str
    scale: str
    decision: str | None
    status: str
    lesson: str  # the retrospective's first line of what changes; empty before a retrospective
    channel: str = ""  # where its thread is
    header_ts: str | None = None  # its header message, once posted (its thread's link)


@dataclass(frozen=True)
class Results:
    query: SearchQuery
    hits: tuple[Hit, ...]
    page: int
    more: bool  # another page follows
    partial: bool = False  # nothing had every word: these have some of them, most first


def lesson(retro: Retrospective | None) -> str:
    """One line of what the team changed (else the root cause), cut to fit a table cell."""
    if retro is None:
        return ""
    for text in (retro.what_we_change, retro.root_cause):
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        if line:
            return line if len(line) <= LESSON_MAX else line[: LESSON_MAX - 1] + "…"
    return ""


def hit(incident: Incident, retro: Retrospective | None) -> Hit:
    assert incident.id is not None and incident.created_at is not None
    return Hit(
        id=incident.id,
        ref=incident.ref,
        title=incident.title,
        date=incident.created_at,
        runbook=incident.runbook_id,
        scale=incident.scale,
        decision=incident.decision,
        status=incident.status,
        lesson=lesson(retro),
        channel=incident.channel,
        header_ts=incident.header_ts,
    )


EARLIEST, LATEST = date(1900, 1, 1), date(9000, 1, 1)  # a day's start in any zone stays a valid instant


def day_start(day: date | None, tz: tzinfo) -> datetime | None:
    """The instant a day begins in the team's zone. Days before 1900 or after 9000 mean the same as
    those (no incident is that old or new), and never an overflow in the zone's arithmetic."""
    if day is None:
        return None
    return datetime.combine(min(max(day, EARLIEST), LATEST), time(), tzinfo=tz)


def search_in(repo: Repo, text: str, tz: tzinfo, *, page: int = 1, limit: int = PAGE_SIZE) -> Results:
    """One page of hits, best first (page 1 is the first)."""
    query = parse(text)
    limit = max(1, min(limit, LIMIT_MAX))
    page = max(1, page)
    since = day_start(query.filters.since, tz)
    # before:2026-03-02 means reported before that day began
    before = day_start(query.filters.before, tz)
    rows = SearchRows(repo).search(
        query, limit=limit + 1, offset=(page - 1) * limit, since=since, before=before
    )
    partial = False
    if not rows and len(query.terms) > 1:
        # Nobody writes a mistake down twice in the same words: when no incident has them all, the
        # ones with most of them (bm25 ranks those first) beat an empty answer. Filters still hold.
        # A later page is in that mode when the first was, that is when nothing has every word.
        partial = page == 1 or not SearchRows(repo).search(query, limit=1, since=since, before=before)
        if partial:
            rows = SearchRows(repo).search(
                query, limit=limit + 1, offset=(page - 1) * limit, since=since, before=before, any_term=True
            )
    hits = tuple(hit(incident, retro) for incident, retro in rows[:limit])
    return Results(query, hits, page, len(rows) > limit, partial and bool(hits))


def search(env: Env, text: str, page: int = 1) -> Results:
    with env.read() as repo:
        return search_in(repo, text, env.config.team.tz, page=page)


__all__ = ["Hit", "Results", "search", "search_in"]
