"""The weekly summary as text for `oops report weekly`: a rich table for the terminal, or Markdown
for a wiki or an email (--markdown FILE). Same lines as the Slack message (bot.weekly.lines)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.weekly import WeeklySummary, cheer, lines

if TYPE_CHECKING:
    from rich.table import Table

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(text: str) -> str:
    """Text with the characters Markdown would read as formatting escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown(summary: WeeklySummary) -> str:
    out = [f"# {_md(summary.title)}", ""]
    if summary.late:
        out += [f"_{_md(summary.late)}_", ""]
    if summary.empty:
        out += [_md(cheer(summary)), ""]
    out += [f"- **{_md(heading)}**: {_md(text)}" for heading, text in lines(summary)]
    return "\n".join(out) + "\n"


def table(summary: WeeklySummary) -> Table:
    from rich.markup import escape
    from rich.table import Table

    caption = cheer(summary) if summary.empty else None
    out = Table(title=escape(f"{summary.team}: {summary.title}"), caption=caption, show_header=False)
    out.add_column("figure", style="bold", no_wrap=True)
    out.add_column("value", overflow="fold")
    if summary.late:
        out.add_row("Note", escape(summary.late))
    for heading, text in lines(summary):
        out.add_row(escape(heading), escape(text))
    return out
