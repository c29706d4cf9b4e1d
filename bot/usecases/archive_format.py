"""The mistake history as a file: one JSON object per incident (JSON Lines), ``oops-history/1``.

Each line holds an incident's own fields and every row it owns (decision log, notices, drafts,
retrospective, checklist items, where its messages are in Slack, action items, the watch after the
apology), keys in the order declared here,
times as ISO-8601 UTC with microseconds, so the same history always gives the same bytes. The same
models validate a file before anything of it is written, strictly (``"yes"`` is not a boolean, ``5``
is not a date), and hold every length the tables would refuse, so an import fails on the line at
fault or not at all.

Action items, the watch and the retrospective's cause and summary came later in the same format: a
line written before them has none of those keys and reads as an incident without them. Action items
are numbered afresh on import (nothing refers to their ids outside the database).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)

from bot.datafile import format_place
from bot.runbook.incident import Status
from bot.runbook.model import Decision
from bot.store.actions import REPEAT_EVERY
from bot.store.archive import Rows
from bot.store.tables import (
    ActionItem,
    ChecklistItem,
    DecisionLog,
    Draft,
    Incident,
    IncidentWatch,
    Notice,
    Post,
    Retrospective,
)
from bot.usecases.watch import MOST as FIGURE_MOST

FORMAT = "oops-history/1"
MAX_ERRORS = 10  # errors reported at most, so a wrong file does not fill the terminal
ID_MAX = 999_999_999  # what OOPS-N addresses; a larger id would push every later incident past it
LEVEL = r"^[a-z][a-z0-9_]*$"  # a scale level as runbooks name them
CAUSE = r"^([a-z][a-z0-9_]*)?$"  # a runbook's cause id, or empty (a retrospective from before causes)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Stamp = Annotated[
    AwareDatetime,
    AfterValidator(lambda d: d.astimezone(UTC)),
    PlainSerializer(iso, return_type=str, when_used="json"),
]


def optional_text(n: int) -> Any:
    """A text field that may be left out (empty), at most ``n`` characters."""
    return Field(default="", max_length=n)


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LogEntry(Part):
    step: str = Field(max_length=30)
    choice: str = Field(max_length=200)
    actor: str = Field(max_length=40)
    note: str = optional_text(3000)
    at: Stamp


class NoticeRecord(Part):
    department: str = Field(max_length=40)
    channel: str = Field(max_length=80)
    ts: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=60)
    reason: str = optional_text(1000)
    notified_by: str = Field(max_length=40)
    created_at: Stamp


class DraftRecord(Part):
    version: int = Field(ge=1, le=10_000)
    subject: str = Field(max_length=150)
    body: str = Field(max_length=3000)
    author: str = Field(max_length=40)
    source: str = Field(max_length=40)
    approved_by: str | None = Field(default=None, max_length=40)
    approved_at: Stamp | None = None
    created_at: Stamp


class RetroRecord(Part):
    what_went_wrong: str = Field(max_length=3000)
    root_cause: str = Field(max_length=3000)
    what_we_change: str = Field(max_length=3000)
    submitted_by: str = Field(max_length=40)
    created_at: Stamp
    # Later keys: a file from before them reads as the tables' defaults (no cause, no summary kept).
    cause: str = Field(default="", max_length=40, pattern=CAUSE)
    summary: str = optional_text(3000)


class ChecklistRecord(Part):
    runbook_id: str = Field(max_length=80)
    text: str = Field(max_length=300)
    created_by: str = optional_text(40)
    created_at: Stamp
    retired_at: Stamp | None = None
    retired_by: str | None = Field(default=None, max_length=40)


class ActionRecord(Part):
    """An action item, without its id (renumbered on import)."""

    text: str = Field(min_length=1, max_length=300)
    owner: str = Field(min_length=1, max_length=40)
    due: date
    created_by: str = optional_text(40)
    created_at: Stamp
    done_at: Stamp | None = None
    done_by: str | None = Field(default=None, max_length=40)
    snoozed_until: date | None = None
    reminded_on: date | None = None
    next_remind_on: date | None = None

    @model_validator(mode="after")
    def _next_reminder(self) -> ActionRecord:
        """Left out, the next reminder is worked out as bot.store.actions keeps it (and migration 0011
        filled it in): none once done, else the snooze, a week after the last reminder, or the due day."""
        if "next_remind_on" in self.model_fields_set or self.done_at is not None:
            return self
        if self.snoozed_until is not None:
            self.next_remind_on = self.snoozed_until
        elif self.reminded_on is not None:
            self.next_remind_on = self.reminded_on + REPEAT_EVERY
        else:
            self.next_remind_on = self.due
        return self


def figure() -> Any:
    """A figure recorded after the apology, or None before it is; bounded as the modal bounds it."""
    return Field(default=None, ge=0, le=FIGURE_MOST)


class WatchRecord(Part):
    """The watch after the apology: when it asks (or asked), and the figures recorded since."""

    due_at: Stamp
    asked_at: Stamp | None = None
    complaints: int | None = figure()
    unsubscribes: int | None = figure()
    replies: int | None = figure()
    recorded_by: str | None = Field(default=None, max_length=40)
    recorded_at: Stamp | None = None


class PostRecord(Part):
    kind: str = Field(max_length=40)
    channel: str = Field(max_length=80)
    ts: str | None = Field(default=None, max_length=40)


class IncidentRecord(Part):
    """One line of the file: an incident as its workspace ``team`` had it, and all it owns."""

    format: str
    team: str = Field(max_length=32)
    id: int = Field(ge=1, le=ID_MAX)
    ref: str
    source_key: str | None = Field(default=None, max_length=120)
    runbook_id: str = Field(max_length=80)
    title: str = Field(max_length=150)
    details: str = optional_text(3000)
    answers: dict[str, Any]
    reporter: str = Field(max_length=40)
    channel: str = Field(max_length=80)
    header_ts: str | None = Field(default=None, max_length=40)
    status: Status
    scale: str = Field(max_length=40, pattern=LEVEL)
    scale_reasons: list[str]
    recommendation: Decision
    recommendation_reason: str = optional_text(1000)
    decision: Decision | None = None
    decided_by: str | None = Field(default=None, max_length=40)
    decision_note: str = optional_text(3000)
    decided_at: Stamp | None = None
    what_was_fixed: str = optional_text(1000)
    customer_action: str = optional_text(1000)
    offer: str = optional_text(300)
    draft_approved: bool
    retro_at: Stamp | None = None
    reminded_at: Stamp | None = None
    closed_at: Stamp | None = None
    created_at: Stamp
    updated_at: Stamp
    decision_log: list[LogEntry]
    notices: list[NoticeRecord]
    drafts: list[DraftRecord]
    retrospective: RetroRecord | None
    checklist: list[ChecklistRecord]
    posts: list[PostRecord]
    # Later keys: a file from before them reads as an incident with no action items and no watch.
    action_items: list[ActionRecord] = Field(default_factory=list)
    watch: WatchRecord | None = None

    @model_validator(mode="after")
    def _consistent(self) -> IncidentRecord:
        """What the tables' unique constraints would refuse, refused here with its place."""
        if self.ref != f"OOPS-{self.id}":
            raise ValueError(f"ref {self.ref!r} does not match id {self.id} (OOPS-{self.id})")
        for name, keys in (
            ("notices", [n.department for n in self.notices]),
            ("drafts", [d.version for d in self.drafts]),
            ("posts", [p.kind for p in self.posts]),
        ):
            twice = sorted({str(k) for k in keys if keys.count(k) > 1})
            if twice:
                raise ValueError(f"{name}: {', '.join(twice)} appears more than once")
        return self


