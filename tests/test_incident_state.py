"""The incident state machine: which action each status allows, what it leads to, and how a refusal reads.

The expected table is written out here, independently of bot.runbook.incident's own table, so a
change to what is allowed shows up as a failing line a person can read.
"""

from __future__ import annotations

import re

import pytest

from bot.runbook.incident import (
    Action,
    IncidentState,
    NotAllowed,
    Status,
    check,
    needs_apology,
    transition,
)
from bot.runbook.model import Decision

REF = "OOPS-42"

# A realistic state for each status: what an incident in that status looks like.
STATES: dict[Status, IncidentState] = {
    Status.DECIDING: IncidentState(Status.DECIDING),
    Status.DRAFTING: IncidentState(Status.DRAFTING, Decision.correct),
    Status.SCHEDULING: IncidentState(Status.SCHEDULING, Decision.no_action),
    Status.RETRO_SCHEDULED: IncidentState(Status.RETRO_SCHEDULED, Decision.make_it_big, draft_approved=True),
    Status.RETRO_DUE: IncidentState(Status.RETRO_DUE, Decision.correct, draft_approved=True),
    Status.CLOSED: IncidentState(Status.CLOSED, Decision.correct, draft_approved=True),
}

D, DR, S, RS, RD, C = (
    Status.DECIDING,
    Status.DRAFTING,
    Status.SCHEDULING,
    Status.RETRO_SCHEDULED,
    Status.RETRO_DUE,
    Status.CLOSED,
)
ALLOWED: dict[Action, set[Status]] = {
    Action.REASSESS: {D, DR, S, RS, RD},
    Action.ADD_DEPARTMENT: {D, DR, S, RS, RD},
    Action.DECIDE: {D},
    Action.CHANGE_DECISION: {DR, S},  # S here is a no_action decision: nothing approved yet
    Action.REGENERATE_DRAFT: {DR},
    Action.EDIT_DRAFT: {DR},
    Action.APPROVE_DRAFT: {DR},
    Action.SCHEDULE_RETRO: {S, RS, RD},
    Action.REMIND: {RS},
    Action.SUBMIT_RETRO: {RS, RD},
}

CASES = [(action, status) for action in Action for status in Status]


def test_the_table_covers_every_action() -> None:
    assert set(ALLOWED) == set(Action)


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a.value}@{s.value}" for a, s in CASES])
def test_each_action_is_allowed_or_refused_by_status(action: Action, status: Status) -> None:
    state = STATES[status]
    if status in ALLOWED[action]:
        check(state, action, REF)  # does not raise
        decision = Decision.correct if action is Action.DECIDE else None
        transition(state, action, decision)
    else:
        with pytest.raises(NotAllowed) as refused:
            check(state, action, REF)
        _assert_human_sentence(str(refused.value))
        with pytest.raises(NotAllowed):
            transition(state, action, Decision.correct)


def _assert_human_sentence(message: str, ref: str = REF) -> None:
    assert ref in message, f"the refusal does not name the incident: {message!r}"
    assert message[0].isupper(), message
    assert message.rstrip().endswith((".", "!")), message
    assert len(message.split()) >= 5, message
    # No internal names: enum values, class names or snake_case ids have no place in what people read.
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), message
    assert "Status." not in message and "Action." not in message, message
    assert "None" not in message, message


@pytest.mark.parametrize("status", list(Status), ids=[s.value for s in Status])
def test_refusals_name_the_incident_for_every_action(status: Status) -> None:
    refusals = []
    for action in Action:
        try:
            check(STATES[status], action, "OOPS-7")
        except NotAllowed as exc:
            refusals.append(str(exc))
    for message in refusals:
        _assert_human_sentence(message, "OOPS-7")
    if status is Status.CLOSED:
        assert len(refusals) == len(Action)
        assert all("closed" in m for m in refusals)


def test_a_second_decision_says_what_was_decided_and_how_to_change_it() -> None:
    with pytest.raises(NotAllowed) as refused:
        check(IncidentState(Status.DRAFTING, Decision.make_it_big), Action.DECIDE, REF)
    message = str(refused.value)
    assert "already decided" in message and "Make it big" in message and "Change decision" in message


