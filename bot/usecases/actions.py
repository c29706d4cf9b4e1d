"""Action items over time: the owner is sent a direct message on the due date (at action_items.remind_at,
the team's time), again a week later while it stays open, or on the day it was snoozed to; Done (by
anyone in the workspace, who is noted) closes it everywhere it is shown; `/oops actions` lists them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runbook.incident import Step
from bot.store.actions import ActionItems, mark_done, snooze_until
from bot.store.tables import ActionItem, Incident
from bot.usecases.context import Env
from bot.usecases.once import post_once, ran
from bot.usecases.ports import SUMMARY, Marker, PostRef, Undelivered, UserError
from bot.usecases.thread import Thread

log = logging.getLogger(__name__)
SNOOZE_DAYS = (1, 7)  # Snooze: a day, a week
LIST_LIMIT = 30  # `/oops actions` shows this many, newest incidents first


@dataclass(frozen=True)
class ActionReminder:
    """The owner's direct message about one action item (redrawn when it is done or snoozed)."""

    id: int
    incident_ref: str
    incident_title: str
    text: str
    owner: str
    due: date
    today: date
    tz: ZoneInfo
    link: str = ""
    done_by: str | None = None
    done_at: datetime | None = None
    snoozed_until: date | None = None

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due < self.today


@dataclass(frozen=True)
class ListedItem:
    id: int
    incident_ref: str
    incident_title: str
    text: str
    owner: str
    due: date
    overdue: bool
    link: str = ""


@dataclass(frozen=True)
class ActionListing:
    """The answer to `/oops actions [mine]`, shown only to the person who asked."""

    items: tuple[ListedItem, ...]
    mine: bool
    user: str
    today: date
    more: bool = False


def today(env: Env, now: datetime | None = None) -> date:
    return (now or env.now()).astimezone(env.config.team.tz).date()


def reminder_day(env: Env, now: datetime) -> date:
    """The day whose reminders are due: today once remind_at has passed in the team's zone, else
    yesterday (whose reminders went out, or are owed after downtime)."""
    local = now.astimezone(env.config.team.tz)
    if local.time() >= env.config.action_items.remind_at:
        return local.date()
    return local.date() - timedelta(days=1)


def _link(env: Env, incident: Incident | None) -> str:
    if incident is None or not incident.header_ts:
        return ""
    return env.known_permalink(incident.channel, incident.header_ts)


def _reminder(env: Env, item: ActionItem, incident: Incident | None, day: date) -> ActionReminder:
    assert item.id is not None
    return ActionReminder(
        id=item.id,
        incident_ref=incident.ref if incident else f"OOPS-{item.incident_id}",
        incident_title=incident.title if incident else "",
        text=item.text,
        owner=item.owner,
        due=item.due,
        today=day,
        tz=env.config.team.tz,
        link=_link(env, incident),
        done_by=item.done_by,
        done_at=item.done_at,
        snoozed_until=item.snoozed_until,
    )


def _marker(item: ActionItem) -> Marker:
    return Marker(item.incident_id, f"action:{item.id}")


def remind_due(env: Env, now: datetime) -> int:
    """The sweeper: a direct message to the owner of each item due; once per item and day (post_once).
    The item moves on to its next reminder only once the message is known to be there: a post whose
    answer was lost (a timeout, a 5xx) keeps it due, and a later sweep looks for it in the DM."""
    day = reminder_day(env, now)
    with env.read() as repo:
        due = [(item, repo.incident(item.incident_id)) for item in ActionItems(repo).due(day)]
    sent = 0
    for item, incident in due:
        view = _reminder(env, item, incident, day)
        key = f"action-due:{item.id}:{day.isoformat()}"

        def post(item: ActionItem = item, view: ActionReminder = view) -> PostRef:
            return env.messenger.send(item.owner, view, _marker(item))

        try:
            posted = post_once(env, key, post, find=_finder(env, item))
        except Undelivered as exc:
            log.info(
                "could not remind %s of action item %s (%s); the next sweep tries again",
                item.owner,
                item.id,
                exc.code,
            )
            continue
        if posted is not None:
            sent += 1
        elif not ran(env, key):
            continue  # another run's post is still unsure: its key is looked at again when stale
        with env.transaction() as repo:
            ActionItems(repo).reminded(item.id or 0, day)
    return sent


def _finder(env: Env, item: ActionItem) -> Callable[[], PostRef | None]:
    """post_once's look in the owner's DM for a reminder a run may have posted without knowing it."""

    def find() -> PostRef | None:
        try:
            return env.messenger.find(item.owner, None, _marker(item))
        except Undelivered as exc:
            log.info("could not look for the reminder of action item %s (%s)", item.id, exc.code)
            return None

    return find


def done(env: Env, item_id: int, user: str) -> ActionReminder:
    """Mark it done (a second click changes nothing), then redraw its DMs and the thread's list."""
    now = env.now()
    with env.transaction() as repo:
        items = ActionItems(repo)
        item = items.get(item_id, lock=True)
        if item is None:
            raise UserError("That action item is not one of this workspace's.")
        if mark_done(item, user, now):
            repo.session.add(item)
            repo.log(item.incident_id, Step.ACTION, "done", user, item.text)
        incident = repo.incident(item.incident_id)
        refs = items.reminders_sent(item_id)
    view = _reminder(env, item, incident, today(env, now))
    for ref in refs:
        channel, _, ts = ref.partition("/")
        try:
            env.messenger.edit(PostRef(channel, ts), view, _marker(item))
        except Undelivered as exc:
            log.info("could not redraw the reminder of action item %s (%s)", item_id, exc.code)
    if incident is not None:
        Thread(env, item.incident_id).refresh(SUMMARY)
    return view


def snooze(env: Env, item_id: int, days: int, user: str, shown: PostRef | None) -> ActionReminder:
    """Not reminded again before ``days`` from today; the message it was asked from says until when."""
    if days not in SNOOZE_DAYS:
        raise UserError("Snooze for a day or a week.")
    now = env.now()
    with env.transaction() as repo:
        item = ActionItems(repo).get(item_id, lock=True)
        if item is None:
            raise UserError("That action item is not one of this workspace's.")
        if snooze_until(item, today(env, now) + timedelta(days=days)):
            repo.session.add(item)
            repo.log(
                item.incident_id,
                Step.ACTION,
                "snoozed",
                user,
                f"{item.text} until {item.snoozed_until}",
            )
        incident = repo.incident(item.incident_id)
        sent = set(ActionItems(repo).reminders_sent(item_id))
    view = _reminder(env, item, incident, today(env, now))
    # Only a reminder of this item is redrawn: a crafted click naming another message changes nothing.
    if shown is not None and f"{shown.channel}/{shown.ts}" in sent:
        env.messenger.edit(shown, view, _marker(item))
    return view


def listing(env: Env, user: str, *, mine: bool) -> ActionListing:
    day = today(env)
    with env.read() as repo:
        found = ActionItems(repo).open_items(owner=user if mine else None, limit=LIST_LIMIT + 1)
    items = tuple(
        ListedItem(
            item.id or 0,
            incident.ref,
            incident.title,
            item.text,
            item.owner,
            item.due,
            item.due < day,
            _link(env, incident),
        )
        for item, incident in found[:LIST_LIMIT]
    )
    return ActionListing(items, mine, user, day, more=len(found) > LIST_LIMIT)
