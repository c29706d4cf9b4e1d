"""The pre-flight checklist as one message only its reader sees: each item with how many past
incidents taught it and which, and a Retire button (with a confirmation) per item.

A message holds 50 blocks at most, so at most MAX_ITEMS items are drawn and the rest are counted.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.slack import ids
from bot.slack.views.common import CONTEXT_TEXT, HEADER_TEXT, SECTION_TEXT, blocks_json, clip, esc
from bot.usecases.checklists import QUERY_MAX, Checklist, Item

MAX_ITEMS = 40  # + header, summary, notice and "more": under Slack's 50 blocks
MAX_REFS = 12  # incident refs listed per item; the count says the rest
CONFIRM_TEXT = 300  # Slack's limit for a confirmation's text

Rendered = tuple[str, list[dict[str, Any]]]


def _md(text: str, limit: int) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def retire_value(item: Item, query_text: str) -> str:
    return json.dumps({"item": item.id, "q": query_text[:QUERY_MAX]}, ensure_ascii=False)


def _sources(item: Item) -> str:
    refs = ", ".join(item.refs[:MAX_REFS])
    if item.count > MAX_REFS:
        refs += f" and {item.count - MAX_REFS} more"
    return refs


def _item_block(number: int, item: Item, query_text: str, tz: tzinfo) -> SectionBlock:
    incidents = "1 past incident" if item.count == 1 else f"{item.count} past incidents"
    details = [f"{incidents}: {_sources(item)}", ", ".join(item.runbooks)]
    details.append(f"last learnt {item.last_learnt.astimezone(tz).strftime('%d %b %Y')}")
    if len(item.wordings) > 1:
        details.append(f"{len(item.wordings)} wordings merged")
    head = f"{number}. ☐ *{esc(clip(item.text, 1000))}*\n"
    confirm = ConfirmObject(
        title="Retire this item?",
        text=clip(
            f"“{esc(item.text)}” will no longer be offered. The incidents it came from keep their record.",
            CONFIRM_TEXT,
        ),
        confirm="Retire",
        deny="Keep it",
    )
    return SectionBlock(
        block_id=f"checklist:{item.id}",
        text=_md(head + esc(" · ".join(details)), SECTION_TEXT),
        accessory=ButtonElement(
            text="Retire",
            action_id=ids.CHECKLIST_RETIRE,
            value=retire_value(item, query_text),
            confirm=confirm,
        ),
    )


def _empty(checklist: Checklist) -> str:
    query = checklist.query
    if query.words:
        return (
            f"No checklist item mentions “{esc(query.words)}”. Try fewer words, a runbook id, or "
            "`/oops checklist` alone for every runbook."
        )
    return f"Nothing learnt yet for {esc(query.describe())}: each retrospective's checklist items land here."


def checklist_message(checklist: Checklist, tz: tzinfo, notice: str = "") -> Rendered:
    """(fallback text, blocks). ``notice`` (mrkdwn, already escaped) goes first: what a click did."""
    query = checklist.query
    items = checklist.items
    title = f"Pre-flight checklist · {query.describe()}"
    blocks: list[Block] = [HeaderBlock(text=clip(title, HEADER_TEXT))]
    if notice:
        blocks.append(SectionBlock(text=_md(notice, SECTION_TEXT)))
    if not items:
        blocks.append(SectionBlock(text=_md(_empty(checklist), SECTION_TEXT)))
        return clip(f"{title}: no items", 3000), blocks_json(blocks)
    incidents = len({n for item in items for n in item.incidents})
    summary = (
        f"{len(items)} item(s) learnt from {incidents} past incident(s), the most often learnt first. "
        "Retire one that no longer applies."
    )
    blocks.append(ContextBlock(elements=[_md(summary, CONTEXT_TEXT)]))
    blocks.extend(_item_block(n, item, query.text, tz) for n, item in enumerate(items[:MAX_ITEMS], 1))
    more = len(items) - MAX_ITEMS
    if more > 0:
        rest = (
            f"…and {more} more item(s), less often learnt. Narrow it with a runbook id or some words: "
            "`/oops checklist email-campaign`, `/oops checklist test list`."
        )
        blocks.append(ContextBlock(elements=[_md(rest, CONTEXT_TEXT)]))
    return clip(f"{title}: {len(items)} item(s)", 3000), blocks_json(blocks)
