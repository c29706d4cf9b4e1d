"""The retrospective: scheduled, reminded at its time, held; it closes the incident with lessons."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.runbook.incident import Action, Status, Step
from bot.store.actions import ActionItems, NewItem
from bot.store.search import SearchRows
from bot.store.tables import DecisionLog, Incident, Retrospective
from bot.usecases import policy, retro_followup, retro_form, retro_summary
from bot.usecases.context import BOT_ACTOR, Deps, Env, advance, get
from bot.usecases.policy import Act
from bot.usecases.ports import (
    ASSESSMENT,
    DECISION,
    DEPARTMENTS,
    DRAFT,
    HEADER,
    REMINDER,
    RETRO,
    SUMMARY,
    Undelivered,
    UserError,
)
from bot.usecases.retro_form import ActionRow
from bot.usecases.thread import Thread

log = logging.getLogger(__name__)
REMINDER_RETRY = timedelta(minutes=5)
REMINDER_TRIES = 6  # then a person is asked to fix what Slack refuses, and to resume
CHECKLIST_ITEM_MAX = 300
SAVE_SLACK = timedelta(minutes=5)  # between the form's check and its saving (see check_form)
FIELDS = ("what_went_wrong", "root_cause", "what_we_change")


@dataclass(frozen=True)
class RetroInput:
    what_went_wrong: str
    root_cause: str
    what_we_change: str
    checklist: tuple[str, ...]
    cause: str = ""  # a cause id of the incident's runbook, or empty
    actions: tuple[ActionRow, ...] = ()


def parse_checklist(text: str | None) -> tuple[str, ...]:
    """One item a line; bullets and blank lines are dropped, repeats kept once."""
    items: list[str] = []
    for line in (text or "").splitlines():
        item = line.strip().lstrip("-*•").strip()
        if item and item not in items:
            items.append(item[:CHECKLIST_ITEM_MAX])
    return tuple(items)


def check(retro: RetroInput) -> dict[str, str]:
    errors = {
        name: "A sentence or two is needed here." for name in FIELDS if not getattr(retro, name).strip()
    }
    errors.update(
        {name: "Keep this under 3,000 characters." for name in FIELDS if len(getattr(retro, name)) > 3000}
    )
    return errors


def check_form(
    env: Env, incident_id: int, retro: RetroInput, *, slack: timedelta = timedelta()
) -> dict[str, str]:
    """Everything the form can be refused for, by field: the text, the cause, the action item rows.
    ``slack`` moves "today" back: the saving step runs after the form closed, and a due date checked
    at 23:59:59 must not be refused at midnight, silently, with nobody left to show it to."""
    errors = check(retro)
    if retro.cause:
        with env.read() as repo:
            runbook = env.runbooks.get(get(repo, incident_id).runbook_id)
        if runbook is None or retro.cause not in {c.id for c in runbook.causes}:
            errors["cause"] = "Pick one of the causes in the list."
    today = (env.now() - slack).astimezone(env.config.team.tz).date()
    errors.update(retro_form.check_rows(retro.actions, today))
    return errors


def schedule(env: Env, incident_id: int, when: datetime, user: str, key: str) -> None:
    if when.tzinfo is None:
        raise ValueError("schedule needs an aware datetime")
    if when <= env.now():
        raise UserError("Pick a time in the future for the retrospective.")
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return
        new = advance(incident, Action.SCHEDULE_RETRO)
        moved = incident.retro_at is not None
        before = incident.retro_at
        incident.status, incident.retro_at, incident.reminded_at = new.status, when, None
        repo.touch(incident)
        local = when.astimezone(env.config.team.tz).strftime("%a %d %b %Y %H:%M %Z")
        repo.log(incident_id, Step.RETRO_SCHEDULE, local, user, "moved" if moved else "")
    # After the commit: APScheduler writes its job table on its own connection.
    env.deps.scheduler.schedule(incident_id, when)
    # A reminder already posted now says the retrospective moved; the next one is a new message.
    Thread(env, incident_id).refresh(HEADER, RETRO, REMINDER)
    with env.transaction() as repo:
        repo.drop_post(incident_id, REMINDER)
    retro_followup.settle(env, incident_id, before)  # the reminders people got say it moved


def remind(env: Env, incident_id: int) -> bool:
    """Called by the scheduler. True when this call posted the reminder (at most one does).

    If the reminder cannot be posted, the incident goes back to waiting, the job is set again in a
    few minutes, and the thread (or else the reporter) is told so: a lost reminder would leave the
    retrospective without its button, and a silent retry would leave nobody knowing why.
    """
    with env.lock(incident_id):
        with env.transaction() as repo:
            incident = repo.incident(incident_id, lock=True)
            if incident is None or incident.status != Status.RETRO_SCHEDULED:
                return False
            new = advance(incident, Action.REMIND)
            incident.status, incident.reminded_at = new.status, env.now()
            repo.touch(incident)
            repo.log(incident_id, Step.RETRO_REMIND, "reminded", BOT_ACTOR)
        try:
            Thread(env, incident_id).show(REMINDER, edit=(HEADER, RETRO))
        except Undelivered as exc:
            with env.transaction() as repo:
                incident = get(repo, incident_id, lock=True)
                incident.status, incident.reminded_at = Status.RETRO_SCHEDULED, None
                repo.touch(incident)
                tries = _failed_tries(repo.decision_log(incident_id)) + 1
                retry = env.now() + REMINDER_RETRY if tries < REMINDER_TRIES else None
                then = "trying again" if retry else f"stopped after {tries} tries"
                repo.log(incident_id, Step.RETRO_REMIND, "failed", BOT_ACTOR, f"{exc.code}; {then}")
            if retry is not None:
                env.deps.scheduler.schedule(incident_id, retry)
            _warn(env, incident, exc.code, retry)
            return False
    # Then each of its people in person; the sweep sends any a failure here left out.
    try:
        retro_followup.remind_people(env, incident_id)
    except Exception:
        log.exception("the direct messages of OOPS-%s's reminder failed; the sweep tries again", incident_id)
    return True


def _failed_tries(log_rows: list[DecisionLog]) -> int:
    """Reminders that failed since the retrospective was last scheduled."""
    tries = 0
    for row in log_rows:
        if row.step == Step.RETRO_SCHEDULE:
            tries = 0
        elif row.step == Step.RETRO_REMIND and row.choice == "failed":
            tries += 1
    return tries


def _warn(env: Env, incident: Incident, code: str, retry: datetime | None) -> None:
    """Say in the thread, else to the reporter, that the reminder did not go out and what happens next."""
    ref = incident.ref
    if retry is not None:
        at = retry.astimezone(env.config.team.tz).strftime("%H:%M")
        then = f"I will try again at {at}."
    else:
        then = f"I stopped trying: fix that (invite me, or fix the channel), then type `/oops resume {ref}`."
    text = f"⚠️ I could not post the retrospective reminder for {ref} ({code}). {then}"
    for target, thread_ts in ((incident.channel, incident.header_ts), (incident.reporter, None)):
        try:
            env.messenger.say(target, text, thread_ts)
            return
        except Undelivered as failure:
            log.info("could not warn %s about %s's reminder (%s)", target, ref, failure.code)


def submit(env: Env, incident_id: int, retro: RetroInput, user: str, key: str) -> dict[str, str]:
    # The modal's check (at ack) showed any error to the person; this one only keeps a crafted form out.
    errors = check_form(env, incident_id, retro, slack=SAVE_SLACK)
    if errors:
        return errors
    actions = [
        NewItem(row.text.strip(), row.owner, row.due)
        for row in retro_form.filled(retro.actions)
        if row.due is not None
    ]
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return {}
        policy.require(env.config, Act.CLOSE, user, incident)
        new = advance(incident, Action.SUBMIT_RETRO)
        retro_at = incident.retro_at
        row = Retrospective(
            team_id=env.team,
            incident_id=incident_id,
            what_went_wrong=retro.what_went_wrong.strip(),
            root_cause=retro.root_cause.strip(),
            what_we_change=retro.what_we_change.strip(),
            submitted_by=user,
            cause=retro.cause,
        )
        repo.add_retrospective(row, list(retro.checklist), incident.runbook_id)
        ActionItems(repo).add(incident_id, actions, user)
        SearchRows(repo).index(incident, row, retro.checklist)
        incident.status, incident.closed_at = new.status, env.now()
        repo.touch(incident)
        note = f"{len(retro.checklist)} checklist item(s), {len(actions)} action item(s)"
        repo.log(incident_id, Step.RETRO, "closed", user, note)
    env.deps.scheduler.cancel(incident_id)
    # The template is instant: the summary is written before the thread is drawn. A model may take
    # seconds: the thread shows the answers as typed at once, then its summary once written.
    slow = env.deps.summarizer is not None and env.deps.summarizer.uses_model
    if not slow:
        retro_summary.write(env, incident_id)
    Thread(env, incident_id).show(
        SUMMARY, edit=(HEADER, ASSESSMENT, DEPARTMENTS, DECISION, DRAFT, RETRO, REMINDER)
    )
    retro_followup.settle(env, incident_id, retro_at)  # the reminders people got say it was held
    if slow:
        retro_summary.write(env, incident_id)
        Thread(env, incident_id).refresh(SUMMARY)
    return {}


def rearm(deps: Deps, team: str, incident_id: int) -> bool:
    """Make sure a scheduled retrospective still has its reminder job (after a restart, a resume)."""
    with deps.store.read(team) as repo:
        incident = repo.incident(incident_id)
    if incident is None or incident.status != Status.RETRO_SCHEDULED or incident.retro_at is None:
        return False
    if deps.scheduler.scheduled(incident_id) is not None:
        return False
    deps.scheduler.schedule(incident_id, incident.retro_at)
    return True


def rearm_all(deps: Deps) -> int:
    """Every workspace's scheduled retrospectives get their job back."""
    return sum(rearm(deps, team, incident_id) for team, incident_id in deps.fleet.scheduled())