def test_draft_actions_refused_outside_drafting_say_why() -> None:
    with pytest.raises(NotAllowed, match="already approved"):
        check(IncidentState(Status.SCHEDULING, Decision.correct, True), Action.EDIT_DRAFT, REF)
    with pytest.raises(NotAllowed, match="no apology in draft"):
        check(STATES[Status.DECIDING], Action.APPROVE_DRAFT, REF)


def test_submitting_a_retro_before_scheduling_asks_to_schedule_it_first() -> None:
    with pytest.raises(NotAllowed, match=r"^Schedule the retrospective of OOPS-42 first\.$"):
        check(STATES[Status.SCHEDULING], Action.SUBMIT_RETRO, REF)


@pytest.mark.parametrize(
    "status", [Status.SCHEDULING, Status.RETRO_SCHEDULED, Status.RETRO_DUE, Status.DRAFTING]
)
def test_change_decision_is_refused_once_the_apology_is_approved(status: Status) -> None:
    approved = IncidentState(status, Decision.correct, draft_approved=True)
    with pytest.raises(NotAllowed) as refused:
        check(approved, Action.CHANGE_DECISION, REF)
    assert "already approved" in str(refused.value)
    _assert_human_sentence(str(refused.value))


def test_change_decision_is_allowed_before_approval_and_reopens_the_decision() -> None:
    for state in (
        IncidentState(Status.DRAFTING, Decision.correct),
        IncidentState(Status.SCHEDULING, Decision.no_action),
    ):
        after = transition(state, Action.CHANGE_DECISION)
        assert after == IncidentState(Status.DECIDING, None, False)


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        (Decision.correct, Status.DRAFTING),
        (Decision.make_it_big, Status.DRAFTING),
        (Decision.no_action, Status.SCHEDULING),
    ],
)
def test_decide_leads_to_drafting_or_scheduling(decision: Decision, status: Status) -> None:
    after = transition(IncidentState(Status.DECIDING), Action.DECIDE, decision)
    assert after.status is status
    assert after.decision is decision
    assert needs_apology(decision) is (status is Status.DRAFTING)


def test_decide_without_a_decision_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        transition(IncidentState(Status.DECIDING), Action.DECIDE)


def test_the_whole_path_with_an_apology() -> None:
    state = IncidentState(Status.DECIDING)
    state = transition(state, Action.DECIDE, Decision.make_it_big)
    assert state.status is Status.DRAFTING
    for action in (Action.REGENERATE_DRAFT, Action.EDIT_DRAFT, Action.REASSESS, Action.ADD_DEPARTMENT):
        assert transition(state, action) == state  # no change of status
    state = transition(state, Action.APPROVE_DRAFT)
    assert state == IncidentState(Status.SCHEDULING, Decision.make_it_big, draft_approved=True)
    state = transition(state, Action.SCHEDULE_RETRO)
    assert state.status is Status.RETRO_SCHEDULED
    state = transition(state, Action.SCHEDULE_RETRO)  # moved to another time
    assert state.status is Status.RETRO_SCHEDULED
    state = transition(state, Action.REMIND)
    assert state.status is Status.RETRO_DUE
    state = transition(state, Action.SCHEDULE_RETRO)  # rescheduled after the reminder: waits again
    assert state.status is Status.RETRO_SCHEDULED
    state = transition(state, Action.SUBMIT_RETRO)  # held before the reminder fired
    assert state.status is Status.CLOSED
    assert state.decision is Decision.make_it_big and state.draft_approved


def test_the_path_without_an_apology_skips_drafting() -> None:
    state = transition(IncidentState(Status.DECIDING), Action.DECIDE, Decision.no_action)
    assert state.status is Status.SCHEDULING and not state.draft_approved
    with pytest.raises(NotAllowed):
        transition(state, Action.APPROVE_DRAFT)
    state = transition(state, Action.SCHEDULE_RETRO)
    state = transition(state, Action.REMIND)
    with pytest.raises(NotAllowed):
        transition(state, Action.REMIND)  # the reminder comes once
    assert transition(state, Action.SUBMIT_RETRO).status is Status.CLOSED


def test_the_default_reference_is_a_sentence_too() -> None:
    with pytest.raises(NotAllowed) as refused:
        transition(IncidentState(Status.CLOSED), Action.REASSESS)
    assert str(refused.value).startswith("This incident is closed")


def test_every_status_has_a_label_for_people() -> None:
    for status in Status:
        assert status.label and status.label[0].isupper() and "_" not in status.label
