"""History search results as a rich table, for `oops history search`."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from bot.usecases.history import Results


def table(results: Results, tz: tzinfo, words: str) -> Table:
    from rich.markup import escape
    from rich.table import Table

    out = Table(title=f"History: {escape(words)}")
    for name in ("ref", "date", "title", "runbook", "scale", "decision", "lesson"):
        out.add_column(name, overflow="fold")
    for hit in results.hits:
        out.add_row(
            hit.ref,
            hit.date.astimezone(tz).strftime("%d %b %Y"),
            escape(hit.title),
            escape(hit.runbook),
            escape(hit.scale),
            escape(hit.decision or "–"),
            escape(hit.lesson or "–"),
        )
    return out
