"""One incident's whole record as rich text, for `oops history show`: what happened, the scale and
why, who was told, the decision, the apology drafts, the retrospective (its cause, summary, checklist
items and action items), the watch after the apology, and the decision log in time order. People's
words are shown as written (never read as rich markup)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Table

    from bot.runbook import Runbook
    from bot.store.archive import Rows
    from bot.store.tables import ActionItem

NONE = "–"


def when(value: datetime | None, tz: tzinfo) -> str:
    return NONE if value is None else value.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z")


def _facts(rows: list[tuple[str, str]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(label, Text(value or NONE))
    return grid


def _table(title: str, columns: tuple[str, ...], rows: list[list[str]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    out = Table(title=title, title_justify="left", title_style="bold")
    for name in columns:
        out.add_column(name, overflow="fold")
    for row in rows:
        out.add_row(*(Text(cell or NONE) for cell in row))
    return out


def _answers(answers: Mapping[str, Any], book: Runbook | None) -> list[list[str]]:
    from bot.runbook.answers import format_answer

    questions = {q.id: q for q in book.questions} if book else {}
    out: list[list[str]] = []
    for key, value in answers.items():
        question = questions.get(key)
        out.append([question.label, format_answer(question, value)] if question else [key, str(value)])
    return out


def render(rows: Rows, tz: tzinfo, runbooks: Mapping[str, Runbook]) -> Group:
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    i = rows.incident
    book = runbooks.get(i.runbook_id)
    parts: list[Any] = [Rule(Text(f"{i.ref} · {i.title}", style="bold"), align="left")]
    parts.append(
        _facts(
            [
                ("Runbook", f"{i.runbook_id} ({book.name})" if book else i.runbook_id),
                ("Status", i.status),
                ("Reported", f"by {i.reporter} on {when(i.created_at, tz)} in {i.channel}"),
                ("Details", i.details),
                ("Scale", i.scale + "".join(f"\n• {reason}" for reason in i.scale_reasons)),
                ("Recommended", f"{i.recommendation}: {i.recommendation_reason}".rstrip(": ")),
                (
                    "Decision",
                    f"{i.decision} by {i.decided_by} on {when(i.decided_at, tz)}" if i.decision else "",
                ),
                ("Note", i.decision_note),
                ("What was fixed", i.what_was_fixed),
                ("Customers should", i.customer_action),
                ("Offer", i.offer),
                ("Retrospective", f"set for {when(i.retro_at, tz)}" if i.retro_at else ""),
                ("Closed", when(i.closed_at, tz) if i.closed_at else ""),
            ]
        )
    )
    parts.append(_table("Answers", ("question", "answer"), _answers(i.answers, book)))
    told = [
        [n.department, n.channel, n.notified_by, when(n.created_at, tz), n.reason, _delivery(n.ts, n.error)]
        for n in rows.notices
    ]
    parts.append(_table("Departments told", ("department", "channel", "by", "when", "why", "delivery"), told))
    for draft in rows.drafts:
        approved = (
            f" · approved by {draft.approved_by} on {when(draft.approved_at, tz)}"
            if draft.approved_by
            else ""
        )
        head = f"Apology draft v{draft.version} ({draft.source}, {when(draft.created_at, tz)}){approved}"
        parts += [Text(head, style="bold"), Text(f"Subject: {draft.subject}\n{draft.body}"), Text("")]
    if not rows.drafts:
        parts.append(Text("No apology drafted.", style="bold"))
    parts.append(_retro(rows, tz, book))
    if rows.action_items:
        parts.append(_actions(rows, tz))
    if rows.watch is not None:
        parts.append(_watch(rows.watch, tz))
    log = [[when(e.at, tz), e.step, e.choice, e.actor, e.note] for e in sorted(rows.log, key=_log_order)]
    parts.append(_table("Decision log", ("when", "step", "choice", "who", "note"), log))
    return Group(*parts)


def _log_order(entry: Any) -> tuple[datetime, int]:
    return entry.at, entry.id or 0


def _delivery(ts: str | None, error: str | None) -> str:
    if ts:
        return "posted"
    return f"refused: {error}" if error else "being posted"


def _retro(rows: Rows, tz: tzinfo, book: Runbook | None) -> Any:
    from rich.console import Group
    from rich.text import Text

    retro = rows.retrospective
    if retro is None:
        return Text("No retrospective yet.", style="bold")
    items = [
        [
            c.text,
            c.runbook_id,
            f"retired by {c.retired_by} on {when(c.retired_at, tz)}" if c.retired_at else "",
        ]
        for c in rows.checklist
    ]
    return Group(
        Text(f"Retrospective by {retro.submitted_by} on {when(retro.created_at, tz)}", style="bold"),
        _facts(
            [
                ("What went wrong", retro.what_went_wrong),
                ("Cause", _cause(retro.cause, book)),
                ("Root cause", retro.root_cause),
                ("What we change", retro.what_we_change),
                ("Summary posted", retro.summary),
            ]
        ),
        _table("Checklist items", ("item", "runbook", "retired"), items),
    )


def _cause(cause_id: str, book: Runbook | None) -> str:
    """The cause's label and id; the id alone when the runbook is gone; empty before causes existed."""
    if not cause_id or book is None:
        return cause_id
    label = book.cause_label(cause_id)
    return cause_id if label == cause_id else f"{label} ({cause_id})"


def _actions(rows: Rows, tz: tzinfo) -> Any:
    """The retrospective's action items: who, by when, and whether they are done."""
    items = [[a.text, a.owner, a.due.isoformat(), _action_state(a, tz)] for a in rows.action_items]
    return _table("Action items", ("item", "owner", "due", "done"), items)


def _action_state(item: ActionItem, tz: tzinfo) -> str:
    if item.done_at is not None:
        return f"done by {item.done_by} on {when(item.done_at, tz)}"
    if item.snoozed_until is not None:
        return f"open, snoozed until {item.snoozed_until.isoformat()}"
    return "open"


def _watch(watch: Any, tz: tzinfo) -> Any:
    """Watching after the apology: when it asked, and the figures recorded since."""
    from rich.console import Group
    from rich.text import Text

    if watch.recorded_at is None:
        figures = "not recorded yet"
    else:
        figures = (
            f"{watch.complaints} complaints, {watch.unsubscribes} unsubscribes, {watch.replies} replies "
            f"(recorded by {watch.recorded_by} on {when(watch.recorded_at, tz)})"
        )
    asked = f"asked {when(watch.asked_at, tz)}" if watch.asked_at else f"asks {when(watch.due_at, tz)}"
    return Group(
        Text("Watching after the apology", style="bold"),
        _facts([("When", asked), ("Figures since", figures)]),
    )
