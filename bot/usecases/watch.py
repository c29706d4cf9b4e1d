"""Watching after the apology (the seed checklist's "monitor all channels"): a set time after the
apology is approved, the bot asks in the thread for the complaints, unsubscribes and replies since;
the figures are recorded, logged, said in the thread, and a figure much higher than at assessment
suggests re-assessing the scale.

arm() is called when the apology is approved; sweep_watch() by the minute sweep; record() by the
"Record the figures" modal. An incident decided no_action has no apology, so no watch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.runbook import followup
from bot.runbook.incident import Action, NotAllowed, check
from bot.runbook.model import Decision
from bot.store.followups import FollowupRows
from bot.store.repo import Repo
from bot.store.runs import Runs
from bot.store.tables import Incident, IncidentWatch
from bot.usecases.context import BOT_ACTOR, Env, get, state
from bot.usecases.once import post_once
from bot.usecases.ports import Marker, PostRef, Undelivered, UserError

log = logging.getLogger(__name__)

STEP = "watch"  # the decision log's step for the figures (and the question that asked for them)
FIGURES = ("complaints", "unsubscribes", "replies")
MOST = 10_000_000  # more than any list a small team mails


@dataclass(frozen=True)
class Figures:
    complaints: int
    unsubscribes: int
    replies: int


@dataclass(frozen=True)
class WatchAsk:
    """The question in the thread; redrawn with the figures once they are recorded."""

    incident_id: int
    ref: str
    approved_at: datetime | None
    figures: Figures | None = None
    recorded_by: str | None = None


@dataclass(frozen=True)
class WatchNote:
    """The line in the thread once the figures are in; ``reassess`` when the scale may be wrong."""

    incident_id: int
    ref: str
    figures: Figures
    recorded_by: str
    assessed_complaints: int | None
    reassess: bool  # much higher than at assessment
    can_reassess: bool  # and the incident is still open to it


def _key(incident_id: int) -> str:
    return f"watch-ask:{incident_id}"


def arm(env: Env, repo: Repo, incident: Incident, approved_at: datetime) -> IncidentWatch | None:
    """Set the watch of an incident whose apology was just approved (inside that transaction)."""
    assert incident.id is not None
    if incident.decision in (None, Decision.no_action.value):
        return None
    config = env.config
    due = followup.watch_due(approved_at, config.team.tz, config.watch.after_working_days, config.watch.at)
    return FollowupRows(repo).add_watch(incident.id, due)


def sweep_watch(env: Env, now: datetime) -> int:
    """The sweeper: ask in each due incident's thread, once; how many were asked."""
    with env.read() as repo:
        due = FollowupRows(repo).watches_due(now)
    return sum(_ask(env, incident_id) for incident_id in due)


def _ask(env: Env, incident_id: int) -> int:
    with env.read() as repo:
        incident = repo.incident(incident_id)
        approved = repo.latest_draft(incident_id)
    if incident is None or not incident.header_ts:
        return 0
    view = WatchAsk(incident_id, incident.ref, approved.approved_at if approved else None)
    marker = Marker(incident_id, STEP)
    channel, thread_ts = incident.channel, incident.header_ts

    def find() -> PostRef | None:
        try:
            return env.messenger.find(channel, thread_ts, marker)
        except Undelivered:
            return None

    try:
        ref = post_once(
            env, _key(incident_id), lambda: env.messenger.send(channel, view, marker, thread_ts), find=find
        )
    except Undelivered as exc:
        log.warning("could not ask for the figures of %s (%s)", incident.ref, exc.code)
        return 0
    with env.transaction() as repo:
        row = FollowupRows(repo).watch(incident_id, lock=True)
        done = Runs(repo).get(_key(incident_id))
        if row is not None and row.asked_at is None and done is not None and done.finished_at is not None:
            row.asked_at = env.now()
            repo.session.add(row)
            if ref is not None:
                repo.log(incident_id, STEP, "asked", BOT_ACTOR, "complaints, unsubscribes and replies since")
    return int(ref is not None)


