"""The mistake history as tables: incidents, what was decided and by whom, drafts, retrospectives.

Times are stored as naive UTC and handed back as aware UTC (``UTCDateTime``), so SQLite and
PostgreSQL behave alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Index, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _when(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Incident(SQLModel, table=True):
    # What the scheduler and recovery look for across the history: cost must not grow with it.
    __table_args__ = (
        Index("ix_incident_team_status", "team_id", "status"),
        # History pages newest first, and the Home tab's last mistakes, without sorting the history.
        Index("ix_incident_team_created", "team_id", "created_at"),
        # The weekly summary's decisions of a week.
        Index("ix_incident_team_decided", "team_id", "decided_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # The Slack workspace (team id) the row belongs to: every query filters by it.
    team_id: str = Field(max_length=32)
    # The Slack view that reported it: a re-delivered submission finds the incident it already made.
    source_key: str | None = Field(default=None, max_length=120, unique=True)
    runbook_id: str = Field(max_length=80, index=True)
    title: str = Field(max_length=150)
    details: str = Field(default="", max_length=3000)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reporter: str = Field(max_length=40)
    channel: str = Field(max_length=80)
    header_ts: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=20, index=True)
    scale: str = Field(max_length=40)
    scale_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recommendation: str = Field(max_length=20)
    recommendation_reason: str = Field(default="", max_length=1000)
    decision: str | None = Field(default=None, max_length=20)
    decided_by: str | None = Field(default=None, max_length=40)
    decision_note: str = Field(default="", max_length=3000)
    decided_at: datetime | None = _when()
    # What the apology may say, given with the decision.
    what_was_fixed: str = Field(default="", max_length=1000)
    customer_action: str = Field(default="", max_length=1000)
    offer: str = Field(default="", max_length=300)
    draft_approved: bool = False
    retro_at: datetime | None = _when()
    reminded_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    created_at: datetime | None = _when(nullable=False, index=True)
    updated_at: datetime | None = _when(nullable=False)

    @property
    def ref(self) -> str:
        return f"OOPS-{self.id}"


class Post(SQLModel, table=True):
    """Where the bot put each of an incident's messages, so it can edit them in place later."""

    __table_args__ = (UniqueConstraint("incident_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    kind: str = Field(max_length=40)
    channel: str = Field(max_length=80)
    # None: the post was about to be made when we last knew (see usecases.thread): look before re-posting.
    ts: str | None = Field(default=None, max_length=40)


class Notice(SQLModel, table=True):
    """A department told about an incident: which, where, why and by whom."""

    __table_args__ = (UniqueConstraint("incident_id", "department"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    department: str = Field(max_length=40)
    channel: str = Field(max_length=80)
    # ts set: delivered. ts None and error set: Slack refused (its error code). Both None: being posted.
    ts: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=60)
    reason: str = Field(default="", max_length=1000)
    notified_by: str = Field(max_length=40)
    created_at: datetime | None = _when(nullable=False)


class Draft(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("incident_id", "version"),
        Index("ix_draft_team_approved", "team_id", "approved_at"),  # the weekly summary's apologies
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    version: int
    subject: str = Field(max_length=150)
    body: str = Field(max_length=3000)
    author: str = Field(max_length=40)
    source: str = Field(max_length=40)
    approved_by: str | None = Field(default=None, max_length=40)
    approved_at: datetime | None = _when()
    created_at: datetime | None = _when(nullable=False)


class DraftApproval(SQLModel, table=True):
    """One person's approval of one version of the apology: ``approvals.required`` different people
    make the draft approved; an edit is a new version and is approved afresh."""

    __tablename__ = "draft_approval"
    __table_args__ = (UniqueConstraint("incident_id", "draft_version", "user"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id")
    draft_version: int
    user: str = Field(max_length=40)
    at: datetime | None = _when(nullable=False)


class Retrospective(SQLModel, table=True):
    # The weekly summary counts retrospectives held in a week without reading the history.
    __table_args__ = (Index("ix_retrospective_team_created", "team_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    what_went_wrong: str = Field(max_length=3000)
    # A category id from the runbook's causes (process, communication…); empty before they existed.
    cause: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": text("''")})
    root_cause: str = Field(max_length=3000)
    what_we_change: str = Field(max_length=3000)
    submitted_by: str = Field(max_length=40)
    created_at: datetime | None = _when(nullable=False)
    # The summary posted in the thread (the template's, or a chat model's): kept, so a redraw shows
    # the same words. Empty before it existed; the thread then shows the answers as they were typed.
    summary: str = Field(default="", max_length=3000, sa_column_kwargs={"server_default": text("''")})


class ChecklistItem(SQLModel, table=True):
    """A lesson from a retrospective, offered again the next time the same runbook runs."""

    __table_args__ = (
        Index("ix_checklistitem_team_runbook", "team_id", "runbook_id", "id"),
        Index("ix_checklistitem_team_id", "team_id", "id"),  # every runbook's newest items
        Index("ix_checklistitem_team_created", "team_id", "created_at"),  # new this week
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    runbook_id: str = Field(max_length=80, index=True)
    text: str = Field(max_length=300)
    # Who added it: the retrospective's submitter.
    created_by: str = Field(default="", max_length=40)
    created_at: datetime | None = _when(nullable=False)
    # A retired item is no longer offered; the row stays, so the history says who retired it and when.
    retired_at: datetime | None = _when()
    retired_by: str | None = Field(default=None, max_length=40)


class DecisionLog(SQLModel, table=True):
    """One row per step outcome: the record a retrospective or an auditor reads."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    step: str = Field(max_length=30)
    choice: str = Field(max_length=200)
    actor: str = Field(max_length=40)
    note: str = Field(default="", max_length=3000)
    at: datetime | None = _when(nullable=False)


class Delivery(SQLModel, table=True):
    """Slack deliveries already handled: a re-delivered click or submission is ignored."""

    key: str = Field(primary_key=True, max_length=200)
    seen_at: datetime | None = _when(nullable=False)


class IncidentSearch(SQLModel, table=True):
    """An incident's words for history search (bot.store.search_text.document): its title, and its
    details, runbook and retrospective's lessons. Migration 0004 adds the database's own index over
    them (SQLite FTS5 kept in step by triggers; PostgreSQL a weighted tsvector column, GIN index)."""

    __tablename__ = "incident_search"
    incident_id: int = Field(
        foreign_key="incident.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    team_id: str = Field(max_length=32, index=True)
    title_text: str = Field(default="")  # weighs more in the ranking than the rest
    search_text: str = Field(default="")


class IncidentPrecedents(SQLModel, table=True):
    """The similar past mistakes an incident showed when it opened (bot.usecases.similar), chosen once
    and kept, so a redraw, a resume or a recovery shows the same list. No row: it opened before they
    were chosen, and none is shown. A table of its own, so the incident row stays as it was."""

    __tablename__ = "incident_precedents"
    incident_id: int = Field(
        foreign_key="incident.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    team_id: str = Field(max_length=32)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ActionItem(SQLModel, table=True):
    """Something a retrospective decided to do, with an owner and a due date, until it is done."""

    __tablename__ = "action_item"
    __table_args__ = (
        Index("ix_action_item_team_due", "team_id", "done_at", "due"),  # open ones by due date
        Index("ix_action_item_team_done", "team_id", "done_at"),  # done in a week
        Index("ix_action_item_team_owner", "team_id", "owner"),
        Index("ix_action_item_team_next_remind", "team_id", "next_remind_on"),  # the minute sweep's read
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    text: str = Field(max_length=300)
    owner: str = Field(max_length=40)  # a Slack user id
    due: date = Field(sa_column=Column(Date(), nullable=False))
    created_by: str = Field(default="", max_length=40)
    created_at: datetime | None = _when(nullable=False)
    done_at: datetime | None = _when()
    done_by: str | None = Field(default=None, max_length=40)
    # Snoozed: not reminded again before this day.
    snoozed_until: date | None = Field(default=None, sa_column=Column(Date(), nullable=True))
    # The last day its owner was sent a reminder (the due day, then once a week while overdue).
    reminded_on: date | None = Field(default=None, sa_column=Column(Date(), nullable=True))
    # The day its owner is next reminded (due, a week after a reminder, or the snooze); NULL once done.
    # Kept in step by bot.store.actions, so the sweep reads only what is due.
    next_remind_on: date | None = Field(default=None, sa_column=Column(Date(), nullable=True))


class IncidentWatch(SQLModel, table=True):
    """Watching after the apology: when to ask for the figures since, and what the team recorded."""

    __tablename__ = "incident_watch"
    __table_args__ = (
        Index("ix_incident_watch_team_due", "team_id", "asked_at", "due_at"),
        Index("ix_incident_watch_team_recorded", "team_id", "recorded_at"),  # the weekly summary's figures
    )
    incident_id: int = Field(
        foreign_key="incident.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    team_id: str = Field(max_length=32)
    due_at: datetime | None = _when(nullable=False)
    asked_at: datetime | None = _when()
    complaints: int | None = None
    unsubscribes: int | None = None
    replies: int | None = None
    recorded_by: str | None = Field(default=None, max_length=40)
    recorded_at: datetime | None = _when()


class JobRun(SQLModel, table=True):
    """One row per run of a scheduled thing (a reminder, a weekly summary…), written before it posts
    under a key naming the job and its subject: a double start, a takeover or a retry finds the row
    and does not post again. ``ref`` is where it posted; empty while it is being posted."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("team_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=200)
    started_at: datetime | None = _when(nullable=False)
    finished_at: datetime | None = _when()
    ref: str = Field(default="", max_length=120)
