"""A retrospective that is not forgotten: its people are told in person, it is reminded once more if
it is not held, then marked overdue; "Move it" (bot.usecases.retrospective.schedule) starts it over.

The reminder in the thread is posted by bot.usecases.retrospective.remind, which then calls
remind_people. Everything later comes from the minute sweep (sweep_retros), read from the incident's
reminded_at, retro_at and the config; each post goes through post_once under a key that names the
retrospective's time, so a moved retrospective gets a fresh cycle and nothing is posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.runbook import followup
from bot.runbook.calendar import default_retro_time
from bot.runbook.incident import Status, Step
from bot.store.followups import FollowupRows
from bot.store.repo import Repo
from bot.store.runs import Runs
from bot.store.tables import Incident
from bot.usecases.context import BOT_ACTOR, Env
from bot.usecases.once import post_once, ran
from bot.usecases.ports import HEADER, REMINDER, Marker, PostRef, Undelivered
from bot.usecases.thread import Thread

log = logging.getLogger(__name__)
# The jobs that send the reminder to each person, first and again: their run keys start with these.
DM_JOBS = ("retro-dm", "retro-again-dm")

FIRST, AGAIN = "first", "again"


@dataclass(frozen=True)
class RetroNudge:
    """'Time for the retrospective': to one person (``person``), or the second reminder in the thread."""

    incident_id: int
    ref: str
    title: str
    retro_at: datetime
    move_default: datetime  # what the Move it picker shows
    tz: ZoneInfo
    link: str  # the incident's thread, when Slack gave its link
    again: bool
    person: str | None = None


@dataclass(frozen=True)
class RetroOverdue:
    """The line in the thread that says the retrospective is overdue."""

    incident_id: int
    ref: str
    since: datetime
    tz: ZoneInfo


def people(repo: Repo, incident: Incident) -> list[str]:
    """Who is told in person: the reporter, the decider and whoever approved the apology, once each."""
    assert incident.id is not None
    found = [incident.reporter, incident.decided_by, *FollowupRows(repo).approvers(incident.id)]
    out: list[str] = []
    for user in found:
        if user and user != BOT_ACTOR and user not in out:
            out.append(user)
    return out


def _stamp(when: datetime) -> str:
    return f"{when:%Y%m%dT%H%M}"


def _nudge(env: Env, incident: Incident, *, again: bool, person: str | None = None) -> RetroNudge:
    assert incident.id is not None and incident.retro_at is not None
    config = env.config
    link = env.permalink(incident.channel, incident.header_ts) if incident.header_ts else ""
    default = default_retro_time(
        env.now(), config.team.tz, config.retrospective.delay_working_days, config.retrospective.at
    )
    return RetroNudge(
        incident.id,
        incident.ref,
        incident.title,
        incident.retro_at,
        default,
        config.team.tz,
        link,
        again,
        person,
    )


def _finder(env: Env, channel: str, thread_ts: str | None, marker: Marker) -> Callable[[], PostRef | None]:
    """post_once's look for a post a dead run may have made; a look Slack refuses finds nothing."""

    def find() -> PostRef | None:
        try:
            return env.messenger.find(channel, thread_ts, marker)
        except Undelivered as exc:
            log.info("could not look for %s of OOPS-%s (%s)", marker.part, marker.incident, exc.code)
            return None

    return find


def _due(env: Env, incident_id: int) -> Incident | None:
    """The incident while its retrospective is due (reminded, not held, not moved), else None."""
    with env.read() as repo:
        incident = repo.incident(incident_id)
    if incident is None or incident.status != Status.RETRO_DUE or incident.retro_at is None:
        return None
    return incident


def remind_people(env: Env, incident_id: int, round_: str = FIRST) -> int:
    """A direct message to each of the incident's people, once per reminder round; how many were sent.
    A person Slack will not reach is logged and skipped: the thread has the reminder too."""
    incident = _due(env, incident_id)
    if incident is None:
        return 0
    with env.read() as repo:
        to = people(repo, incident)
    assert incident.retro_at is not None
    job = DM_JOBS[0] if round_ == FIRST else DM_JOBS[1]
    # The marker names the cycle: after Move it, a look for a lost post must not find the old one.
    marker = Marker(incident_id, f"{job}:{_stamp(incident.retro_at)}")
    sent = 0
    for user in to:
        key = f"{job}:{incident_id}:{user}:{_stamp(incident.retro_at)}"
        if ran(env, key):  # the usual case at each sweep: a read, not a refused insert
            continue
        view = _nudge(env, incident, again=round_ == AGAIN, person=user)
        try:
            ref = post_once(
                env,
                key,
                lambda u=user, v=view: env.messenger.send(u, v, marker),
                find=_finder(env, user, None, marker),
            )
        except Undelivered as exc:
            log.info("could not remind %s of OOPS-%s's retrospective (%s)", user, incident_id, exc.code)
            continue
        sent += ref is not None
    return sent


