"""The use cases: what happens when someone reports, decides, approves or reviews a mistake.

Slack listeners and the CLI both call these, so no flow is written twice. Each use case runs the
pure rules, saves the outcome in one short transaction, then shows the result through a Messenger
(the Slack adapter, or anything else that can show and edit messages). Nothing here knows Block Kit.

Every state change is idempotent under re-delivery: the caller passes the Slack delivery's key,
and a key seen before changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from langchain_core.runnables import Runnable

from bot.config import AppConfig
from bot.drafting import BODY_MAX, SUBJECT_MAX, DraftRequest
from bot.runbook.answers import format_answer, parse_answers
from bot.runbook.calendar import default_retro_time
from bot.runbook.engine import assess_scale, pick_departments, recommend, suggest_runbook
from bot.runbook.incident import Action, IncidentState, NotAllowed, Status, Step, check, transition
from bot.runbook.model import Decision, Runbook
from bot.snapshot import DraftView, NoticeView, RetroView, Snapshot
from bot.store.repo import Repo, Store
from bot.store.tables import Incident, Notice, Retrospective, utcnow

BOT_ACTOR = "oops"
SUMMARY_MAX = 150
DETAILS_MAX = 3000
NOTE_MAX = 1000
CHECKLIST_ITEM_MAX = 300


REMINDER_RETRY = timedelta(minutes=5)


def _reason(exc: Exception) -> str:
    """A short cause for a person: Slack's error code when there is one."""
    response = getattr(exc, "response", None)
    code = response.get("error") if hasattr(response, "get") else None
    return str(code or type(exc).__name__)


def _current(created_at: datetime | None, decided_at: datetime | None) -> bool:
    """A draft belongs to the decision in force when it was written after that decision."""
    return created_at is not None and decided_at is not None and created_at >= decided_at


class UserError(Exception):
    """Something the person asked for that cannot happen; the message tells them why."""


@dataclass(frozen=True)
class PostRef:
    channel: str
    ts: str


class Messenger(Protocol):
    """What the use cases need from a chat: show an incident's part, and notify a department."""

    def show(self, kind: str, snap: Snapshot, existing: PostRef | None) -> PostRef: ...

    def notify(self, channel: str, snap: Snapshot, notice: NoticeView) -> PostRef: ...


class RetroScheduler(Protocol):
    def schedule(self, incident_id: int, when: datetime) -> None: ...

    def cancel(self, incident_id: int) -> None: ...

    def scheduled(self, incident_id: int) -> datetime | None: ...


@dataclass(frozen=True)
class Report:
    runbook_id: str
    summary: str
    details: str
    answers: dict[str, Any]


@dataclass(frozen=True)
class RetroInput:
    what_went_wrong: str
    root_cause: str
    what_we_change: str
    checklist: tuple[str, ...]


# The parts of an incident shown in Slack, in the order they first appear in the thread.
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


def validate_report(
    runbooks: Mapping[str, Runbook],
    runbook_id: str | None,
    summary: str | None,
    details: str | None,
    raw_answers: Mapping[str, str | None],
) -> tuple[Report | None, dict[str, str]]:
    """Check what a person typed in the report form; errors are keyed by field or question id."""
    errors: dict[str, str] = {}
    summary = " ".join((summary or "").split())
    details = (details or "").strip()
    if not summary:
        errors["summary"] = "Say in one line what happened, e.g. 'Welcome email sent to existing customers'."
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = (
            f"Keep the summary to {SUMMARY_MAX} characters (this one has {len(summary)}); "
            "put the rest in the details."
        )
    if len(details) > DETAILS_MAX:
        errors["details"] = f"Details are limited to {DETAILS_MAX} characters (this has {len(details)})."
    runbook = runbooks.get(runbook_id or "")
    if runbook is None:
        known = ", ".join(sorted(runbooks))
        errors["runbook"] = f"Unknown runbook {runbook_id!r}. Pick one of: {known}."
        return None, errors
    answers, answer_errors = parse_answers(runbook, raw_answers)
    errors.update(answer_errors)
    if errors:
        return None, errors
    return Report(runbook.id, summary, details, answers), {}


