"""`/oops search` answered as one message only its reader sees: each past mistake with its ref, title,
date, scale, decision, the retrospective's one-line lesson and a link to its thread; "More" for the
next page. Titles and lessons are people's text: escaped, and clipped to Slack's limits.
"""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.runbook.incident import Status
from bot.slack import ids
from bot.slack.views.common import CONTEXT_TEXT, HEADER_TEXT, SECTION_TEXT, blocks_json, clip, esc
from bot.usecases.history import Hit, Results

QUERY_MAX = 500  # characters of the query a More button carries (JSON may double them; values hold 2000)
TITLE_MAX = 300
SHOWN_QUERY = 200  # characters of the query quoted back
EXAMPLES = '`/oops search welcome email`, `/oops search "test list" scale:big`, `/oops search welc*`'

Rendered = tuple[str, list[dict[str, Any]]]


def _md(text: str, limit: int) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def cap(query_text: str) -> str:
    """The query as searched and as a More button carries it: at most QUERY_MAX characters, cut
    between words (a word cut in half would search for something else)."""
    if len(query_text) <= QUERY_MAX:
        return query_text
    cut = query_text[:QUERY_MAX]
    if not query_text[QUERY_MAX].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip()


def more_value(query_text: str, page: int) -> str:
    return json.dumps({"q": cap(query_text), "p": page}, ensure_ascii=False)


def _status(status: str) -> str:
    """The status in words (`retrospective scheduled`); an unknown one, say from an import, as stored."""
    try:
        return Status(status).label
    except ValueError:
        return status


def hit_block(hit: Hit, link: str, tz: tzinfo, *, prefix: str = "search") -> SectionBlock:
    """One past mistake: ref, title, date, scale, decision, runbook, status, lesson, thread link."""
    decision = (hit.decision or "not decided yet").replace("_", " ")
    facts = [hit.date.astimezone(tz).strftime("%d %b %Y"), f"scale {hit.scale}", f"decision: {decision}"]
    facts += [hit.runbook, _status(hit.status).lower()]
    lesson = f"Lesson: {esc(hit.lesson)}" if hit.lesson else "_No retrospective lesson yet._"
    thread = f" · <{link}|Open its thread>" if link else ""
    text = f"*{hit.ref}* {esc(clip(hit.title, TITLE_MAX))}\n{esc(' · '.join(facts))}\n{lesson}{thread}"
    return SectionBlock(block_id=f"{prefix}:{hit.id}", text=_md(text, SECTION_TEXT))


def help_message() -> Rendered:
    """What to type when nothing was."""
    text = (
        f"Type some words after `/oops search`: {EXAMPLES}. Filters: `runbook:ID`, `scale:big`, "
        "`decision:correct`, `status:open`, `since:2026-01-01`, `before:2026-06-01`, `by:@someone`."
    )
    return "Type some words after /oops search", blocks_json([SectionBlock(text=_md(text, SECTION_TEXT))])


def result_blocks(
    results: Results,
    query_text: str,
    links: dict[int, str],
    tz: tzinfo,
    *,
    more_action: str = ids.SEARCH_MORE,
    examples: str = EXAMPLES,
    note: str = " Only you can see this.",
) -> list[Block]:
    """The header, the matches (or why none) and the More button: the `/oops search` answer, and the
    search modal's results (which pass their own More action, examples and note)."""
    quoted = esc(clip(query_text, SHOWN_QUERY))
    title = clip(f"Past mistakes matching “{clip(query_text, 100)}”", HEADER_TEXT)
    blocks: list[Block] = [HeaderBlock(text=title)]
    if not results.hits:
        if results.page > 1:
            empty = f"No more matches for “{quoted}”."
        else:
            empty = (
                f"No past mistake matches “{quoted}”. Try fewer or broader words, a prefix (`welc*`), "
                f"or drop a filter: {examples}."
            )
        blocks.append(SectionBlock(text=_md(empty, SECTION_TEXT)))
        return blocks
    if results.partial:
        summary = f"No past mistake has all of those words; these have some of them, most first.{note}"
    elif results.page == 1 and not results.more:
        summary = f"{len(results.hits)} match(es), the best first.{note}"
    else:
        summary = f"Page {results.page}, the best first.{note}"
    blocks.append(ContextBlock(elements=[_md(summary, CONTEXT_TEXT)]))
    blocks.extend(hit_block(hit, links.get(hit.id, ""), tz) for hit in results.hits)
    if results.more:
        button = ButtonElement(
            text="More", action_id=more_action, value=more_value(query_text, results.page + 1)
        )
        blocks.append(ActionsBlock(block_id="search:more", elements=[button]))
    return blocks


def search_message(results: Results, query_text: str, links: dict[int, str], tz: tzinfo) -> Rendered:
    """(fallback text, blocks). ``links`` maps an incident id to its thread's permalink, if any."""
    blocks = blocks_json(result_blocks(results, query_text, links, tz))
    if not results.hits:
        return clip(f"No match for “{esc(query_text)}”", 300), blocks
    fallback = f"{len(results.hits)} past mistake(s) matching “{esc(query_text)}”, page {results.page}"
    return clip(fallback, 300), blocks
