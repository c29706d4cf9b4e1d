"""A closed-incident history written straight into the store, fast, so the bench can ask "does it cost
more with 10,000 incidents behind it than with 10?" without walking 10,000 incidents through Slack.

One place writes history: ``seed_history``. Rows are what the bot itself leaves behind a closed
incident (decision log, notices, drafts, a retrospective and its checklist items), spread over
several runbooks with many checklist items each, because that is what the bot reads back when it
draws an incident. No ``post`` rows: Slack (the emulator) never saw these messages, so resuming a
seeded incident posts its parts afresh instead of editing messages that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import SQLModel

from bot.runbook import Runbook, assess_scale, load_runbooks, parse_answers, pick_departments, recommend
from bot.runbook.model import QuestionType
from bot.store.tables import ChecklistItem, DecisionLog, Draft, Incident, Notice, Retrospective

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = 16  # distinct answer sets per runbook: enough variety, and the rules run 16 times, not n
BATCH = 500  # incidents per INSERT batch: bounded memory, few round trips
REPORTERS = ("U0AILSA", "U0MARC", "U0JO", "U0PRIYA", "U0TOM")
CHANNEL = "C0OOPS"
# Lessons people write down: reworded a little each time, so a runbook gathers many distinct items.
LESSONS = (
    "Check which automations a list triggers before adding contacts to it",
    "Send to a test list first",
    "Two people look at a price before it goes live",
    "Preview the email on a phone before sending",
    "Pause the flow while the list is being edited",
    "Compare the sent count with the expected audience",
    "Keep a rollback plan for every price change",
    "Name the segment after who is in it",
)


def _row(table: type[SQLModel], team_id: str, **values: Any) -> dict[str, Any]:
    """A row for ``table``; ``team_id`` is set when the table has that column (the store is gaining one)."""
    if "team_id" in table.__table__.c:  # type: ignore[attr-defined]
        values["team_id"] = team_id
    return values


def _raw_answer(kind: QuestionType, options: Sequence[str], i: int) -> str:
    match kind:
        case QuestionType.number:
            return str(10 + (i * 37) % 40_000)
        case QuestionType.money:
            return f"{(i * 13) % 5_000}.50"
        case QuestionType.choice:
            return options[i % len(options)]
        case QuestionType.yes_no:
            return "yes" if i % 3 == 0 else "no"
        case _:
            return f"Seeded answer {i}"


def _answers(runbook: Runbook, i: int) -> dict[str, Any]:
    raw = {
        q.id: _raw_answer(q.type, [o.value for o in q.options or []], i + n)
        for n, q in enumerate(runbook.questions)
    }
    answers, errors = parse_answers(runbook, raw)
    if errors:
        raise ValueError(f"seed answers do not fit runbook {runbook.id}: {errors}")
    return answers


@dataclass(frozen=True)
class _Outcome:
    """What the runbook makes of one set of answers (scale, advice, departments), computed once."""

    answers: dict[str, Any]
    scale: str
    reasons: tuple[str, ...]
    advice: str
    advice_reason: str
    departments: tuple[str, ...]


def _outcome(book: Runbook, variant: int, cache: dict[tuple[str, int], _Outcome]) -> _Outcome:
    key = (book.id, variant)
    if key not in cache:
        answers = _answers(book, variant)
        scale = assess_scale(book, answers)
        advice = recommend(book, answers, scale.level)
        needs = pick_departments(book, answers, scale.level)
        cache[key] = _Outcome(
            answers,
            scale.level,
            scale.reasons,
            advice.choice.value,
            advice.reason,
            tuple(need.department for need in needs)[:3],
        )
    return cache[key]


def _batches(n: int) -> Iterator[range]:
    for start in range(0, n, BATCH):
        yield range(start, min(n, start + BATCH))


def default_runbooks() -> dict[str, Runbook]:
    return load_runbooks(ROOT / "runbooks")


def seed_history(
    engine: Engine,
    n: int,
    team_id: str,
    *,
    runbooks: Mapping[str, Runbook] | None = None,
    checklist_items: int = 3,
    now: datetime | None = None,
) -> list[int]:
    """Write ``n`` closed incidents with everything a closed incident has; return their ids.

    Bulk INSERTs in batches (RETURNING the new incident ids in order, on SQLite and PostgreSQL alike),
    one transaction per batch. ``checklist_items`` per incident, so each runbook gathers thousands.
    """
    books = list((runbooks or default_runbooks()).values())
    by_id = {b.id: b for b in books}
    end = now or datetime.now(UTC)
    with engine.connect() as conn:
        first = conn.execute(select(func.count()).select_from(Incident)).scalar_one()
    ids: list[int] = []
    outcomes: dict[tuple[str, int], _Outcome] = {}
    for batch in _batches(n):
        incidents: list[dict[str, Any]] = []
        for i in batch:
            k = first + i
            book = books[k % len(books)]
            seen = _outcome(book, k % VARIANTS, outcomes)
            opened = end - timedelta(days=730) + timedelta(minutes=(k * 97) % (730 * 24 * 60))
            incidents.append(
                _row(
                    Incident,
                    team_id,
                    source_key=f"seed:{k}",
                    runbook_id=book.id,
                    title=f"Seeded mistake {k}: {book.name}"[:150],
                    details="Written by bench.seed to give the bot a long history.",
                    answers=seen.answers,
                    reporter=REPORTERS[k % len(REPORTERS)],
                    channel=CHANNEL,
                    header_ts=None,
                    status="closed",
                    scale=seen.scale,
                    scale_reasons=list(seen.reasons),
                    recommendation=seen.advice,
                    recommendation_reason=seen.advice_reason,
                    decision=seen.advice,
                    decided_by=REPORTERS[(k + 1) % len(REPORTERS)],
                    decision_note="",
                    decided_at=opened + timedelta(minutes=20),
                    what_was_fixed="Fixed at the source.",
                    customer_action="Nothing.",
                    offer="",
                    draft_approved=True,
                    retro_at=opened + timedelta(days=2),
                    reminded_at=opened + timedelta(days=2),
                    closed_at=opened + timedelta(days=2, hours=1),
                    created_at=opened,
                    updated_at=opened + timedelta(days=2, hours=1),
                )
            )
        with engine.begin() as conn:
            result = conn.execute(
                insert(Incident).returning(Incident.id, sort_by_parameter_order=True),  # type: ignore[arg-type]
                incidents,
            )
            new_ids = [row[0] for row in result]
            departments = [
                _outcome(by_id[r["runbook_id"]], int(r["source_key"][5:]) % VARIANTS, outcomes).departments
                for r in incidents
            ]
            _children(conn, team_id, incidents, new_ids, departments, checklist_items)
        ids += new_ids
    return ids


def _children(
    conn: Any,
    team_id: str,
    incidents: list[dict[str, Any]],
    ids: list[int],
    departments: list[tuple[str, ...]],
    checklist_items: int,
) -> None:
    logs: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    drafts: list[dict[str, Any]] = []
    retros: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for row, incident_id, told in zip(incidents, ids, departments, strict=True):
        opened: datetime = row["created_at"]
        who, decider = row["reporter"], row["decided_by"]
        steps = [
            ("report", row["runbook_id"], who, row["title"]),
            ("assess", row["scale"], "bot", "; ".join(row["scale_reasons"])),
            ("decide", row["decision"], decider, ""),
            ("draft", "v1", "bot", "template"),
            ("approve", "v1", decider, ""),
            ("retro_schedule", row["retro_at"].isoformat(), decider, ""),
            ("retro", "closed", who, f"{checklist_items} checklist item(s)"),
        ]
        for department in told:
            steps.insert(2, ("notify", department, "bot", "seeded"))
            notices.append(
                _row(
                    Notice,
                    team_id,
                    incident_id=incident_id,
                    department=department,
                    channel=f"#{department}",
                    ts=f"{opened.timestamp():.6f}",
                    reason="seeded",
                    notified_by="bot",
                    created_at=opened,
                )
            )
        for n, (step, choice, actor, note) in enumerate(steps):
            logs.append(
                _row(
                    DecisionLog,
                    team_id,
                    incident_id=incident_id,
                    step=step,
                    choice=choice[:200],
                    actor=actor,
                    note=note[:3000],
                    at=opened + timedelta(minutes=n),
                )
            )
        for version in (1, 2):
            drafts.append(
                _row(
                    Draft,
                    team_id,
                    incident_id=incident_id,
                    version=version,
                    subject=f"We got something wrong ({version})",
                    body="We are sorry. Here is what happened and what we did about it.",
                    author="bot",
                    source="template",
                    approved_by=decider if version == 2 else None,
                    approved_at=opened + timedelta(hours=1) if version == 2 else None,
                    created_at=opened + timedelta(minutes=30 * version),
                )
            )
        retros.append(
            _row(
                Retrospective,
                team_id,
                incident_id=incident_id,
                what_went_wrong="A seeded mistake.",
                root_cause="Nothing warned us.",
                what_we_change="A second pair of eyes.",
                submitted_by=who,
                created_at=row["closed_at"],
            )
        )
        for j in range(checklist_items):
            lesson = LESSONS[(incident_id + j) % len(LESSONS)]
            items.append(
                _row(
                    ChecklistItem,
                    team_id,
                    incident_id=incident_id,
                    runbook_id=row["runbook_id"],
                    # Most lessons recur word for word; one in four is reworded, as people do.
                    text=lesson if (incident_id + j) % 4 else f"{lesson} (OOPS-{incident_id})",
                    created_by=who,
                    created_at=row["closed_at"],
                )
            )
    for table, rows in (
        (DecisionLog, logs),
        (Notice, notices),
        (Draft, drafts),
        (Retrospective, retros),
        (ChecklistItem, items),
    ):
        if rows:
            conn.execute(insert(table), rows)
