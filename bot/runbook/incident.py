"""The life of an incident as a pure state machine: which step comes next and what is allowed when.

Slack buttons outlive the state they were drawn for (a thread read an hour later, a second click),
so every action is checked here against the incident's current state, and the refusal says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.runbook.model import Decision


class Status(StrEnum):
    DECIDING = "deciding"
    DRAFTING = "drafting"
    SCHEDULING = "scheduling"
    RETRO_SCHEDULED = "retro_scheduled"
    RETRO_DUE = "retro_due"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.DECIDING: "Waiting for a decision",
    Status.DRAFTING: "Apology in draft",
    Status.SCHEDULING: "Retrospective to schedule",
    Status.RETRO_SCHEDULED: "Retrospective scheduled",
    Status.RETRO_DUE: "Retrospective due",
    Status.CLOSED: "Closed",
}


class Step(StrEnum):
    """The steps a decision-log row can belong to."""

    REPORT = "report"
    ASSESS = "assess"
    NOTIFY = "notify"
    DECIDE = "decide"
    DRAFT = "draft"
    APPROVE = "approve"
    RETRO_SCHEDULE = "retro_schedule"
    RETRO_REMIND = "retro_remind"
    RETRO = "retro"
    RETRO_SUMMARY = "retro_summary"  # who wrote the thread's summary: the template or a chat model
    ACTION = "action"  # an action item marked done or snoozed, and by whom


class Action(StrEnum):
    REASSESS = "reassess"
    ADD_DEPARTMENT = "add_department"
    DECIDE = "decide"
    CHANGE_DECISION = "change_decision"
    REGENERATE_DRAFT = "regenerate_draft"
    EDIT_DRAFT = "edit_draft"
    APPROVE_DRAFT = "approve_draft"
    SCHEDULE_RETRO = "schedule_retro"
    REMIND = "remind"
    SUBMIT_RETRO = "submit_retro"


OPEN = frozenset(Status) - {Status.CLOSED}
_RETRO_PENDING = frozenset({Status.SCHEDULING, Status.RETRO_SCHEDULED, Status.RETRO_DUE})

_ALLOWED: dict[Action, frozenset[Status]] = {
    Action.REASSESS: OPEN,
    Action.ADD_DEPARTMENT: OPEN,
    Action.DECIDE: frozenset({Status.DECIDING}),
    Action.CHANGE_DECISION: frozenset({Status.DRAFTING, Status.SCHEDULING}),
    Action.REGENERATE_DRAFT: frozenset({Status.DRAFTING}),
    Action.EDIT_DRAFT: frozenset({Status.DRAFTING}),
    Action.APPROVE_DRAFT: frozenset({Status.DRAFTING}),
    Action.SCHEDULE_RETRO: _RETRO_PENDING,
    Action.REMIND: frozenset({Status.RETRO_SCHEDULED}),
    # A team may hold the retrospective before the reminder fires.
    Action.SUBMIT_RETRO: frozenset({Status.RETRO_SCHEDULED, Status.RETRO_DUE}),
}


class NotAllowed(Exception):
    """An action that the incident's state refuses, with a sentence a person can act on."""


@dataclass(frozen=True)
class IncidentState:
    status: Status
    decision: Decision | None = None
    draft_approved: bool = False


def needs_apology(decision: Decision) -> bool:
    return decision in (Decision.correct, Decision.make_it_big)


def check(state: IncidentState, action: Action, ref: str = "This incident") -> None:
    """Raise NotAllowed with the reason when ``action`` does not fit ``state``."""
    if state.status is Status.CLOSED:
        raise NotAllowed(f"{ref} is closed, so nothing more can change. Its history stays on record.")
    if action is Action.CHANGE_DECISION and state.draft_approved:
        raise NotAllowed(f"The apology for {ref} is already approved, so the decision stands.")
    if state.status in _ALLOWED[action]:
        return
    raise NotAllowed(_refusal(state, action, ref))


def _refusal(state: IncidentState, action: Action, ref: str) -> str:
    if action is Action.DECIDE and state.decision is not None:
        return (
            f"{ref} is already decided: {state.decision.label}. "
            "Use *Change decision* in the thread if the team wants to revisit it."
        )
    if action in (Action.REGENERATE_DRAFT, Action.EDIT_DRAFT, Action.APPROVE_DRAFT):
        if state.draft_approved:
            return f"The apology for {ref} is already approved."
        return f"{ref} has no apology in draft right now ({state.status.label.lower()})."
    if action is Action.SCHEDULE_RETRO:
        return f"{ref} is not ready for its retrospective yet: {state.status.label.lower()}."
    if action is Action.SUBMIT_RETRO:
        return f"Schedule the retrospective of {ref} first."
    return f"{ref} cannot do that now: {state.status.label.lower()}."


def transition(state: IncidentState, action: Action, decision: Decision | None = None) -> IncidentState:
    """The state after ``action``; raises NotAllowed when the action does not fit."""
    check(state, action)
    if action is Action.DECIDE:
        if decision is None:
            raise ValueError("a decision is needed")
        status = Status.DRAFTING if needs_apology(decision) else Status.SCHEDULING
        return replace(state, status=status, decision=decision)
    if action is Action.CHANGE_DECISION:
        return replace(state, status=Status.DECIDING, decision=None)
    if action is Action.APPROVE_DRAFT:
        return replace(state, status=Status.SCHEDULING, draft_approved=True)
    if action is Action.SCHEDULE_RETRO:
        return replace(state, status=Status.RETRO_SCHEDULED)
    if action is Action.REMIND:
        return replace(state, status=Status.RETRO_DUE)
    if action is Action.SUBMIT_RETRO:
        return replace(state, status=Status.CLOSED)
    return state