def parse_checklist(text: str | None) -> tuple[str, ...]:
    """One item a line; bullets and blank lines are dropped, repeats kept once."""
    items: list[str] = []
    for line in (text or "").splitlines():
        item = line.strip().lstrip("-*•").strip()
        if item and item not in items:
            items.append(item[:CHECKLIST_ITEM_MAX])
    return tuple(items)


class Services:
    def __init__(
        self,
        config: AppConfig,
        runbooks: Mapping[str, Runbook],
        store: Store,
        drafter: Runnable[DraftRequest, Any],
        messenger: Messenger,
        scheduler: RetroScheduler,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.runbooks = dict(runbooks)
        self.store = store
        self.drafter = drafter
        self.messenger = messenger
        self.scheduler = scheduler
        self.clock = clock
        self._locks: dict[int, threading.RLock] = {}
        self._locks_guard = threading.Lock()

    # reading -------------------------------------------------------------------------------------
    def suggest_runbook(self, summary: str) -> str:
        fallback = "general" if "general" in self.runbooks else next(iter(self.runbooks))
        return suggest_runbook(self.runbooks, summary, fallback=fallback)

    def validate_report(
        self,
        runbook_id: str | None,
        summary: str | None,
        details: str | None,
        raw_answers: Mapping[str, str | None],
    ) -> tuple[Report | None, dict[str, str]]:
        return validate_report(self.runbooks, runbook_id, summary, details, raw_answers)

    def snapshot(self, incident_id: int) -> Snapshot:
        with self.store.read() as repo:
            return self._snapshot(repo, self._get(repo, incident_id))

    def ready_for(self, incident_id: int, action: Action) -> Snapshot:
        """The incident if ``action`` fits its state now, else UserError saying why."""
        with self.store.read() as repo:
            incident = self._get(repo, incident_id)
            self._check(incident, action)
            return self._snapshot(repo, incident)

    def refusal(self, incident_id: int, action: Action) -> str | None:
        """Why ``action`` cannot happen now, or None; asked before a modal closes, so no typing is lost."""
        try:
            self.ready_for(incident_id, action)
        except UserError as exc:
            return str(exc)
        return None

    def check_answers(self, incident_id: int, raw_answers: Mapping[str, str | None]) -> dict[str, str]:
        """Re-assess form errors by question id, or a refusal when the incident no longer allows it."""
        refusal = self.refusal(incident_id, Action.REASSESS)
        runbook = self.runbook_of(incident_id)
        _, errors = parse_answers(runbook, raw_answers)
        if refusal:
            errors[runbook.questions[0].id] = refusal
        return errors

    def answers(self, incident_id: int) -> dict[str, Any]:
        with self.store.read() as repo:
            return dict(self._get(repo, incident_id).answers)

    def runbook_of(self, incident_id: int) -> Runbook:
        with self.store.read() as repo:
            return self.runbooks[self._get(repo, incident_id).runbook_id]

    def decision_log(self, incident_id: int) -> list[Any]:
        with self.store.read() as repo:
            return repo.decision_log(incident_id)

    # 1. report, assess, notify ----------------------------------------------------------------------
    def report(self, report: Report, reporter: str, channel: str, key: str) -> Snapshot:
        """Open an incident and walk it to the decision: header, scale, departments, decision prompt."""
        runbook = self.runbooks[report.runbook_id]
        with self.store.transaction() as repo:
            # Claiming first makes a concurrent duplicate wait for this one, then find its incident.
            if not repo.claim(key):
                existing = repo.incident_by_source(key)
                if existing is None:
                    raise UserError("That report is already being opened.")
                return self._snapshot(repo, existing)
            assessment = assess_scale(runbook, report.answers)
            advice = recommend(runbook, report.answers, assessment.level)
            incident = repo.add_incident(
                Incident(
                    source_key=key,
                    runbook_id=runbook.id,
                    title=report.summary,
                    details=report.details,
                    answers=report.answers,
                    reporter=reporter,
                    channel=channel,
                    status=Status.DECIDING,
                    scale=assessment.level,
                    scale_reasons=list(assessment.reasons),
                    recommendation=advice.choice,
                    recommendation_reason=advice.reason,
                )
            )
            assert incident.id is not None
            repo.log(incident.id, Step.REPORT, runbook.id, reporter, report.summary)
            repo.log(incident.id, Step.ASSESS, assessment.level, BOT_ACTOR, "; ".join(assessment.reasons))
            incident_id = incident.id
        try:
            self._post_opening(incident_id)
        except Exception as exc:
            # The incident is saved; nothing typed is lost. Say how to pick it up again.
            raise UserError(
                f"OOPS-{incident_id} is saved, but I could not post it in <#{channel}> ({_reason(exc)}). "
                f"Invite me there with `/invite @oops`, then type `/oops resume OOPS-{incident_id}`."
            ) from exc
        return self.snapshot(incident_id)

    def _post_opening(self, incident_id: int) -> None:
        """Header, scale, notices, who was told, decision prompt: what a new incident shows first."""
        header = self._show(incident_id, HEADER)
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id)
            incident.header_ts = header.ts
            repo.touch(incident)
        self._show(incident_id, ASSESSMENT)
        self._notify_needed(incident_id)
        self._show(incident_id, DEPARTMENTS)
        self._show(incident_id, DECISION)

    def resume(self, incident_id: int, channel: str, user: str) -> Snapshot:
        """Draw every part the incident's state calls for, posting what is missing (after Slack refused
        a post, or the bot stopped half-way). An incident never shown moves to ``channel``."""
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if incident.header_ts is None:
                incident.channel = channel
                repo.touch(incident)
            repo.log(incident_id, Step.REPORT, "resumed", user, f"in <#{incident.channel}>")
            latest = repo.latest_draft(incident_id)
            status, has_draft = Status(incident.status), latest is not None
            needs_draft = status is Status.DRAFTING and not (
                latest is not None and _current(latest.created_at, incident.decided_at)
            )
        self._post_opening(incident_id)
        if needs_draft:
            self._draft(incident_id, BOT_ACTOR)
            has_draft = True
        if has_draft:
            self._show(incident_id, DRAFT)
        if status not in (Status.DECIDING, Status.DRAFTING):
            self._show(incident_id, RETRO)
        if status is Status.RETRO_DUE:
            self._show(incident_id, REMINDER)
        if status is Status.CLOSED:
            self._show(incident_id, SUMMARY)
        self.reconcile_jobs()
        return self.snapshot(incident_id)

    def reassess(
        self, incident_id: int, raw_answers: Mapping[str, str | None], user: str, key: str
    ) -> dict[str, str]:
        """New answers: scale and recommendation follow; newly needed departments are told."""
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            runbook = self.runbooks[incident.runbook_id]
            answers, errors = parse_answers(runbook, raw_answers)
            if errors or not repo.claim(key):
                return errors
            self._check(incident, Action.REASSESS)
            before = incident.scale
            assessment = assess_scale(runbook, answers)
            incident.answers = answers
            incident.scale, incident.scale_reasons = assessment.level, list(assessment.reasons)
            if incident.decision is None:
                advice = recommend(runbook, answers, assessment.level)
                incident.recommendation, incident.recommendation_reason = advice.choice, advice.reason
            repo.touch(incident)
            change = before if before == assessment.level else f"{before} → {assessment.level}"
            repo.log(
                incident_id,
                Step.ASSESS,
                assessment.level,
                user,
                f"re-assessed ({change}): " + "; ".join(assessment.reasons),
            )
        self._notify_needed(incident_id)
        self._refresh(incident_id, HEADER, ASSESSMENT, DEPARTMENTS, DECISION)
        return {}

    def add_department(self, incident_id: int, department: str, user: str, key: str) -> None:
        if department not in self.config.departments:
            raise UserError(f"There is no department {department!r} in app.yaml.")
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return
            self._check(incident, Action.ADD_DEPARTMENT)
            told = repo.notice(incident_id, department)
            if told is not None and told.ts is not None:
                label = self.config.departments[department].label
                raise UserError(f"{label} already knows about {incident.ref}.")
        self._notify(incident_id, department, "added by hand", user)
        self._refresh(incident_id, DEPARTMENTS)

    def _notify_needed(self, incident_id: int) -> None:
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id)
            told = {n.department for n in repo.notices(incident_id) if n.ts is not None}
            needs = pick_departments(self.runbooks[incident.runbook_id], incident.answers, incident.scale)
        for need in needs:
            if need.department not in told:
                self._notify(incident_id, need.department, need.reason, BOT_ACTOR)

    def _notify(self, incident_id: int, department: str, reason: str, actor: str) -> None:
        """Post the notice, then record it; a channel that refuses is recorded as undelivered, and the
        department stays on offer so someone can try again. Under the incident's lock, so a re-assess
        and a hand-picked department at the same moment do not tell a channel twice."""
        dept = self.config.departments[department]
        with self._drawing(incident_id):
            with self.store.read() as repo:
                told = repo.notice(incident_id, department)
                if told is not None and told.ts is not None:
                    return
                snap = self._snapshot(repo, self._get(repo, incident_id))
            view = NoticeView(department, dept.label, dept.channel, reason, actor, delivered=True)
            try:
                ts: str | None = self.messenger.notify(dept.channel, snap, view).ts
                note = reason
            except Exception as exc:  # a missing channel must not stop the other notices
                ts, note = None, f"could not post to {dept.channel}: {exc}"
            with self.store.transaction() as repo:
                row = repo.notice(incident_id, department) or Notice(
                    incident_id=incident_id, department=department, channel=dept.channel, notified_by=actor
                )
                row.ts, row.reason, row.notified_by, row.channel = ts, reason[:1000], actor, dept.channel
                repo.add_notice(row)
                repo.log(incident_id, Step.NOTIFY, department, actor, note)

    # 2. decide ----------------------------------------------------------------------------------------
    def decide(
        self,
        incident_id: int,
        choice: Decision,
        user: str,
        key: str,
        *,
        note: str = "",
        what_was_fixed: str = "",
        customer_action: str = "",
        offer: str = "",
    ) -> None:
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return
            if incident.decision == choice and incident.status != Status.DECIDING:
                raise UserError(f"Already recorded: {choice.label}, by <@{incident.decided_by}>.")
            new = self._transition(incident, Action.DECIDE, choice)
            incident.status, incident.decision = new.status, choice
            incident.decided_by, incident.decided_at = user, self.clock()
            incident.decision_note = note.strip()[:NOTE_MAX]
            incident.what_was_fixed = what_was_fixed.strip()[:1000]
            incident.customer_action = customer_action.strip()[:1000]
            # The modal offers the brand's default; an offer emptied there means no offer.
            incident.offer = offer.strip()[:300] if choice is Decision.make_it_big else ""
            repo.touch(incident)
            followed = "" if choice == incident.recommendation else " (not the recommendation)"
            repo.log(incident_id, Step.DECIDE, choice, user, (note.strip() + followed).strip())
        self._refresh(incident_id, HEADER, DECISION, DRAFT, RETRO)
        if new.status is Status.DRAFTING:
            self._show(incident_id, DRAFT)  # "Drafting…" at once: a model may take a while
            self._draft(incident_id, BOT_ACTOR)
        else:
            self._show(incident_id, RETRO)

    def change_decision(self, incident_id: int, user: str, key: str) -> None:
        """Undo a decision before anything went out: the team decides again."""
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return
            new = self._transition(incident, Action.CHANGE_DECISION)
            previous = incident.decision
            incident.status, incident.decision, incident.decided_by, incident.decided_at = (
                new.status,
                None,
                None,
                None,
            )
            repo.touch(incident)
            repo.log(incident_id, Step.DECIDE, "reopened", user, f"set aside: {previous}")
        self._refresh(incident_id, HEADER, DECISION, DRAFT, RETRO)

    # 3. apology ---------------------------------------------------------------------------------------
    def regenerate_draft(self, incident_id: int, user: str, key: str) -> None:
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return
            self._check(incident, Action.REGENERATE_DRAFT)
        self._draft(incident_id, user)

    def check_edit(self, incident_id: int, version: int | None, subject: str, body: str) -> dict[str, str]:
        """Errors for the edit modal (keyed by its blocks), so a refused edit keeps the person's text."""
        errors: dict[str, str] = {}
        subject, body = " ".join(subject.split()), body.strip()
        if not subject or len(subject) > SUBJECT_MAX:
            errors["subject"] = f"Give the email a subject of 1 to {SUBJECT_MAX} characters."
        if not body or len(body) > BODY_MAX:
            errors["body"] = f"The message needs a body of 1 to {BODY_MAX:,} characters."
        refusal = self.refusal(incident_id, Action.EDIT_DRAFT)
        if refusal:
            errors["subject"] = refusal
        elif version is not None:
            latest = self.snapshot(incident_id).draft
            if latest is not None and latest.version != version:
                errors["subject"] = (
                    f"The draft changed while you edited it (now v{latest.version}). "
                    "Copy your text, close this, and edit the newest one."
                )
        return errors

    def edit_draft(
        self, incident_id: int, subject: str, body: str, user: str, key: str, *, version: int | None = None
    ) -> dict[str, str]:
        errors = self.check_edit(incident_id, version, subject, body)
        if errors:
            return errors
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return {}
            self._check(incident, Action.EDIT_DRAFT)
            subject, body = " ".join(subject.split()), body.strip()
            draft = repo.add_draft(incident_id, subject, body, author=user, source="edit")
            repo.log(incident_id, Step.DRAFT, f"v{draft.version}", user, "edited by hand")
        self._refresh(incident_id, DRAFT)
        return {}

    def approve_draft(self, incident_id: int, user: str, key: str, *, version: int | None = None) -> None:
        """Approve the draft the person read (``version``), and only if it is the newest for this decision."""
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return
            new = self._transition(incident, Action.APPROVE_DRAFT)
            draft = repo.latest_draft(incident_id)
            if draft is None or not _current(draft.created_at, incident.decided_at):
                raise UserError(
                    f"{incident.ref} has no draft for this decision yet; it is still being written."
                )
            if version is not None and draft.version != version:
                raise UserError(f"That draft was replaced by v{draft.version}: read it, then approve it.")
            draft.approved_by, draft.approved_at = user, self.clock()
            repo.session.add(draft)
            incident.status, incident.draft_approved = new.status, True
            repo.touch(incident)
            repo.log(incident_id, Step.APPROVE, f"v{draft.version}", user, draft.subject)
        self._refresh(incident_id, HEADER, DECISION, DRAFT)
        self._show(incident_id, RETRO)

    def _draft(self, incident_id: int, actor: str) -> None:
        """Ask the drafter (outside any transaction: it may be a slow model) and keep the result."""
        with self.store.read() as repo:
            incident = self._get(repo, incident_id)
            decided_at = incident.decided_at
            request = self._draft_request(repo, incident)
        result = self.drafter.invoke(request)
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if incident.status != Status.DRAFTING or incident.decided_at != decided_at:
                return  # the decision changed while the model was writing
            draft = repo.add_draft(
                incident_id, result.subject, result.body, author=BOT_ACTOR, source=result.source
            )
            note = "drafted" if actor == BOT_ACTOR else "regenerated"
            repo.log(incident_id, Step.DRAFT, f"v{draft.version}", actor, note)
        self._show(incident_id, DRAFT)

    def _draft_request(self, repo: Repo, incident: Incident) -> DraftRequest:
        """What the drafter may use; ``attempt`` counts earlier drafts, so regenerating varies the wording."""
        snap = self._snapshot(repo, incident)
        assert snap.decision in (Decision.correct, Decision.make_it_big)
        latest = repo.latest_draft(snap.id)
        brand = self.config.brand
        return DraftRequest(
            incident_ref=snap.ref,
            title=snap.title,
            details=snap.details,
            runbook_name=snap.runbook_name,
            scale=snap.scale,
            decision=snap.decision.value,
            facts=list(snap.answers),
            what_was_fixed=incident.what_was_fixed,
            customer_action=incident.customer_action,
            offer=incident.offer or None,
            brand_name=brand.name,
            brand_voice=brand.voice,
            signature=brand.signature,
            attempt=latest.version if latest else 0,
        )

    # 4. retrospective ---------------------------------------------------------------------------------
    def schedule_retro(self, incident_id: int, when: datetime, user: str, key: str) -> None:
        if when.tzinfo is None:
            raise ValueError("schedule_retro needs an aware datetime")
        if when <= self.clock():
            raise UserError("Pick a time in the future for the retrospective.")
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return
            new = self._transition(incident, Action.SCHEDULE_RETRO)
            moved = incident.retro_at is not None
            incident.status, incident.retro_at, incident.reminded_at = new.status, when, None
            repo.touch(incident)
            local = when.astimezone(self.config.team.tz).strftime("%a %d %b %Y %H:%M %Z")
            repo.log(incident_id, Step.RETRO_SCHEDULE, local, user, "moved" if moved else "")
        # After the commit: APScheduler writes its job table on its own connection.
        self.scheduler.schedule(incident_id, when)
        # A reminder already posted now says the retrospective moved; the next one is a new message.
        self._refresh(incident_id, HEADER, RETRO, REMINDER)
        with self.store.transaction() as repo:
            repo.drop_post(incident_id, REMINDER)

    def remind_retro(self, incident_id: int) -> bool:
        """Called by the scheduler. True when this call posted the reminder (at most one does).

        If Slack refuses the reminder, the incident goes back to waiting and the job is set again
        in a few minutes: a reminder job is used up when it fires, and a lost reminder would leave
        the retrospective without its button.
        """
        with self._drawing(incident_id):
            with self.store.transaction() as repo:
                incident = repo.incident(incident_id, lock=True)
                if incident is None or incident.status != Status.RETRO_SCHEDULED:
                    return False
                new = self._transition(incident, Action.REMIND)
                incident.status, incident.reminded_at = new.status, self.clock()
                repo.touch(incident)
                repo.log(incident_id, Step.RETRO_REMIND, "reminded", BOT_ACTOR)
            try:
                self._show(incident_id, REMINDER)
            except Exception:
                with self.store.transaction() as repo:
                    incident = self._get(repo, incident_id, lock=True)
                    incident.status, incident.reminded_at = Status.RETRO_SCHEDULED, None
                    repo.touch(incident)
                    repo.log(incident_id, Step.RETRO_REMIND, "failed", BOT_ACTOR, "trying again in 5 minutes")
                self.scheduler.schedule(incident_id, self.clock() + REMINDER_RETRY)
                raise
        self._refresh(incident_id, HEADER, RETRO)
        return True

    @staticmethod
    def check_retro(retro: RetroInput) -> dict[str, str]:
        errors = {
            name: "A sentence or two is needed here."
            for name in ("what_went_wrong", "root_cause", "what_we_change")
            if not getattr(retro, name).strip()
        }
        errors.update(
            {
                name: "Keep this under 3,000 characters."
                for name in ("what_went_wrong", "root_cause", "what_we_change")
                if len(getattr(retro, name)) > 3000
            }
        )
        return errors

    def submit_retro(self, incident_id: int, retro: RetroInput, user: str, key: str) -> dict[str, str]:
        errors = self.check_retro(retro)
        if errors:
            return errors
        with self.store.transaction() as repo:
            incident = self._get(repo, incident_id, lock=True)
            if not repo.claim(key):
                return {}
            new = self._transition(incident, Action.SUBMIT_RETRO)
            repo.add_retrospective(
                Retrospective(
                    incident_id=incident_id,
                    what_went_wrong=retro.what_went_wrong.strip(),
                    root_cause=retro.root_cause.strip(),
                    what_we_change=retro.what_we_change.strip(),
                    submitted_by=user,
                ),
                list(retro.checklist),
                incident.runbook_id,
            )
            incident.status, incident.closed_at = new.status, self.clock()
            repo.touch(incident)
            repo.log(incident_id, Step.RETRO, "closed", user, f"{len(retro.checklist)} checklist item(s)")
        self.scheduler.cancel(incident_id)
        self._show(incident_id, SUMMARY)
        self._refresh(incident_id, HEADER, ASSESSMENT, DEPARTMENTS, DECISION, DRAFT, RETRO, REMINDER)
        return {}

    def reconcile_jobs(self) -> int:
        """After a restart, make sure every scheduled retrospective still has its reminder job."""
        count = 0
        with self.store.transaction() as repo:
            pending = [i for i in repo.incidents(limit=10_000) if i.status == Status.RETRO_SCHEDULED]
        for incident in pending:
            if incident.retro_at and self.scheduler.scheduled(incident.id or 0) is None:
                self.scheduler.schedule(incident.id or 0, incident.retro_at)
                count += 1
        return count

    # helpers ------------------------------------------------------------------------------------------
    @staticmethod
    def _get(repo: Repo, incident_id: int, *, lock: bool = False) -> Incident:
        incident = repo.incident(incident_id, lock=lock)
        if incident is None:
            raise UserError(f"There is no incident OOPS-{incident_id}.")
        return incident

    @staticmethod
    def _state(incident: Incident) -> IncidentState:
        decision = Decision(incident.decision) if incident.decision else None
        return IncidentState(Status(incident.status), decision, incident.draft_approved)

    def _check(self, incident: Incident, action: Action) -> None:
        try:
            check(self._state(incident), action, incident.ref)
        except NotAllowed as exc:
            raise UserError(str(exc)) from None

    def _transition(
        self, incident: Incident, action: Action, decision: Decision | None = None
    ) -> IncidentState:
        self._check(incident, action)
        return transition(self._state(incident), action, decision)

    def _drawing(self, incident_id: int) -> threading.RLock:
        """One lock per incident around read-then-draw, so a slower redraw never paints an older state
        over a newer one (two clicks, or a click and the reminder job, at the same moment)."""
        with self._locks_guard:
            return self._locks.setdefault(incident_id, threading.RLock())

    def _show(self, incident_id: int, kind: str) -> PostRef:
        """Post a part of the incident, or edit it in place when it was posted before."""
        with self._drawing(incident_id):
            with self.store.transaction() as repo:
                snap = self._snapshot(repo, self._get(repo, incident_id))
                post = repo.post(incident_id, kind)
            existing = PostRef(post.channel, post.ts) if post else None
            ref = self.messenger.show(kind, snap, existing)
            if existing is None:
                with self.store.transaction() as repo:
                    repo.set_post(incident_id, kind, ref.channel, ref.ts)
            return ref

    def _refresh(self, incident_id: int, *kinds: str) -> None:
        """Redraw the parts already posted, so old buttons show the incident as it is now."""
        with self._drawing(incident_id):
            with self.store.transaction() as repo:
                snap = self._snapshot(repo, self._get(repo, incident_id))
                posts = {kind: repo.post(incident_id, kind) for kind in kinds}
            for kind, post in posts.items():
                if post is not None:
                    self.messenger.show(kind, snap, PostRef(post.channel, post.ts))

    def _snapshot(self, repo: Repo, incident: Incident) -> Snapshot:
        assert incident.id is not None and incident.created_at is not None
        runbook = self.runbooks.get(incident.runbook_id)
        questions = runbook.questions if runbook else []
        answers = tuple((q.label, format_answer(q, incident.answers.get(q.id))) for q in questions)
        notices = tuple(
            NoticeView(
                n.department,
                self._dept_label(n.department),
                n.channel,
                n.reason,
                n.notified_by,
                delivered=n.ts is not None,
            )
            for n in repo.notices(incident.id)
        )
        told = {n.department for n in notices if n.delivered}
        addable = tuple((key, d.label) for key, d in self.config.departments.items() if key not in told)
        draft = repo.latest_draft(incident.id)
        retro = repo.retrospective(incident.id)
        lessons = list(runbook.checklist if runbook else [])
        lessons += [x for x in repo.lessons(incident.runbook_id) if x not in lessons]
        state = self._state(incident)
        try:
            check(state, Action.CHANGE_DECISION)
            can_change = True
        except NotAllowed:
            can_change = False
        team = self.config.team
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
            status=state.status,
            scale=incident.scale,
            scale_reasons=tuple(incident.scale_reasons),
            answers=answers,
            recommendation=Decision(incident.recommendation),
            recommendation_reason=incident.recommendation_reason,
            decision=state.decision,
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
                current=_current(draft.created_at, incident.decided_at),
            )
            if draft
            else None,
            retro_at=incident.retro_at,
            retro_default=default_retro_time(
                self.clock(),
                team.tz,
                self.config.retrospective.delay_working_days,
                self.config.retrospective.at,
            ),
            retro=RetroView(
                retro.what_went_wrong,
                retro.root_cause,
                retro.what_we_change,
                tuple(c.text for c in repo.checklist(incident.id)),
                retro.submitted_by,
            )
            if retro
            else None,
            lessons=tuple(lessons[:10]),
            tz=team.tz,
            created_at=incident.created_at,
            closed_at=incident.closed_at,
            offer=incident.offer,
        )

    def _dept_label(self, department: str) -> str:
        dept = self.config.departments.get(department)
        return dept.label if dept else department
