"""The apology: drafted for the decision, regenerated, edited by hand, approved."""

from __future__ import annotations

from bot.drafting.models import BODY_MAX, SUBJECT_MAX, DraftRequest
from bot.runbook.incident import Action, Status, Step
from bot.runbook.model import Decision
from bot.store.approvals import DraftApprovals
from bot.store.repo import Repo
from bot.store.tables import Draft, Incident
from bot.usecases import draft_checks, policy, snapshots, watch
from bot.usecases.context import BOT_ACTOR, Env, advance, allow, current, get
from bot.usecases.policy import Act
from bot.usecases.ports import DECISION, DRAFT, HEADER, RETRO, UserError
from bot.usecases.thread import Thread


def regenerate(env: Env, incident_id: int, user: str, key: str) -> None:
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return
        allow(incident, Action.REGENERATE_DRAFT)
    write_draft(env, incident_id, user)


def check_edit(env: Env, incident_id: int, version: int | None, subject: str, body: str) -> dict[str, str]:
    """Errors for the edit modal (keyed by its blocks), so a refused edit keeps the person's text."""
    errors: dict[str, str] = {}
    subject, body = " ".join(subject.split()), body.strip()
    if not subject or len(subject) > SUBJECT_MAX:
        errors["subject"] = f"Give the email a subject of 1 to {SUBJECT_MAX} characters."
    if not body or len(body) > BODY_MAX:
        errors["body"] = f"The message needs a body of 1 to {BODY_MAX:,} characters."
    try:
        with env.read() as repo:
            incident = get(repo, incident_id)
            latest = repo.latest_draft(incident_id)
        allow(incident, Action.EDIT_DRAFT)
    except UserError as exc:
        errors["subject"] = str(exc)
        return errors
    if version is not None and latest is not None and latest.version != version:
        errors["subject"] = (
            f"The draft changed while you edited it (now v{latest.version}). "
            "Copy your text, close this, and edit the newest one."
        )
    return errors


def edit(
    env: Env, incident_id: int, subject: str, body: str, user: str, key: str, *, version: int | None = None
) -> dict[str, str]:
    errors = check_edit(env, incident_id, version, subject, body)
    if errors:
        return errors
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return {}
        allow(incident, Action.EDIT_DRAFT)
        subject, body = " ".join(subject.split()), body.strip()
        draft = repo.add_draft(incident_id, subject, body, author=user, source="edit")
        repo.log(incident_id, Step.DRAFT, f"v{draft.version}", user, "edited by hand")
    Thread(env, incident_id).refresh(DRAFT)
    return {}


def approve(env: Env, incident_id: int, user: str, key: str, *, version: int | None = None) -> None:
    """Approve the draft the person read (``version``), and only if it is the newest for this decision."""
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return
        new = advance(incident, Action.APPROVE_DRAFT)
        draft = repo.latest_draft(incident_id)
        if draft is None or not current(draft.created_at, incident.decided_at):
            raise UserError(f"{incident.ref} has no draft for this decision yet; it is still being written.")
        if version is not None and draft.version != version:
            raise UserError(f"That draft was replaced by v{draft.version}: read it, then approve it.")
        if found := draft_checks.findings(env.config, incident, draft.subject, draft.body):
            raise UserError(draft_checks.refusal(incident.ref, draft.version, found))  # guardrails
        # The approval policy: roles, the reporter, how many different people (bot.usecases.policy).
        if not _count_approval(env, repo, incident, draft, user):
            waiting = True
        else:
            waiting = False
            draft.approved_by, draft.approved_at = user, env.now()
            repo.session.add(draft)
            incident.status, incident.draft_approved = new.status, True
            repo.touch(incident)
            repo.log(incident_id, Step.APPROVE, f"v{draft.version}", user, draft.subject)
            watch.arm(env, repo, incident, draft.approved_at)  # ask later how it went since
    if waiting:
        Thread(env, incident_id).refresh(DRAFT)  # "Approved by @A (1 of 2)"
        return
    Thread(env, incident_id).show(RETRO, edit=(HEADER, DECISION, DRAFT))


def _count_approval(env: Env, repo: Repo, incident: Incident, draft: Draft, user: str) -> bool:
    """Record ``user``'s approval of ``draft`` if the policy allows it (UserError saying why if not);
    True once ``approvals.required`` different people approved this version. A second click by the
    same person counts once; an edit is a new version, approved afresh."""
    approvals = DraftApprovals(repo)
    so_far = approvals.of(draft.incident_id, draft.version)
    policy.require(env.config, Act.APPROVE, user, incident, so_far)
    if approvals.add(draft.incident_id, draft.version, user, env.now()):
        so_far.append(user)  # the decision log gets the approval that completes the count
    return len(so_far) >= env.config.approvals.required


def write_draft(env: Env, incident_id: int, actor: str) -> None:
    """Ask the drafter (outside any transaction: it may be a slow model) and keep the result."""
    with env.read() as repo:
        incident = get(repo, incident_id)
        decided_at = incident.decided_at
        request = draft_request(env, repo, incident)
    result = env.deps.drafter.invoke(request)
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if incident.status != Status.DRAFTING or incident.decided_at != decided_at:
            return  # the decision changed while the model was writing
        draft = repo.add_draft(
            incident_id, result.subject, result.body, author=BOT_ACTOR, source=result.source
        )
        note = "drafted" if actor == BOT_ACTOR else "regenerated"
        repo.log(incident_id, Step.DRAFT, f"v{draft.version}", actor, note)
    Thread(env, incident_id).show(DRAFT)


def draft_request(env: Env, repo: Repo, incident: Incident) -> DraftRequest:
    """What the drafter may use, brand and default offer included (``for_brand``); ``attempt`` counts
    earlier drafts, so regenerating varies the wording."""
    snap = snapshots.build(env, repo, incident)
    assert snap.decision in (Decision.correct, Decision.make_it_big)
    latest = repo.latest_draft(snap.id)
    return DraftRequest.for_brand(
        env.config.brand,
        incident_ref=snap.ref,
        title=snap.title,
        details=snap.details,
        runbook_name=snap.runbook_name,
        scale=snap.scale,
        decision=snap.decision.value,
        facts=list(snap.answers),
        what_was_fixed=incident.what_was_fixed,
        customer_action=incident.customer_action,
        offer=incident.offer,
        attempt=latest.version if latest else 0,
    )