class ArchiveError(ValueError):
    """A history file that cannot be imported: each bad line, its place and why."""


# The incident columns a record carries under the same names (id and team are handled apart).
INCIDENT_FIELDS = [n for n in IncidentRecord.model_fields if n in Incident.model_fields and n != "id"]
PARTS: tuple[tuple[str, type[Part], type[Any]], ...] = (
    ("decision_log", LogEntry, DecisionLog),
    ("notices", NoticeRecord, Notice),
    ("drafts", DraftRecord, Draft),
    ("checklist", ChecklistRecord, ChecklistItem),
    ("posts", PostRecord, Post),
    ("action_items", ActionRecord, ActionItem),
)


def _values(row: Any, model: type[Part]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in model.model_fields}


def record_of(rows: Rows) -> IncidentRecord:
    incident = rows.incident
    assert incident.id is not None
    values = {name: getattr(incident, name) for name in INCIDENT_FIELDS}
    values["answers"] = dict(sorted(incident.answers.items()))
    retro = rows.retrospective
    return IncidentRecord.model_validate(
        {
            "format": FORMAT,
            "team": incident.team_id,
            "id": incident.id,
            "ref": incident.ref,
            **values,
            "decision_log": [_values(r, LogEntry) for r in rows.log],
            "notices": [_values(r, NoticeRecord) for r in rows.notices],
            "drafts": [_values(r, DraftRecord) for r in rows.drafts],
            "retrospective": None if retro is None else _values(retro, RetroRecord),
            "checklist": [_values(r, ChecklistRecord) for r in rows.checklist],
            "posts": [_values(r, PostRecord) for r in rows.posts],
            "action_items": [_values(r, ActionRecord) for r in rows.action_items],
            "watch": None if rows.watch is None else _values(rows.watch, WatchRecord),
        },
        strict=False,
    )


