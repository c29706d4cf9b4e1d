"""Report a mistake: the form's checks, opening the incident, and picking it up again (resume)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.runbook.answers import parse_answers
from bot.runbook.engine import assess_scale, recommend, suggest_runbook
from bot.runbook.incident import Status, Step
from bot.runbook.model import Runbook
from bot.snapshot import Snapshot
from bot.store.search import SearchRows
from bot.store.similar import SimilarRows
from bot.store.tables import Incident
from bot.usecases import assess, similar, snapshots
from bot.usecases.context import BOT_ACTOR, Env
from bot.usecases.ports import ASSESSMENT, DECISION, DEPARTMENTS, HEADER, PRECEDENTS, Undelivered, UserError
from bot.usecases.thread import Thread

SUMMARY_MAX = 150
DETAILS_MAX = 3000


@dataclass(frozen=True)
class Report:
    runbook_id: str
    summary: str
    details: str
    answers: dict[str, Any]


def prefill(text: str) -> tuple[str, str, str | None]:
    """What `/oops <text>` puts in the form: a line that fits is the summary, a longer text the details;
    and a note for the person when even the details cannot hold all of it."""
    summary, details = (text, "") if len(text) <= SUMMARY_MAX else ("", text)
    note = None
    if len(details) > DETAILS_MAX:
        note = f"That was long: the first {DETAILS_MAX:,} characters are in the details; add the rest."
    return summary, details, note


def guess_runbook(runbooks: Mapping[str, Runbook], summary: str) -> str:
    fallback = "general" if "general" in runbooks else next(iter(runbooks))
    return suggest_runbook(runbooks, summary, fallback=fallback)


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


def open_incident(env: Env, report: Report, reporter: str, channel: str, key: str) -> Snapshot:
    """Open an incident and walk it to the decision: header, scale, departments, decision prompt."""
    runbook = env.runbooks[report.runbook_id]
    precedents = similar.choose(env, report.summary, report.details, runbook.id)
    with env.transaction() as repo:
        # Claiming first makes a concurrent duplicate wait for this one, then find its incident.
        if not repo.claim(key):
            existing = repo.incident_by_source(key)
            if existing is None:
                raise UserError("That report is already being opened.")
            return snapshots.build(env, repo, existing)
        assessment = assess_scale(runbook, report.answers)
        advice = recommend(runbook, report.answers, assessment.level)
        incident = repo.add_incident(
            Incident(
                team_id=env.team,
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
        SearchRows(repo).index(incident)
        SimilarRows(repo).keep(incident.id, precedents)
        repo.log(incident.id, Step.REPORT, runbook.id, reporter, report.summary)
        repo.log(incident.id, Step.ASSESS, assessment.level, BOT_ACTOR, "; ".join(assessment.reasons))
        incident_id = incident.id
    thread = Thread(env, incident_id)
    try:
        post_opening(env, thread)
    except Undelivered as exc:
        # The incident is saved; nothing typed is lost. Say how to pick it up again.
        fix = "Wait a moment" if exc.transient else "Invite me there with `/invite @oops`"
        raise UserError(
            f"OOPS-{incident_id} is saved, but I could not post it in <#{channel}> ({exc.code}). "
            f"{fix}, then type `/oops resume OOPS-{incident_id}`."
        ) from exc
    assert thread.snap is not None
    return thread.snap


def post_opening(env: Env, thread: Thread) -> None:
    """Header, scale, notices, who was told, similar past mistakes (when there are any), decision
    prompt: what a new incident shows first."""
    thread.show(HEADER, ASSESSMENT)
    assess.notify_needed(env, thread)
    before = (PRECEDENTS,) if thread.snap is not None and thread.snap.precedents else ()
    thread.show(DEPARTMENTS, *before, DECISION)
