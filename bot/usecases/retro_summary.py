"""The retrospective summary: written once when the retrospective closes the incident (the template, or
the chat model with the template as its fallback) and kept, so every redraw of the thread shows it."""

from __future__ import annotations

import logging

from bot.drafting.summary import SummaryRequest
from bot.runbook.incident import Step
from bot.snapshot import Snapshot
from bot.store.tables import DecisionLog
from bot.usecases import snapshots
from bot.usecases.context import BOT_ACTOR, Env, get
from bot.usecases.retro_form import timeline

log = logging.getLogger(__name__)
TIME = "%a %d %b %H:%M"
DAY = "%a %d %b"


def request(snap: Snapshot, log_rows: list[DecisionLog]) -> SummaryRequest:
    retro = snap.retro
    assert retro is not None
    tz = snap.tz
    return SummaryRequest(
        incident_ref=snap.ref,
        title=snap.title,
        runbook_name=snap.runbook_name,
        scale=snap.scale,
        decision=snap.decision.label if snap.decision else "none",
        timeline=[(what, at.astimezone(tz).strftime(TIME)) for what, at in timeline(log_rows)],
        what_went_wrong=retro.what_went_wrong,
        cause=retro.cause_label,
        root_cause=retro.root_cause,
        what_we_change=retro.what_we_change,
        checklist=list(retro.checklist),
        action_items=[(a.text, a.due.strftime(DAY)) for a in snap.actions],
    )


def write(env: Env, incident_id: int) -> None:
    """Write the summary (outside any transaction: a model may take seconds) and keep it. Without a
    summarizer the thread shows the answers as they were typed."""
    summarizer = env.deps.summarizer
    if summarizer is None:
        return
    with env.read() as repo:
        snap = snapshots.build(env, repo, get(repo, incident_id))
        rows = repo.decision_log(incident_id)
    if snap.retro is None or snap.retro.summary:
        return
    summary = summarizer.write(request(snap, rows))
    with env.transaction() as repo:
        retro = repo.retrospective(incident_id)
        if retro is None or retro.summary:
            return
        retro.summary = summary.text
        repo.session.add(retro)
        repo.log(incident_id, Step.RETRO_SUMMARY, "written", BOT_ACTOR, f"written by {summary.source}")
