"""What the retrospective form shows and checks beyond its text: the incident's timeline from the decision
log, the runbook's root-cause categories, and the action item rows (text, owner, due date)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.runbook.incident import Step
from bot.snapshot import Snapshot
from bot.store.tables import DecisionLog
from bot.usecases.context import Env

START_ROWS = 3  # action item rows a new form shows
MAX_ROWS = 10  # "Add another action item" stops here
ACTION_TEXT_MAX = 300
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,38}$")  # what a users_select gives; anything else was crafted


@dataclass(frozen=True)
class ActionRow:
    """One action item row as typed; every part may be empty (a row left blank is ignored)."""

    index: int
    text: str = ""
    owner: str = ""
    due: date | None = None

    @property
    def blank(self) -> bool:
        return not self.text.strip() and not self.owner and self.due is None


@dataclass(frozen=True)
class RetroForm:
    """The form as it opens: the incident, its timeline, the causes to pick from, and the rows."""

    snap: Snapshot
    timeline: tuple[tuple[str, datetime], ...]
    causes: tuple[tuple[str, str], ...]  # (id, label)
    rows: tuple[ActionRow, ...]
    today: date  # in the team's time zone: a due date must come after it
    cause: str = ""
    max_rows: int = MAX_ROWS


def timeline(log: list[DecisionLog]) -> tuple[tuple[str, datetime], ...]:
    """Reported, assessed, told, decided, apology approved: when each last happened (reported and told:
    the first time), from the decision log, in the order they happened."""
    first: dict[str, tuple[str, datetime]] = {}
    last: dict[str, tuple[str, datetime]] = {}
    for row in log:
        if row.at is None:
            continue
        if row.step == Step.REPORT and row.choice != "resumed":
            first.setdefault("reported", ("Reported", row.at))
        elif row.step == Step.NOTIFY:
            first.setdefault("told", ("Told", row.at))
        elif row.step == Step.ASSESS:
            last["assessed"] = (f"Assessed {row.choice}", row.at)
        elif row.step == Step.DECIDE and row.choice != "reopened":
            last["decided"] = ("Decided", row.at)
        elif row.step == Step.APPROVE:
            last["approved"] = ("Apology approved", row.at)
    return tuple(sorted([*first.values(), *last.values()], key=lambda item: item[1]))


def build(env: Env, snap: Snapshot, rows: tuple[ActionRow, ...] = (), cause: str = "") -> RetroForm:
    with env.read() as repo:
        log = repo.decision_log(snap.id)
    runbook = env.runbooks.get(snap.runbook_id)
    causes = tuple((c.id, c.label) for c in runbook.causes) if runbook else ()
    rows = rows or tuple(ActionRow(i) for i in range(START_ROWS))
    today = env.now().astimezone(env.config.team.tz).date()
    return RetroForm(snap, timeline(log), causes, rows[:MAX_ROWS], today, cause)


def add_row(rows: tuple[ActionRow, ...]) -> tuple[ActionRow, ...]:
    """One more empty row, keeping what was typed; none past MAX_ROWS."""
    if len(rows) >= MAX_ROWS:
        return rows
    return (*rows, ActionRow(len(rows)))


def check_rows(rows: tuple[ActionRow, ...], today: date) -> dict[str, str]:
    """Errors by field (``action_<i>_text|owner|due``): a row with text needs an owner and a due date
    after today; an owner or a date alone needs the text."""
    errors: dict[str, str] = {}
    for row in rows:
        if row.blank:
            continue
        name = f"action_{row.index}_"
        if not row.text.strip():
            errors[name + "text"] = "Say what is to be done, or clear this row's owner and date."
            continue
        if len(row.text.strip()) > ACTION_TEXT_MAX:
            errors[name + "text"] = f"Keep it under {ACTION_TEXT_MAX} characters."
        if not row.owner:
            errors[name + "owner"] = "Pick who will do it."
        elif not USER_ID.match(row.owner):
            errors[name + "owner"] = "Pick a person from the list."
        if row.due is None:
            errors[name + "due"] = "Pick the day it is due."
        elif row.due <= today:
            errors[name + "due"] = "Pick a day after today."
    return errors


def filled(rows: tuple[ActionRow, ...]) -> tuple[ActionRow, ...]:
    return tuple(row for row in rows if not row.blank)
