"""Assess the scale and tell the departments: re-assessing, adding a department by hand."""

from __future__ import annotations

from collections.abc import Mapping

from bot.runbook.answers import parse_answers
from bot.runbook.engine import assess_scale, pick_departments, recommend
from bot.runbook.incident import Action, Step
from bot.snapshot import NoticeView
from bot.store.tables import Notice
from bot.usecases.context import BOT_ACTOR, Env, allow, get
from bot.usecases.ports import (
    ASSESSMENT,
    DECISION,
    DEPARTMENTS,
    HEADER,
    NOTICE,
    Marker,
    PostRef,
    Undelivered,
    UserError,
)
from bot.usecases.thread import Thread


def check_answers(env: Env, incident_id: int, raw_answers: Mapping[str, str | None]) -> dict[str, str]:
    """Re-assess form errors by question id, or a refusal when the incident no longer allows it."""
    with env.read() as repo:
        incident = get(repo, incident_id)
    runbook = env.runbooks[incident.runbook_id]
    _, errors = parse_answers(runbook, raw_answers)
    try:
        allow(incident, Action.REASSESS)
    except UserError as exc:
        errors[runbook.questions[0].id] = str(exc)
    return errors


def reassess(
    env: Env, incident_id: int, raw_answers: Mapping[str, str | None], user: str, key: str
) -> dict[str, str]:
    """New answers: scale and recommendation follow; newly needed departments are told."""
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        runbook = env.runbooks[incident.runbook_id]
        answers, errors = parse_answers(runbook, raw_answers)
        if errors or not repo.claim(key):
            return errors
        allow(incident, Action.REASSESS)
        before = incident.scale
        assessment = assess_scale(runbook, answers)
        incident.answers = answers
        incident.scale, incident.scale_reasons = assessment.level, list(assessment.reasons)
        if incident.decision is None:
            advice = recommend(runbook, answers, assessment.level)
            incident.recommendation, incident.recommendation_reason = advice.choice, advice.reason
        repo.touch(incident)
        change = before if before == assessment.level else f"{before} → {assessment.level}"
        reasons = "; ".join(assessment.reasons)
        repo.log(incident_id, Step.ASSESS, assessment.level, user, f"re-assessed ({change}): {reasons}")
    thread = Thread(env, incident_id)
    notify_needed(env, thread)
    thread.refresh(HEADER, ASSESSMENT, DEPARTMENTS, DECISION)
    return {}


def add_department(env: Env, incident_id: int, department: str, user: str, key: str) -> None:
    if department not in env.config.departments:
        raise UserError(f"There is no department {department!r} in app.yaml.")
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return
        allow(incident, Action.ADD_DEPARTMENT)
        told = repo.notice(incident_id, department)
        if told is not None and told.ts is not None:
            label = env.config.departments[department].label
            raise UserError(f"{label} already knows about {incident.ref}.")
    thread = Thread(env, incident_id)
    notify(env, thread, [(department, "added by hand", user)])
    thread.refresh(DEPARTMENTS)


def notify_needed(env: Env, thread: Thread) -> None:
    """Tell every department the runbook asks for now and that was not told yet."""
    with env.read() as repo:
        incident = get(repo, thread.id)
        needs = pick_departments(env.runbooks[incident.runbook_id], incident.answers, incident.scale)
    notify(env, thread, [(need.department, need.reason, BOT_ACTOR) for need in needs])


def notify(env: Env, thread: Thread, wanted: list[tuple[str, str, str]]) -> None:
    """Post each notice, then record it. The intent is written first, so a notice whose outcome was
    lost is looked for before it is posted again; a channel that refuses is recorded with Slack's error
    code and the department stays on offer. Under the incident's lock, so a re-assess and a hand-picked
    department at the same moment do not tell a channel twice."""
    departments = env.config.departments
    with env.lock(thread.id):
        todo: list[tuple[Notice, bool]] = []
        with env.transaction() as repo:
            thread.load(repo)
            rows = {n.department: n for n in repo.notices(thread.id)}
            for department, reason, actor in wanted:
                row = rows.get(department)
                if (row is not None and row.ts is not None) or department not in departments:
                    continue
                unknown = row is not None and row.error is None  # posted, or not: look first
                row = row or Notice(
                    team_id=env.team, incident_id=thread.id, department=department, channel=""
                )
                row.channel, row.reason = departments[department].channel, reason[:1000]
                row.notified_by, row.error = actor, None
                repo.add_notice(row)
                todo.append((row, unknown))
            if todo and thread.incident is not None:  # recovery elsewhere leaves it alone meanwhile
                repo.touch(thread.incident)
        if not todo:
            return
        outcomes = [(row, _post_notice(env, thread, row, unknown)) for row, unknown in todo]
        with env.transaction() as repo:
            rows = {n.department: n for n in repo.notices(thread.id)}
            for row, (ref, error, maybe) in outcomes:
                saved = rows[row.department]
                # Refused: the error code; outcome unknown: nothing yet, so the next try looks first.
                saved.ts, saved.error = (ref.ts if ref else None), (None if ref or maybe else error)
                repo.add_notice(saved)
                if ref:
                    note = row.reason
                elif maybe:
                    note = f"outcome unknown in {row.channel} ({error}): looked for before trying again"
                else:
                    note = f"not delivered to {row.channel}: {error}"
                repo.log(thread.id, Step.NOTIFY, row.department, row.notified_by, note)


def _post_notice(
    env: Env, thread: Thread, row: Notice, unknown: bool
) -> tuple[PostRef | None, str | None, bool]:
    """(the notice, or None; Slack's error code; whether it may have been posted all the same)."""
    snap = thread.snap
    assert snap is not None
    label = env.config.departments[row.department].label
    view = NoticeView(row.department, label, row.channel, row.reason, row.notified_by, delivered=True)
    marker = Marker(thread.id, NOTICE + row.department)
    if unknown:
        try:
            found = _find(env, row.channel, marker)
        except Undelivered as exc:  # cannot look now: it stays pending, to be looked for later
            return None, exc.code, True
        if found is not None:
            return found, None, False
    try:
        return env.messenger.notify(row.channel, snap, view, thread.link()), None, False
    except Undelivered as exc:  # one channel refusing must not stop the other notices
        if exc.uncertain:
            try:
                found = _find(env, row.channel, marker)
            except Undelivered:
                found = None
            if found is not None:
                return found, None, False
        return None, exc.code, exc.uncertain


def _find(env: Env, channel: str, marker: Marker) -> PostRef | None:
    """A notice already posted, when the channel lets the bot read it (a public channel it posts to
    without being a member does not: then the notice is posted again, the lesser harm). A look that
    may work later raises, so the notice waits instead."""
    try:
        return env.messenger.find(channel, None, marker)
    except Undelivered as exc:
        if exc.transient:
            raise
        return None
