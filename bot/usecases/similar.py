"""Similar past mistakes: what a new incident's team sees before deciding ("last time we learned…").

The database finds candidates sharing any informative word with the new incident (title and
details; bot.store.similar, ranked by bm25 / ts_rank), and each is scored here in [0, 1]: the
cosine overlap of the two titles' word keys, and of all their words (the past one's retrospective
included), plus a little for the same runbook. A word key is its English Snowball stem cut to six
letters, so `inviate` meets `inviato` and `customers` meets `customer`; very common English, Italian
and German words and bare numbers are left out, so "the" or "27,463" never make two mistakes alike.
Up to three at SIMILAR_MIN or more are kept, with the runbook's top checklist items.

They are chosen once, when the incident opens, and kept with it (table ``incident_precedents``), so every
redraw, resume and recovery shows the same list; ``similar_in`` is the pure part (no chat).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.snapshot import PrecedentView
from bot.store.checklists import ChecklistRows
from bot.store.repo import Repo
from bot.store.search_text import informative, stem, tokens
from bot.store.similar import SimilarRows
from bot.store.tables import Incident, Retrospective
from bot.usecases.checklists import merge
from bot.usecases.context import Env
from bot.usecases.history import hit

log = logging.getLogger(__name__)

SIMILAR_MIN = 0.3  # below this a past mistake is not shown: better nothing than a distraction
SHOWN = 3
LEARNED = 3  # checklist items shown beside them
LEARN_WINDOW = 300  # newest checklist rows merged for those: the cost stays flat as history grows
KEY_LEN = 6
TITLE_WEIGHT, TEXT_WEIGHT, RUNBOOK_BONUS = 0.5, 0.4, 0.1
VERSION = 1  # of the JSON kept in incident_precedents


def words_of(*texts: str) -> list[str]:
    """The index's lexemes for a text's informative words (its English stems), in order, once each:
    what the candidate query asks for."""
    return list(dict.fromkeys(stem(t) for text in texts for t in tokens(text) if informative(t)))


def keys(*texts: str) -> frozenset[str]:
    """The word keys similarity compares: stems cut to KEY_LEN letters."""
    return frozenset(stem(t)[:KEY_LEN] for text in texts for t in tokens(text) if informative(t))


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def similarity(
    title: frozenset[str],
    text: frozenset[str],
    past_title: frozenset[str],
    past_text: frozenset[str],
    same_runbook: bool,
) -> float:
    """In [0, 1]: the titles' overlap weighs most, then all the words'; the same runbook adds a little,
    but never makes two mistakes with no word in common alike."""
    words = TITLE_WEIGHT * cosine(title, past_title) + TEXT_WEIGHT * cosine(text, past_text)
    if words == 0:
        return 0.0
    return min(1.0, words + (RUNBOOK_BONUS if same_runbook else 0.0))


def _past_text(incident: Incident, retro: Retrospective | None) -> frozenset[str]:
    lessons = [retro.what_went_wrong, retro.root_cause, retro.what_we_change] if retro else []
    return keys(incident.title, incident.details, *lessons)


def _view(incident: Incident, retro: Retrospective | None, score: float) -> PrecedentView:
    """A search hit's facts (history.hit), and how it went."""
    return PrecedentView(
        **vars(hit(incident, retro)),
        apology_approved=incident.draft_approved,
        retro_held=retro is not None,
        score=round(score, 3),
    )


def similar_in(
    repo: Repo,
    title: str,
    details: str,
    runbook_id: str,
    *,
    exclude_id: int | None = None,
    limit: int = SHOWN,
    threshold: float = SIMILAR_MIN,
) -> list[PrecedentView]:
    """Up to ``limit`` past incidents of this workspace scoring ``threshold`` or more against a new
    one, most similar first (newest first among equals). Only the store and the scoring: no chat,
    no links (a benchmark calls it as it is)."""
    candidates = SimilarRows(repo).candidates(words_of(title, details), exclude_id=exclude_id)
    new_title, new_text = keys(title), keys(title, details)
    scored = []
    for incident, retro in candidates:
        score = similarity(
            new_title,
            new_text,
            keys(incident.title),
            _past_text(incident, retro),
            incident.runbook_id == runbook_id,
        )
        if score >= threshold:
            scored.append((score, incident, retro))
    scored.sort(key=lambda s: (s[0], s[1].created_at, s[1].id), reverse=True)
    return [_view(incident, retro, score) for score, incident, retro in scored[: max(limit, 0)]]


def learned_in(repo: Repo, runbook_id: str, threshold: int, *, limit: int = LEARNED) -> list[str]:
    """The runbook's top checklist items (merged and ranked as `/oops checklist` does, over the
    newest LEARN_WINDOW rows)."""
    items = merge(ChecklistRows(repo).active(runbook_id, limit=LEARN_WINDOW), threshold)
    return [item.text for item in items[:limit]]


def choose(env: Env, title: str, details: str, runbook_id: str) -> dict[str, Any]:
    """What a new incident will show, as kept in incident_precedents: the precedents (each with its
    thread's link: one permalink each, asked now and kept) and, when there are any, the checklist
    items. Read before the incident is written, so no write lock waits on the search or on Slack."""
    try:
        with env.read() as repo:
            found = similar_in(repo, title, details, runbook_id)
            learned = learned_in(repo, runbook_id, env.config.checklists.merge_threshold) if found else []
    except Exception:  # a mistake must be reportable even when looking back fails: show none
        log.exception("could not look for similar past mistakes; none will be shown")
        found, learned = [], []
    items = []
    for p in found:
        link = env.messenger.permalink(p.channel, p.header_ts) if p.channel and p.header_ts else ""
        items.append(_dump(p, link))
    return {"v": VERSION, "items": items, "learned": learned}


def _dump(p: PrecedentView, link: str) -> dict[str, Any]:
    return {
        "id": p.id,
        "ref": p.ref,
        "title": p.title,
        "date": p.date.isoformat(),
        "runbook": p.runbook,
        "scale": p.scale,
        "decision": p.decision,
        "status": p.status,
        "apology": p.apology_approved,
        "retro": p.retro_held,
        "lesson": p.lesson,
        "score": p.score,
        "link": link,
    }


def _load(item: Mapping[str, Any]) -> PrecedentView:
    return PrecedentView(
        id=int(item["id"]),
        ref=str(item["ref"]),
        title=str(item["title"]),
        date=datetime.fromisoformat(str(item["date"])),
        runbook=str(item.get("runbook", "")),
        scale=str(item.get("scale", "")),
        decision=None if item.get("decision") is None else str(item["decision"]),
        status=str(item.get("status", "")),
        apology_approved=bool(item.get("apology")),
        retro_held=bool(item.get("retro")),
        lesson=str(item.get("lesson", "")),
        score=float(item.get("score", 0.0)),
        link=str(item.get("link", "")),
    )


def shown(kept: Mapping[str, Any] | None) -> tuple[tuple[PrecedentView, ...], tuple[str, ...]]:
    """The precedents and checklist items kept with an incident, as views draw them. An entry that
    does not read (a hand-edited row) is left out rather than failing the whole thread."""
    if not kept or not isinstance(kept.get("items"), list):
        return (), ()
    views = []
    for item in kept["items"]:
        try:
            views.append(_load(item))
        except (KeyError, TypeError, ValueError):
            continue
    learned: Iterable[Any] = kept.get("learned") or () if views else ()
    return tuple(views), tuple(str(text) for text in learned)


__all__ = ["SIMILAR_MIN", "choose", "learned_in", "shown", "similar_in", "similarity"]