def parse(values: dict[str, str | None]) -> tuple[Figures | None, dict[str, str]]:
    """The three figures from the modal, or the errors to show by each input."""
    numbers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name in FIGURES:
        raw = (values.get(name) or "").strip().replace(",", "")
        try:
            number = int(raw)
        except ValueError:
            errors[name] = "A whole number, 0 or more (0 if none)."
            continue
        if not 0 <= number <= MOST:
            errors[name] = "A whole number, 0 or more (0 if none)."
            continue
        numbers[name] = number
    if errors:
        return None, errors
    return Figures(**numbers), {}


def assessed_complaints(incident: Incident) -> int | None:
    """The complaints answered at assessment, where the runbook asks for them."""
    value: Any = (incident.answers or {}).get("complaints")
    try:
        return None if value is None or value == "" else int(str(value).replace(",", ""))
    except ValueError:
        return None


def record(env: Env, incident_id: int, figures: Figures, user: str, key: str) -> WatchNote | None:
    """Keep the figures (a later recording replaces them), log them, say them in the thread and,
    when complaints are much higher than at assessment, suggest re-assessing. None on a repeat."""
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        row = FollowupRows(repo).watch(incident_id, lock=True)
        if row is None:
            raise UserError(f"{incident.ref} has no watch after its apology, so there is nothing to record.")
        if not repo.claim(key):
            return None
        row.complaints, row.unsubscribes, row.replies = (
            figures.complaints,
            figures.unsubscribes,
            figures.replies,
        )
        row.recorded_by, row.recorded_at = user, env.now()
        repo.session.add(row)
        said = (
            f"{figures.complaints} complaints, {figures.unsubscribes} unsubscribes, {figures.replies} replies"
        )
        repo.log(incident_id, STEP, "recorded", user, said)
        then = assessed_complaints(incident)
        try:
            check(state(incident), Action.REASSESS)
            open_ = True
        except NotAllowed:
            open_ = False
        asked = Runs(repo).get(_key(incident_id))
        approved = repo.latest_draft(incident_id)
    note = WatchNote(
        incident_id, incident.ref, figures, user, then, followup.much_higher(figures.complaints, then), open_
    )
    _say(env, incident, note, asked.ref if asked else "", approved.approved_at if approved else None)
    return note


def _say(env: Env, incident: Incident, note: WatchNote, asked: str, approved_at: datetime | None) -> None:
    """The line in the thread, and the question redrawn with the figures (best effort: they are kept)."""
    assert incident.id is not None
    marker = Marker(incident.id, STEP)
    try:
        env.messenger.send(incident.channel, note, Marker(incident.id, "watch-figures"), incident.header_ts)
    except Undelivered as exc:
        log.warning("could not say the figures of %s in its thread (%s)", incident.ref, exc.code)
    channel, _, ts = asked.partition("/")
    if channel and ts:
        ask = WatchAsk(incident.id, incident.ref, approved_at, note.figures, note.recorded_by)
        try:
            env.messenger.edit(PostRef(channel, ts), ask, marker)
        except Undelivered as exc:
            log.info("could not redraw the watch question of %s (%s)", incident.ref, exc.code)


def figures_of(repo: Repo, incident_id: int) -> IncidentWatch | None:
    """The incident's watch (due, asked, recorded), for its record."""
    return FollowupRows(repo).watch(incident_id)


def current(env: Env, incident_id: int) -> tuple[str, Figures | None]:
    """The incident's ref and the figures recorded so far; UserError when it has no watch here."""
    with env.read() as repo:
        incident = get(repo, incident_id)
        row = FollowupRows(repo).watch(incident_id)
    if row is None:
        raise UserError(f"{incident.ref} has no watch after its apology, so there is nothing to record.")
    if row.complaints is None or row.unsubscribes is None or row.replies is None:
        return incident.ref, None
    return incident.ref, Figures(row.complaints, row.unsubscribes, row.replies)