def sweep_retros(env: Env, now: datetime) -> int:
    """The sweeper: reminded retrospectives not held get their missed DMs, one more reminder after the
    configured delay, then the overdue mark; how many things were posted."""
    with env.read() as repo:
        due = FollowupRows(repo).reminded(now)
    return sum(_follow(env, incident_id, now) for incident_id in due)


def _follow(env: Env, incident_id: int, now: datetime) -> int:
    hours = env.config.retrospective.remind_again_after_hours
    incident = _due(env, incident_id)
    if incident is None or incident.reminded_at is None or incident.retro_at is None:
        return 0
    if now < followup.again_at(incident.reminded_at, hours):
        return remind_people(env, incident_id, FIRST)  # a run that died before its DMs
    stamp = _stamp(incident.retro_at)
    again_key = f"retro-again:{incident_id}:{stamp}"
    if not ran(env, again_key):
        # The overdue mark waits for a later sweep, so after downtime people are reminded before it.
        return _post_in_thread(env, incident, again_key, _nudge(env, incident, again=True), "again") + (
            remind_people(env, incident_id, AGAIN)
        )
    overdue_key = f"retro-overdue:{incident_id}:{stamp}"
    if ran(env, overdue_key):
        return 0  # marked: a person Slack would not reach is no longer tried every minute
    posted = remind_people(env, incident_id, AGAIN)
    since = followup.overdue_since(Status.RETRO_DUE, incident.reminded_at, now, hours)
    if since is None:
        return posted
    view = RetroOverdue(incident_id, incident.ref, since, env.config.team.tz)
    if _post_in_thread(env, incident, overdue_key, view, "overdue"):
        Thread(env, incident_id).refresh(HEADER, REMINDER)
        posted += 1
    return posted


def _post_in_thread(env: Env, incident: Incident, key: str, view: object, choice: str) -> int:
    """Post ``view`` in the incident's thread under ``key`` and log it; 1 when this call posted it."""
    assert incident.id is not None
    if not incident.header_ts:
        return 0
    assert incident.retro_at is not None
    marker = Marker(incident.id, f"retro-{choice}:{_stamp(incident.retro_at)}")
    channel, thread_ts = incident.channel, incident.header_ts
    try:
        ref = post_once(
            env,
            key,
            lambda: env.messenger.send(channel, view, marker, thread_ts=thread_ts),
            find=_finder(env, channel, thread_ts, marker),
        )
    except Undelivered as exc:
        log.warning("could not post the %s reminder of %s (%s)", choice, incident.ref, exc.code)
        return 0
    if ref is None:
        return 0
    with env.transaction() as repo:
        repo.log(incident.id, Step.RETRO_REMIND, choice, BOT_ACTOR)
    return 1


@dataclass(frozen=True)
class RetroSettled:
    """A reminder redrawn once it no longer stands: the retrospective was held, or moved."""

    ref: str
    held: bool
    retro_at: datetime | None  # the new time, when moved
    tz: ZoneInfo


def settle(env: Env, incident_id: int, retro_at: datetime | None) -> int:
    """Redraw the reminders of the cycle set for ``retro_at`` (to people, and the second one in the
    thread) as the retrospective is now, so no old button offers a retrospective held or moved.
    Best effort, after the change is recorded: an old button only meets a polite refusal."""
    if retro_at is None:
        return 0
    stamp = _stamp(retro_at)
    with env.read() as repo:
        incident = repo.incident(incident_id)
        if incident is None:
            return 0
        keys = [(f"retro-again:{incident_id}:{stamp}", "retro-again")]
        for user in people(repo, incident):
            keys += [(f"{job}:{incident_id}:{user}:{stamp}", job) for job in DM_JOBS]
        found = [(Runs(repo).get(key), part) for key, part in keys]
    held = incident.status == Status.CLOSED
    view = RetroSettled(incident.ref, held, None if held else incident.retro_at, env.config.team.tz)
    edited = 0
    for run, part in found:
        channel, _, ts = (run.ref if run is not None else "").partition("/")
        if not (channel and ts):
            continue
        try:
            env.messenger.edit(PostRef(channel, ts), view, Marker(incident_id, f"{part}:{stamp}"))
            edited += 1
        except Undelivered as exc:
            log.info("could not redraw a reminder of %s (%s)", incident.ref, exc.code)
    return edited
