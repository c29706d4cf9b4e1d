"""Queries over action items (bot.store.tables.ActionItem): what a retrospective decided to do, by whom,
by when. Every query is scoped to the Repo's workspace, so an id from a crafted payload of another
workspace finds nothing. Each open item carries the day its owner is next reminded (``next_remind_on``,
NULL once done), set here whenever the item changes, so what is due is read from the
(team, next_remind_on) index and never grows with the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, update
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.tables import ActionItem, Incident, JobRun, utcnow

# A reminder is repeated this long after the last one while the item stays open.
REPEAT_EVERY = timedelta(days=7)
# Reminders due in one sweep of one workspace: the rest wait for the next minute.
DUE_BATCH = 200


@dataclass(frozen=True)
class NewItem:
    text: str
    owner: str
    due: date


class ActionItems:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def add(self, incident_id: int, items: Sequence[NewItem], created_by: str) -> None:
        for item in items:
            self.session.add(
                ActionItem(
                    team_id=self.team,
                    incident_id=incident_id,
                    text=item.text[:300],
                    owner=item.owner,
                    due=item.due,
                    next_remind_on=item.due,
                    created_by=created_by,
                    created_at=utcnow(),
                )
            )

    def get(self, item_id: int, *, lock: bool = False) -> ActionItem | None:
        query = select(ActionItem).where(ActionItem.id == item_id, ActionItem.team_id == self.team)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def of_incident(self, incident_id: int) -> list[ActionItem]:
        query = select(ActionItem).where(
            ActionItem.team_id == self.team, ActionItem.incident_id == incident_id
        )
        return list(self.session.exec(query.order_by(col(ActionItem.id))))

    def due(self, day: date, *, limit: int = DUE_BATCH) -> list[ActionItem]:
        """Open items whose reminder is due by ``day`` (their next_remind_on), oldest first: on their due
        date, then a week after the last reminder; a snoozed one on the day it was snoozed to."""
        query = (
            select(ActionItem)
            .where(ActionItem.team_id == self.team, col(ActionItem.next_remind_on) <= day)
            .order_by(col(ActionItem.next_remind_on), col(ActionItem.id))
            .limit(limit)
        )
        return list(self.session.exec(query))

    def reminded(self, item_id: int, day: date) -> None:
        """The owner was sent the reminder of ``day``: the next is a week later. One statement, so a
        Snooze pressed after the sweep read the item (to a day later than ``day``) is kept, and an item
        done meanwhile stays out of the due set."""
        snoozed_later = col(ActionItem.snoozed_until) > day
        self.session.execute(
            update(ActionItem)
            .where(col(ActionItem.team_id) == self.team, col(ActionItem.id) == item_id)
            .values(
                reminded_on=day,
                snoozed_until=case((snoozed_later, col(ActionItem.snoozed_until)), else_=None),
                next_remind_on=case(
                    (col(ActionItem.done_at).is_not(None), None),
                    (snoozed_later, col(ActionItem.snoozed_until)),
                    else_=day + REPEAT_EVERY,
                ),
            )
        )

    def open_items(self, *, owner: str | None = None, limit: int = 50) -> list[tuple[ActionItem, Incident]]:
        """Open items with their incidents, newest incidents first (the owner index when given)."""
        query = (
            select(ActionItem, Incident)
            .join(Incident, and_(Incident.id == ActionItem.incident_id, Incident.team_id == self.team))
            .where(ActionItem.team_id == self.team, col(ActionItem.done_at).is_(None))
        )
        if owner is not None:
            query = query.where(ActionItem.owner == owner)
        query = query.order_by(col(ActionItem.incident_id).desc(), col(ActionItem.id)).limit(limit)
        return [(item, incident) for item, incident in self.session.exec(query)]

    def reminders_sent(self, item_id: int) -> list[str]:
        """Where the owner's reminders of this item were posted ("channel/ts"), from the runs that sent
        them (bot.usecases.once writes the ref when a post is made)."""
        query = select(JobRun.ref).where(
            JobRun.team_id == self.team,
            col(JobRun.key).startswith(f"action-due:{item_id}:"),
            col(JobRun.ref) != "",
        )
        return list(self.session.exec(query))


def mark_done(item: ActionItem, user: str, now: datetime) -> bool:
    """Done by ``user`` now; False (nothing changed) when it was done already."""
    if item.done_at is not None:
        return False
    item.done_at, item.done_by, item.next_remind_on = now, user, None
    return True


def snooze_until(item: ActionItem, day: date) -> bool:
    """Not reminded before ``day``; False (nothing changed) when it is done."""
    if item.done_at is not None:
        return False
    item.snoozed_until = item.next_remind_on = day
    return True