def rows_of(record: IncidentRecord, *, keep_id: bool, keep_source_key: bool = True) -> Rows:
    """New, unsaved rows for a record (for the workspace the caller writes them to)."""
    values = {name: getattr(record, name) for name in INCIDENT_FIELDS}
    if not keep_source_key:
        values["source_key"] = None
    incident = Incident(id=record.id if keep_id else None, team_id="", **values)
    out = Rows(incident)
    lists: dict[str, list[Any]] = {"decision_log": out.log, "notices": out.notices}
    lists |= {"drafts": out.drafts, "checklist": out.checklist, "posts": out.posts}
    lists["action_items"] = out.action_items
    for name, _, table in PARTS:
        for part in getattr(record, name):
            lists[name].append(table(team_id="", incident_id=0, **part.model_dump()))
    if record.retrospective is not None:
        out.retrospective = Retrospective(team_id="", incident_id=0, **record.retrospective.model_dump())
    if record.watch is not None:
        out.watch = IncidentWatch(team_id="", incident_id=0, **record.watch.model_dump())
    return out


def dumps(record: IncidentRecord) -> str:
    """One line (without its newline): keys in declaration order, UTF-8 text as it is, except the
    characters some line readers take for a line end (U+0085, U+2028, U+2029), written as escapes."""
    line = json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    return line.translate(_LINE_ENDS)


# Outside strings JSON has none of them, so escaping them where they are changes no value.
_LINE_ENDS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


def _read_line(name: str, number: int, line: str) -> IncidentRecord | list[str]:
    """One line as a record, or why it is not a record of this format (each field at fault)."""
    where = f"{name} line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return [f"{where}: not JSON ({exc.msg} at column {exc.colno})"]
    if not isinstance(data, dict):
        return [f"{where}: not a JSON object"]
    if data.get("format") != FORMAT:
        found = data.get("format")
        said = "no format key" if found is None else f"format {found!r}"
        return [f"{where}: format: {said}; this oops reads {FORMAT!r}"]
    try:
        return IncidentRecord.model_validate_json(line, strict=True)
    except ValidationError as exc:
        return [f"{where}: {format_place(e['loc']) or 'record'}: {e['msg']}" for e in exc.errors()]


def parse_lines(lines: Iterable[str], name: str) -> list[IncidentRecord]:
    """Every record of a file, or ArchiveError naming each bad line and field (blank lines are skipped)."""
    records: list[IncidentRecord] = []
    errors: list[str] = []
    first_line: dict[int, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        found = _read_line(name, number, line)
        if isinstance(found, list):
            errors += found
        elif found.id in first_line:
            errors.append(f"{name} line {number}: id: OOPS-{found.id} is also on line {first_line[found.id]}")
        else:
            first_line[found.id] = number
            records.append(found)
        if len(errors) >= MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], f"… (stopped at line {number}, after {MAX_ERRORS} errors)"]
            break
    if errors:
        raise ArchiveError("\n".join(errors))
    return records
