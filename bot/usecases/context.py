"""What every use case runs in: the process's shared parts (Deps) and the request's workspace (Env).

A listener builds an Env from the request Bolt hands it (its team id and its client); a background
job builds one from the workspace's token. Use cases take an Env and nothing global.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config import AppConfig
from bot.drafting.summary import Summarizer
from bot.runbook.incident import Action, IncidentState, NotAllowed, Status, check, transition
from bot.runbook.model import Decision, Runbook
from bot.store.fleet import Fleet
from bot.store.repo import Repo, Store
from bot.store.tables import Incident, utcnow
from bot.usecases.ports import Clock, Drafter, Messenger, RetroScheduler, UserError, Workspaces

BOT_ACTOR = "oops"


class IncidentLocks:
    """One lock per incident around read-then-draw, so a slower redraw never paints an older state
    over a newer one. Held weakly: a lock nobody holds is forgotten, so memory stays flat."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[tuple[str, int], Any] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, team: str, incident_id: int) -> Iterator[None]:
        with self._guard:
            lock = self._locks.get((team, incident_id))
            if lock is None:
                lock = threading.RLock()
                self._locks[(team, incident_id)] = lock
        with lock:
            yield

    def __len__(self) -> int:
        return len(self._locks)


class Links:
    """Thread links already asked of Slack, per workspace, channel and message: a permalink never
    changes, and the Home tab and every search page would otherwise ask again for each incident.
    Bounded, the oldest forgotten first, so memory stays flat however long the history."""

    def __init__(self, size: int = 5000) -> None:
        self._links: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._guard = threading.Lock()
        self._size = size

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._guard:
            link = self._links.get(key)
            if link is not None:
                self._links.move_to_end(key)
            return link

    def put(self, key: tuple[str, str, str], link: str) -> None:
        with self._guard:
            self._links[key] = link
            self._links.move_to_end(key)
            while len(self._links) > self._size:
                self._links.popitem(last=False)


@dataclass
class Deps:
    config: AppConfig
    runbooks: Mapping[str, Runbook]
    store: Store
    fleet: Fleet
    drafter: Drafter
    scheduler: RetroScheduler
    workspaces: Workspaces
    clock: Clock = utcnow
    locks: IncidentLocks = field(default_factory=IncidentLocks)
    links: Links = field(default_factory=Links)
    # Writes the retrospective summary (bot.drafting.summary); None: the thread shows the answers as typed.
    summarizer: Summarizer | None = None

    def env(self, team: str, messenger: Messenger | None = None) -> Env:
        """The Env of a workspace: with the request's messenger, or one built from its token."""
        return Env(self, team, messenger or self.workspaces.messenger_for(team))


@dataclass(frozen=True)
class Env:
    deps: Deps
    team: str
    messenger: Messenger

    def read(self) -> AbstractContextManager[Repo]:
        return self.deps.store.read(self.team)

    def transaction(self) -> AbstractContextManager[Repo]:
        return self.deps.store.transaction(self.team)

    def lock(self, incident_id: int) -> AbstractContextManager[None]:
        return self.deps.locks.hold(self.team, incident_id)

    def known_permalink(self, channel: str, ts: str) -> str:
        """A message's link if Slack gave it to this process already, else empty: never a call."""
        return self.deps.links.get((self.team, channel, ts)) or ""

    def permalink(self, channel: str, ts: str) -> str:
        """A message's link: asked of Slack once per process, empty when Slack gave none."""
        key = (self.team, channel, ts)
        link = self.deps.links.get(key)
        if link is None:
            link = self.messenger.permalink(channel, ts)
            if link:
                self.deps.links.put(key, link)
        return link

    @property
    def config(self) -> AppConfig:
        return self.deps.config

    @property
    def runbooks(self) -> Mapping[str, Runbook]:
        return self.deps.runbooks

    def now(self) -> datetime:
        return self.deps.clock()


def get(repo: Repo, incident_id: int, *, lock: bool = False) -> Incident:
    incident = repo.incident(incident_id, lock=lock)
    if incident is None:
        raise UserError(f"There is no incident OOPS-{incident_id}.")
    return incident


def state(incident: Incident) -> IncidentState:
    decision = Decision(incident.decision) if incident.decision else None
    return IncidentState(Status(incident.status), decision, incident.draft_approved)


def allow(incident: Incident, action: Action) -> None:
    """UserError saying why, when ``action`` does not fit the incident's state now."""
    try:
        check(state(incident), action, incident.ref)
    except NotAllowed as exc:
        raise UserError(str(exc)) from None


def advance(incident: Incident, action: Action, decision: Decision | None = None) -> IncidentState:
    allow(incident, action)
    return transition(state(incident), action, decision)


def current(created_at: Any, decided_at: Any) -> bool:
    """A draft belongs to the decision in force when it was written after that decision."""
    return created_at is not None and decided_at is not None and created_at >= decided_at
