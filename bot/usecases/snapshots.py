"""Rows to Snapshot: the read-only picture of an incident that every view draws from."""

from __future__ import annotations

from bot.runbook.answers import format_answer
from bot.runbook.calendar import default_retro_time
from bot.runbook.followup import overdue_since
from bot.runbook.incident import Action, NotAllowed, check
from bot.runbook.model import Decision
from bot.snapshot import ActionItemView, DraftView, NoticeView, RetroView, Snapshot
from bot.store.actions import ActionItems
from bot.store.approvals import DraftApprovals
from bot.store.repo import Repo
from bot.store.similar import SimilarRows
from bot.store.tables import Draft, Incident
from bot.usecases import draft_checks
from bot.usecases.context import Env, current, state
from bot.usecases.similar import shown


def build(env: Env, repo: Repo, incident: Incident) -> Snapshot:
    assert incident.id is not None and incident.created_at is not None
    config = env.config
    runbook = env.runbooks.get(incident.runbook_id)
    questions = runbook.questions if runbook else []
    answers = tuple((q.label, format_answer(q, incident.answers.get(q.id))) for q in questions)
    notices = tuple(
        NoticeView(
            n.department,
            config.departments[n.department].label if n.department in config.departments else n.department,
            n.channel,
            n.reason,
            n.notified_by,
            delivered=n.ts is not None,
            error=n.error or "",
        )
        for n in repo.notices(incident.id)
    )
    told = {n.department for n in notices if n.delivered}
    addable = tuple((key, d.label) for key, d in config.departments.items() if key not in told)
    draft = repo.latest_draft(incident.id)
    retro = repo.retrospective(incident.id)
    lessons = list(runbook.checklist if runbook else [])
    lessons += [x for x in repo.lessons(incident.runbook_id) if x not in lessons]
    now_state = state(incident)
    try:
        check(now_state, Action.CHANGE_DECISION)
        can_change = True
    except NotAllowed:
        can_change = False
    team = config.team
    precedents, learned = shown(SimilarRows(repo).kept(incident.id))
    return Snapshot(
        id=incident.id,
        ref=incident.ref,
        title=incident.title,
        details=incident.details,
        runbook_id=incident.runbook_id,
        runbook_name=runbook.name if runbook else incident.runbook_id,
        reporter=incident.reporter,
        channel=incident.channel,
        header_ts=incident.header_ts,
        status=now_state.status,
        scale=incident.scale,
        scale_reasons=tuple(incident.scale_reasons),
        answers=answers,
        recommendation=Decision(incident.recommendation),
        recommendation_reason=incident.recommendation_reason,
        decision=now_state.decision,
        decided_by=incident.decided_by,
        decided_at=incident.decided_at,
        decision_note=incident.decision_note,
        can_change_decision=can_change,
        notices=notices,
        addable_departments=addable,
        draft=DraftView(
            draft.version,
            draft.subject,
            draft.body,
            draft.author,
            draft.source,
            draft.approved_by,
            draft.approved_at,
            current=current(draft.created_at, incident.decided_at),
            findings=tuple(draft_checks.findings(config, incident, draft.subject, draft.body)),
            approvals=_approvals(repo, draft, config.approvals.required),
            required=config.approvals.required,
        )
        if draft
        else None,
        retro_at=incident.retro_at,
        retro_default=default_retro_time(
            env.now(), team.tz, config.retrospective.delay_working_days, config.retrospective.at
        ),
        retro=RetroView(
            retro.what_went_wrong,
            retro.root_cause,
            retro.what_we_change,
            tuple(c.text for c in repo.checklist(incident.id)),
            retro.submitted_by,
            cause=retro.cause,
            cause_label=runbook.cause_label(retro.cause) if runbook and retro.cause else retro.cause,
            summary=retro.summary,
        )
        if retro
        else None,
        lessons=tuple(lessons[:10]),
        tz=team.tz,
        created_at=incident.created_at,
        closed_at=incident.closed_at,
        offer=incident.offer,
        precedents=precedents,
        learned=learned,
        actions=tuple(
            ActionItemView(a.id or 0, a.text, a.owner, a.due, a.done_by, a.done_at)
            for a in ActionItems(repo).of_incident(incident.id)
        )
        if retro
        else (),
        overdue_since=overdue_since(
            now_state.status, incident.reminded_at, env.now(), config.retrospective.remind_again_after_hours
        ),
    )


def _approvals(repo: Repo, draft: Draft, required: int) -> tuple[str, ...]:
    """Who approved the draft's version so far; read only when more than one approval is needed."""
    if required <= 1:
        return ()
    return tuple(DraftApprovals(repo).of(draft.incident_id, draft.version))
