"""What the use cases need from outside: a chat to draw in, a scheduler, a clock.

The Slack adapter (bot/slack/messenger.py) and the APScheduler adapter (bot/scheduling) implement
these; the use cases never import Slack, APScheduler or Block Kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.drafting.models import Draft, DraftRequest
from bot.snapshot import NoticeView, Snapshot

Clock = Callable[[], datetime]

# The parts of an incident shown in the chat, in the order they first appear in its thread.
HEADER, ASSESSMENT, DEPARTMENTS, DECISION, DRAFT, RETRO, REMINDER, SUMMARY = (
    "header",
    "assessment",
    "departments",
    "decision",
    "draft",
    "retro",
    "reminder",
    "summary",
)

# Similar past mistakes, posted before the decision prompt when there are any (bot.usecases.similar).
PRECEDENTS = "precedents"

NOTICE = "notice:"  # + department: the Marker part of a department's notice


class UserError(Exception):
    """Something the person asked for that cannot happen; the message tells them why."""


class Undelivered(Exception):
    """The chat refused a call. ``code`` is its error code (never its raw text, which may hold URLs);
    ``uncertain`` means it may have been done anyway (a 5xx, a broken connection); ``transient``
    that it may work if tried later (those, and a rate limit)."""

    def __init__(self, code: str, *, uncertain: bool = False, transient: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.uncertain = uncertain
        self.transient = transient or uncertain


@dataclass(frozen=True)
class PostRef:
    channel: str
    ts: str


@dataclass(frozen=True)
class Marker:
    """Carried by every post (Slack message metadata), so a post whose outcome was lost can be found
    again instead of made twice."""

    incident: int
    part: str


class Messenger(Protocol):
    def show(self, kind: str, snap: Snapshot, existing: PostRef | None) -> PostRef:
        """Post a part of the incident (marked with its Marker), or edit it in place."""
        ...

    def notify(self, channel: str, snap: Snapshot, notice: NoticeView, link: str) -> PostRef: ...

    def find(self, channel: str, thread_ts: str | None, marker: Marker) -> PostRef | None:
        """A message this bot posted with ``marker``: in the thread ``thread_ts``, or in the channel."""
        ...

    def permalink(self, channel: str, ts: str) -> str: ...

    def tell(self, channel: str, user: str, text: str) -> None:
        """A note only ``user`` sees; falls back to a direct message."""
        ...

    def say(self, channel: str, text: str, thread_ts: str | None = None) -> None:
        """A plain message (a warning in the thread, a direct message to a person)."""
        ...

    def send(self, channel: str, view: object, marker: Marker, thread_ts: str | None = None) -> PostRef:
        """Post a view model (a weekly summary, a reminder to a person…) drawn by the chat's own views;
        ``channel`` may be a user id, for a direct message."""
        ...

    def edit(self, ref: PostRef, view: object, marker: Marker) -> None:
        """Draw ``view`` over a message posted with send()."""
        ...


class Drafter(Protocol):
    """Writes the apology for a decision (a template, or a chat model with the template as fallback)."""

    def invoke(self, request: DraftRequest) -> Draft: ...


class RetroScheduler(Protocol):
    def schedule(self, incident_id: int, when: datetime) -> None: ...

    def cancel(self, incident_id: int) -> None: ...

    def scheduled(self, incident_id: int) -> datetime | None: ...


class Workspaces(Protocol):
    """A messenger for a workspace when no request brought one (a reminder job, recovery at start)."""

    def messenger_for(self, team: str) -> Messenger: ...
