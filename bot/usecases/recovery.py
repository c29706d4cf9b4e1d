"""Finishing what was left half-done: at start-up for every workspace, and on `/oops resume`.

An incident may be left with a post not yet made (Slack refused it, or the bot stopped between
recording the intent and saving the post), a notice whose outcome was lost, or a decision whose
apology was never drafted. Finishing draws every part its state calls for; posts already made are
found by their marker, not made twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.runbook.incident import Status, Step
from bot.snapshot import Snapshot
from bot.usecases import apology, report, retrospective
from bot.usecases.context import BOT_ACTOR, Deps, Env, current, get
from bot.usecases.ports import DRAFT, REMINDER, RETRO, SUMMARY
from bot.usecases.thread import Thread

log = logging.getLogger(__name__)
# An incident changed this recently may still be in another process's hands: it is left to that one.
QUIET = timedelta(seconds=30)


def resume(env: Env, incident_id: int, channel: str, user: str) -> Snapshot:
    """Draw every part the incident's state calls for, posting what is missing (after Slack refused
    a post, or the bot stopped half-way). An incident never shown moves to ``channel``."""
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if incident.header_ts is None:
            incident.channel = channel
            repo.touch(incident)
            for post in repo.posts(incident_id).values():  # an intent for the old channel is void
                if post.ts is None:
                    post.channel = channel
                    repo.session.add(post)
        repo.log(incident_id, Step.REPORT, "resumed", user, f"in <#{incident.channel}>")
    return finish(env, incident_id)


def finish(env: Env, incident_id: int) -> Snapshot:
    with env.read() as repo:
        incident = get(repo, incident_id)
        latest = repo.latest_draft(incident_id)
        status, has_draft = Status(incident.status), latest is not None
        needs_draft = status is Status.DRAFTING and not (
            latest is not None and current(latest.created_at, incident.decided_at)
        )
    thread = Thread(env, incident_id)
    report.post_opening(env, thread)
    if needs_draft:
        apology.write_draft(env, incident_id, BOT_ACTOR)
        has_draft = True
    kinds = [DRAFT] if has_draft else []
    if status not in (Status.DECIDING, Status.DRAFTING):
        kinds.append(RETRO)
    if status is Status.RETRO_DUE:
        kinds.append(REMINDER)
    if status is Status.CLOSED:
        kinds.append(SUMMARY)
    if kinds:
        thread.show(*kinds)
    retrospective.rearm(env.deps, env.team, incident_id)
    with env.read() as repo:
        return thread.load(repo)


def recover(deps: Deps) -> int:
    """At start-up: finish every incident of every workspace that was left half-done. Returns how many
    were looked at; one that cannot be finished now is logged and left for `/oops resume`."""
    now = deps.clock()
    pending = deps.fleet.unfinished(quiet_since=now - QUIET)
    for team, incident_id in pending:
        if not deps.fleet.claim(team, incident_id, now - QUIET, now):
            continue  # another process took it, or someone is working on it right now
        try:
            finish(deps.env(team), incident_id)
        except Exception as exc:  # one workspace or channel failing must not stop the others
            log.warning("could not finish OOPS-%s of %s at start: %s", incident_id, team, type(exc).__name__)
    return len(pending)
