"""The pre-flight checklist as text for `oops checklist`: a rich table, or Markdown for a wiki or a
campaign tool (a task list, one item a line, its sources in a bullet under it)."""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from bot.usecases.checklists import Checklist, Item

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(text: str) -> str:
    """A person's text, with the characters Markdown would read as formatting escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _day(item: Item, tz: tzinfo) -> str:
    return item.last_learnt.astimezone(tz).strftime("%d %b %Y")


def _incidents(item: Item) -> str:
    return "1 incident" if item.count == 1 else f"{item.count} incidents"


def markdown(checklist: Checklist, tz: tzinfo) -> str:
    lines = [f"# Pre-flight checklist: {_md(checklist.query.describe())}", ""]
    if not checklist.items:
        lines.append("_Nothing learnt yet._")
    for item in checklist.items:
        lines.append(f"- [ ] {_md(item.text)}")
        runbooks = ", ".join(item.runbooks)
        lines.append(
            f"  - _learnt from {_incidents(item)}: {', '.join(item.refs)} · {_md(runbooks)} · "
            f"last {_day(item, tz)}_"
        )
    return "\n".join(lines) + "\n"


def table(checklist: Checklist, tz: tzinfo) -> Table:
    from rich.markup import escape
    from rich.table import Table

    out = Table(title=f"Pre-flight checklist: {escape(checklist.query.describe())}")
    for column in ("#", "item", "incidents", "from", "runbook", "last learnt"):
        out.add_column(column)
    for number, item in enumerate(checklist.items, 1):
        out.add_row(
            str(number),
            escape(item.text),
            str(item.count),
            ", ".join(item.refs),
            escape(", ".join(item.runbooks)),
            _day(item, tz),
        )
    return out
