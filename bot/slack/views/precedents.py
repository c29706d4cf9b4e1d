"""Similar past mistakes, in the thread before the decision prompt: each with what was decided, how it
went and the retrospective's lesson, linked to its thread; then what the runbook's retrospectives
taught ("last time we learned…"). Drawn from the Snapshot alone; titles, lessons and items are
people's text: escaped, and clipped to Slack's limits.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.runbook.incident import Status
from bot.runbook.model import Decision
from bot.slack.views.common import CONTEXT_TEXT, SECTION_TEXT, blocks_json, clip, esc
from bot.snapshot import PrecedentView, Snapshot

Rendered = tuple[str, list[dict[str, Any]]]
TITLE_MAX = 200
LESSON_MAX = 300
ITEM_MAX = 300
SHOWN_MAX = 10  # the bot keeps three; a hand-edited row must still fit Slack's 50 blocks


def _md(text: str, limit: int) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def _decided(p: PrecedentView) -> str:
    if not p.decision:
        return "Closed without a decision" if p.status == Status.CLOSED else "Not decided yet"
    try:
        return f"Decided: *{Decision(p.decision).label}*"
    except ValueError:
        return f"Decided: *{esc(p.decision)}*"


def _how_it_went(p: PrecedentView) -> str:
    went = [_decided(p)]
    if p.apology_approved:
        went.append("apology approved")
    elif p.decision == Decision.no_action:
        went.append("no apology")
    went.append("retrospective held" if p.retro_held else "no retrospective yet")
    try:
        status = Status(p.status)
        went.append("closed" if status is Status.CLOSED else status.label.lower())
    except ValueError:
        pass
    return " · ".join(went)


def _precedent(p: PrecedentView, snap: Snapshot) -> SectionBlock:
    ref = f"<{p.link}|{p.ref}>" if p.link else p.ref
    day = p.date.astimezone(snap.tz).strftime("%d %b %Y")
    lesson = f"Lesson: {esc(clip(p.lesson, LESSON_MAX))}" if p.lesson else "_No retrospective lesson yet._"
    text = f"*{ref}* {esc(clip(p.title, TITLE_MAX))} · {day}\n{_how_it_went(p)}\n{lesson}"
    return SectionBlock(block_id=f"precedent:{p.id}", text=_md(text, SECTION_TEXT))


def precedents(snap: Snapshot) -> Rendered:
    """(fallback text, blocks). Posted only when something was similar enough; drawn even without."""
    if not snap.precedents:
        text = "No past mistake was similar enough to show."
        return text, blocks_json([SectionBlock(text=_md(text, SECTION_TEXT))])
    intro = "*Before you decide: similar past mistakes*"
    blocks: list[Block] = [SectionBlock(text=_md(intro, SECTION_TEXT))]
    blocks += [_precedent(p, snap) for p in snap.precedents[:SHOWN_MAX]]
    if snap.learned:
        items = "\n".join(f"☐ {esc(clip(item, ITEM_MAX))}" for item in snap.learned[:SHOWN_MAX])
        blocks.append(SectionBlock(text=_md(f"*Last time we learned…*\n{items}", SECTION_TEXT)))
    note = (
        f"Chosen when {snap.ref} opened, by their words and runbook. "
        "`/oops search` finds more; `/oops checklist` shows the whole checklist."
    )
    blocks.append(ContextBlock(elements=[_md(note, CONTEXT_TEXT)]))
    refs = ", ".join(p.ref for p in snap.precedents[:SHOWN_MAX])
    return clip(f"{snap.ref}: similar past mistakes: {refs}", 3000), blocks_json(blocks)
