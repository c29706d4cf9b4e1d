"""What the App Home tab shows a person about their workspace, and the search modal's pages.

The home is the team's dashboard: open incidents with the step each waits on, the retrospectives to
come, the last mistakes with their lessons, and the checklist past retrospectives taught. Each part is
capped (Slack draws at most 100 blocks in a home view); the totals let the view say "and N more".
Everything is read in the workspace of the request (a Repo scoped to its team id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.runbook.followup import overdue_since
from bot.runbook.incident import Status
from bot.store.home import HomeRows
from bot.store.tables import Incident
from bot.usecases import checklists, history
from bot.usecases.checklists import Item
from bot.usecases.context import Env
from bot.usecases.history import Hit, Results

OPEN_SHOWN = 10
RETROS_SHOWN = 5
RECENT_SHOWN = 10
CHECKLIST_SHOWN = 5
# Statuses whose retrospective has a time: scheduled, or due (the reminder has fired).
RETRO_SET = frozenset({Status.RETRO_SCHEDULED, Status.RETRO_DUE})


@dataclass(frozen=True)
class Waiting:
    """An open incident and what it waits on."""

    hit: Hit
    status: Status
    retro_at: datetime | None
    reporter: str
    overdue_since: datetime | None = None  # reminded and not held in time (bot.runbook.followup)


@dataclass(frozen=True)
class Home:
    open: tuple[Waiting, ...]
    open_total: int
    retros: tuple[Waiting, ...]
    retros_total: int
    recent: tuple[Hit, ...]  # the newest first
    checklist: tuple[Item, ...]
    checklist_total: int
    links: Mapping[int, str]  # incident id -> its thread's permalink, when Slack gave one

    @property
    def new(self) -> bool:
        """A workspace with no incident yet: the home explains how to start instead."""
        return not self.recent and not self.open


def _waiting(incident: Incident, now: datetime, hours: float) -> Waiting:
    status = Status(incident.status)
    overdue = overdue_since(status, incident.reminded_at, now, hours)
    return Waiting(history.hit(incident, None), status, incident.retro_at, incident.reporter, overdue)


def thread_links(env: Env, hits: Iterable[Hit], *, known_only: bool = False) -> dict[int, str]:
    """The permalink of each hit's header message (Env.permalink asks Slack once per process). With
    ``known_only``, only links already asked for: an answer inside Slack's 3-second acknowledgement
    cannot wait on Slack (a link is a convenience, the answer is not)."""
    links: dict[int, str] = {}
    for hit in hits:
        if hit.id in links or not (hit.channel and hit.header_ts):
            continue
        link = (
            env.known_permalink(hit.channel, hit.header_ts)
            if known_only
            else env.permalink(hit.channel, hit.header_ts)
        )
        if link:
            links[hit.id] = link
    return links


def build(env: Env) -> Home:
    threshold = env.config.checklists.merge_threshold
    now, hours = env.now(), env.config.retrospective.remind_again_after_hours
    with env.read() as repo:
        rows = HomeRows(repo)
        open_ = tuple(_waiting(i, now, hours) for i in rows.open_incidents(limit=OPEN_SHOWN))
        open_total = rows.count_open() if len(open_) == OPEN_SHOWN else len(open_)
        retros = tuple(_waiting(i, now, hours) for i in rows.retrospectives(RETRO_SET, limit=RETROS_SHOWN))
        retros_total = rows.count_retrospectives(RETRO_SET) if len(retros) == RETROS_SHOWN else len(retros)
        recent = tuple(history.hit(i, r) for i, r in rows.recent(limit=RECENT_SHOWN))
        items = checklists.checklist_of(repo, checklists.Query(), threshold).items
    shown = [w.hit for w in open_] + [w.hit for w in retros] + list(recent)
    return Home(
        open=open_,
        open_total=open_total,
        retros=retros,
        retros_total=retros_total,
        recent=recent,
        checklist=items[:CHECKLIST_SHOWN],
        checklist_total=len(items),
        links=thread_links(env, shown),
    )


def search(env: Env, text: str, page: int = 1, *, known_only: bool = False) -> tuple[Results, dict[int, str]]:
    """One page of the history search (the `/oops search` language) and its hits' thread links."""
    results = history.search(env, text, page)
    return results, thread_links(env, results.hits, known_only=known_only)
