"""The weekly summary as one Slack message: a header, one line per figure, the comparison with the
weeks before as a small text chart, and a note when it was posted late. A week with no mistakes gets
a short, cheerful message instead of the figures.

Fewer than 20 blocks whatever the week (figures are lines, not lists), so always under Slack's 50.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.slack.views.common import (
    CONTEXT_TEXT,
    FALLBACK_TEXT,
    HEADER_TEXT,
    SECTION_TEXT,
    blocks_json,
    clip,
    esc,
)
from bot.slack.views.registry import Rendered, draws
from bot.weekly import WeeklySummary, cheer, lines


def _md(text: str, limit: int = SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


@draws(WeeklySummary)
def weekly_message(summary: WeeklySummary) -> Rendered:
    blocks: list[Block] = [HeaderBlock(text=clip(f"📊 {summary.title}", HEADER_TEXT))]
    if summary.late:
        blocks.append(ContextBlock(elements=[_md(f"⏰ {esc(summary.late)}", CONTEXT_TEXT)]))
    if summary.empty:
        blocks.append(SectionBlock(text=_md(esc(cheer(summary)))))
    for heading, text in lines(summary):
        blocks.append(SectionBlock(text=_md(f"*{esc(heading)}*\n{esc(text)}")))
    blocks.append(
        ContextBlock(
            elements=[_md(f"{esc(summary.team)} · `oops report weekly --week {summary.week}` prints it")]
        )
    )
    fallback = cheer(summary) if summary.empty else f"{summary.title}: {summary.mistakes} mistakes"
    if summary.late:
        fallback = f"{fallback} ({summary.late})"
    return clip(fallback, FALLBACK_TEXT), blocks_json(blocks)
