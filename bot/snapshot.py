"""A read-only picture of one incident: everything a view needs to draw it, nothing it could change.

Views (Block Kit, terminal) render from this alone, so they never query the store or re-run rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.runbook.guardrails import Finding
from bot.runbook.incident import Status
from bot.runbook.model import Decision


@dataclass(frozen=True)
class NoticeView:
    department: str
    label: str
    channel: str
    reason: str
    notified_by: str
    delivered: bool
    # Slack's error code when the notice could not be posted (e.g. channel_not_found).
    error: str = ""


@dataclass(frozen=True)
class DraftView:
    version: int
    subject: str
    body: str
    author: str
    source: str
    approved_by: str | None
    approved_at: datetime | None
    # Written for the decision in force; an older decision's draft is never offered for approval.
    current: bool = True
    # The guardrails it breaks (bot.runbook.guardrails): while any, it cannot be approved.
    findings: tuple[Finding, ...] = ()
    # Who approved this version so far, and how many approvals it needs (app.yaml ``approvals:``).
    approvals: tuple[str, ...] = ()
    required: int = 1


@dataclass(frozen=True)
class RetroView:
    what_went_wrong: str
    root_cause: str
    what_we_change: str
    checklist: tuple[str, ...]
    submitted_by: str
    cause: str = ""  # a cause id of the runbook; empty when none was picked
    cause_label: str = ""
    summary: str = ""  # as posted (template or chat model); empty for retrospectives before it


@dataclass(frozen=True)
class ActionItemView:
    """One thing a retrospective decided to do: shown in the thread with its owner and due date."""

    id: int
    text: str
    owner: str
    due: date
    done_by: str | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class PrecedentView:
    """A similar past mistake shown when an incident opened: what was decided and how it went."""

    id: int
    ref: str
    title: str
    date: datetime  # when it was reported (aware UTC)
    runbook: str
    scale: str
    decision: str | None  # a Decision value; None when it was never decided
    status: str  # a Status value
    apology_approved: bool
    retro_held: bool
    lesson: str  # the retrospective's one line (bot.usecases.history.lesson); empty without one
    score: float = 0.0  # similarity in [0, 1]
    link: str = ""  # its thread (the header's permalink), when it has one
    channel: str = ""
    header_ts: str | None = None


@dataclass(frozen=True)
class Snapshot:
    id: int
    ref: str
    title: str
    details: str
    runbook_id: str
    runbook_name: str
    reporter: str
    channel: str
    header_ts: str | None
    status: Status
    scale: str
    scale_reasons: tuple[str, ...]
    answers: tuple[tuple[str, str], ...]
    recommendation: Decision
    recommendation_reason: str
    decision: Decision | None
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    can_change_decision: bool
    notices: tuple[NoticeView, ...]
    addable_departments: tuple[tuple[str, str], ...]
    draft: DraftView | None
    retro_at: datetime | None
    retro_default: datetime
    retro: RetroView | None
    lessons: tuple[str, ...]
    tz: ZoneInfo
    created_at: datetime
    closed_at: datetime | None
    offer: str = ""
    # Chosen once when it opened (bot.usecases.similar): similar past mistakes, and the top checklist
    # items of its runbook ("last time we learned…"). Both empty when nothing was similar enough.
    precedents: tuple[PrecedentView, ...] = ()
    learned: tuple[str, ...] = ()
    actions: tuple[ActionItemView, ...] = ()  # the retrospective's action items, in the order written
    # Reminded and not held in time (bot.runbook.followup.overdue_since): since when it is overdue.
    overdue_since: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.status is Status.CLOSED
