"""Checklists that learn: the pre-flight checklist built from what past retrospectives taught.

Items that say the same thing in other words are merged into one (rapidfuzz's token set ratio over
text folded to lower case without accents or punctuation, at app.yaml's checklists.merge_threshold),
then ranked by how many distinct past incidents taught each (the mistakes it would have prevented),
then by how recently. A retired item (retired with who and when, all its wordings at once) is left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process

from bot.store.checklists import ChecklistRows
from bot.store.repo import Repo
from bot.store.tables import ChecklistItem
from bot.usecases.context import Env
from bot.usecases.ports import UserError

NOT_HERE = "That checklist item is not in this workspace's history."
QUERY_MAX = 150  # characters of words kept: a Retire button carries them to redraw the same checklist


@dataclass(frozen=True)
class Query:
    """Which checklist: of one runbook, of the items whose text has some words, or (neither) of all."""

    runbook: str | None = None
    words: str = ""

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(normalise(self.words).split())

    @property
    def text(self) -> str:
        """As typed after `/oops checklist`: enough to build the same checklist again after a click."""
        return self.runbook or self.words

    def describe(self) -> str:
        if self.runbook:
            return f"runbook {self.runbook}"
        if self.words:
            return f"items mentioning “{self.words}”"
        return "all runbooks"


@dataclass(frozen=True)
class Item:
    """One lesson: every item that says it, merged."""

    id: int  # the row shown (the newest of the most common wording): the Retire button names it
    text: str
    incidents: tuple[int, ...]  # distinct, most recent first
    runbooks: tuple[str, ...]
    rows: tuple[int, ...]
    wordings: tuple[str, ...]
    last_learnt: datetime

    @property
    def count(self) -> int:
        return len(self.incidents)

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(f"OOPS-{n}" for n in self.incidents)


@dataclass(frozen=True)
class Checklist:
    query: Query
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Retired:
    text: str
    refs: tuple[str, ...]
    rows: int  # retired by this call (0 when it already was)
    by: str
    at: datetime
    already: bool


def normalise(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed: `Perché?` and `perche` agree."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    return " ".join(letters.split())


def parse_query(text: str, runbook_ids: Iterable[str]) -> Query:
    """A runbook id (any case) picks that runbook; any other text is words to look for."""
    text = " ".join((text or "").split())
    if not text:
        return Query()
    by_lower = {rid.lower(): rid for rid in runbook_ids}
    if text.lower() in by_lower:
        return Query(runbook=by_lower[text.lower()])
    return Query(words=text[:QUERY_MAX])


@dataclass
class _Group:
    rows: list[ChecklistItem]

    @property
    def incidents(self) -> set[int]:
        return {row.incident_id for row in self.rows}

    @property
    def newest(self) -> ChecklistItem:
        return max(self.rows, key=_recency)


def _recency(row: ChecklistItem) -> tuple[datetime, int]:
    assert row.created_at is not None and row.id is not None
    return row.created_at, row.id


def _rank(group: _Group) -> tuple[int, datetime, int]:
    return (len(group.incidents), *_recency(group.newest))


def merge(rows: Sequence[ChecklistItem], threshold: int) -> list[Item]:
    """Merge items that say the same thing; the most taught first, then the most recent.

    Identical wordings (after ``normalise``) group at once; then each wording, the most taught first,
    joins the first group whose leading wording scores ``threshold`` or more against it, or starts one.
    Comparing with a group's leading wording only (not with every member) keeps a chain of small
    differences from merging lessons that do not say the same thing.
    """
    exact: dict[str, _Group] = {}
    for row in rows:
        key = normalise(row.text) or row.text.strip()
        exact.setdefault(key, _Group([])).rows.append(row)
    leads: list[str] = []
    clusters: list[list[_Group]] = []
    for key, group in sorted(exact.items(), key=lambda kv: _rank(kv[1]), reverse=True):
        found = process.extractOne(key, leads, scorer=fuzz.token_set_ratio, score_cutoff=threshold)
        if found is None:
            leads.append(key)
            clusters.append([group])
        else:
            clusters[found[2]].append(group)
    items = [_item(cluster) for cluster in clusters]
    items.sort(key=lambda item: (item.count, item.last_learnt, item.id), reverse=True)
    return items


def _item(cluster: list[_Group]) -> Item:
    lead = cluster[0].newest
    rows = sorted((row for group in cluster for row in group.rows), key=_recency, reverse=True)
    incidents = tuple(dict.fromkeys(row.incident_id for row in rows))
    assert lead.id is not None and rows[0].created_at is not None
    return Item(
        id=lead.id,
        text=lead.text,
        incidents=incidents,
        runbooks=tuple(sorted({row.runbook_id for row in rows})),
        rows=tuple(row.id for row in rows if row.id is not None),
        wordings=tuple(group.newest.text for group in cluster),
        last_learnt=rows[0].created_at,
    )


def _mentions(item: Item, terms: tuple[str, ...]) -> bool:
    """Every word appears in one of the item's wordings (a word's start is enough: `automation`
    finds `automations`)."""
    return any(all(term in normalise(wording) for term in terms) for wording in item.wordings)


def checklist_of(repo: Repo, query: Query, threshold: int) -> Checklist:
    """The checklist from this workspace's history (for the CLI, which has no Slack request)."""
    items = merge(ChecklistRows(repo).active(query.runbook), threshold)
    if query.words:
        terms = query.terms
        items = [item for item in items if terms and _mentions(item, terms)]
    return Checklist(query, tuple(items))


def build(env: Env, query: Query) -> Checklist:
    with env.read() as repo:
        return checklist_of(repo, query, env.config.checklists.merge_threshold)


def retire(env: Env, item_id: int, query: Query, user: str, key: str) -> Retired:
    """Retire the item shown as ``item_id`` with every wording merged into it (as built for ``query``),
    so none of them is offered again. Another workspace's id finds nothing."""
    # The merge runs before the write transaction, so no write lock is held while it compares texts.
    with env.read() as repo:
        rows = ChecklistRows(repo)
        if rows.item(item_id) is None:
            raise UserError(NOT_HERE)
        merged = merge(rows.active(query.runbook), env.config.checklists.merge_threshold)
    item = next((found for found in merged if item_id in found.rows), None)
    with env.transaction() as repo:
        rows = ChecklistRows(repo)
        row = rows.item(item_id)
        if row is None:
            raise UserError(NOT_HERE)
        if row.retired_at is not None or not repo.claim(key):
            return Retired(row.text, (), 0, row.retired_by or "", row.retired_at or env.now(), already=True)
        now = env.now()
        count = rows.retire({item_id, *(item.rows if item else ())}, user, now)
        refs = item.refs if item else (f"OOPS-{row.incident_id}",)
        return Retired(item.text if item else row.text, refs, count, user, now, already=False)
