"""The App Home tab and its search modal, as Block Kit.

The home view lists what the use case chose (each part already capped) and says how many more there
are, so it stays well under Slack's 100 blocks however long the history; titles and lessons are
people's text, escaped and clipped. The search modal keeps the query in its input so it can be
refined, and shows the same results as `/oops search` (bot.slack.views.search) beneath it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.runbook.incident import Status
from bot.slack import ids
from bot.slack.views.common import CONTEXT_TEXT, SECTION_TEXT, clip, esc, user
from bot.slack.views.search import TITLE_MAX, cap, hit_block, result_blocks
from bot.usecases.checklists import Item
from bot.usecases.history import Results
from bot.usecases.home import Home, Waiting

QUERY_BLOCK = "query"
ITEM_TEXT = 500  # characters of a checklist item shown
EXAMPLES = '`welcome email`, `"test list" scale:big`, `welc*`'
FILTERS = (
    'Words, a "phrase", a prefix (welc*) and filters: runbook:ID scale:big decision:correct '
    "status:open since:2026-01-01 before:2026-06-01 by:@someone"
)
EMPTY = f"Type some words to search for, for example {EXAMPLES}."
WELCOME = (
    "Nothing is on record here yet. When something goes wrong in public (a campaign to the wrong "
    "list, a wrong price, a broken link), type `/oops what happened` in any channel: I open one "
    "thread for it and walk the team through the scale, who to tell, the decision, the apology and "
    "the retrospective.\n\nThis tab then shows what is open and what each incident waits on, the "
    "retrospectives to come, the last mistakes with their lessons, and the checklist they taught."
)


def _md(text: str, limit: int = SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def _more(shown: int, total: int, hint: str) -> list[Block]:
    if total <= shown:
        return []
    return [ContextBlock(elements=[_md(f"and {total - shown} more: {hint}", CONTEXT_TEXT)])]


def waits_on(item: Waiting, tz: tzinfo) -> str:
    """The step an open incident waits on, in a few words."""
    if item.status is Status.DECIDING:
        return "waiting for a decision"
    if item.status is Status.DRAFTING:
        return "apology draft awaiting approval"
    if item.status is Status.SCHEDULING:
        return "retrospective to schedule"
    if item.status is Status.RETRO_DUE and item.overdue_since is not None:
        return "retrospective overdue since " + item.overdue_since.astimezone(tz).strftime(
            "%a %d %b, %H:%M %Z"
        )
    if item.status is Status.RETRO_DUE:
        return "retrospective due now"
    if item.status is Status.RETRO_SCHEDULED and item.retro_at is not None:
        return "retrospective on " + item.retro_at.astimezone(tz).strftime("%a %d %b, %H:%M %Z")
    return item.status.label.lower()


def _ref(item: Waiting, links: Mapping[int, str]) -> str:
    link = links.get(item.hit.id, "")
    return f"<{link}|{item.hit.ref}>" if link else item.hit.ref


def _open_block(item: Waiting, links: Mapping[int, str], tz: tzinfo) -> SectionBlock:
    hit = item.hit
    reported = hit.date.astimezone(tz).strftime("%d %b %Y")
    who = f"reported by {user(item.reporter)} on {reported}"
    facts = f"⏳ *{waits_on(item, tz)}* · scale {esc(hit.scale)} · {who}"
    text = f"*{_ref(item, links)}* {esc(clip(hit.title, TITLE_MAX))}\n{facts}"
    return SectionBlock(block_id=f"open:{hit.id}", text=_md(text))


def _retro_block(item: Waiting, links: Mapping[int, str], tz: tzinfo) -> SectionBlock:
    if item.status is Status.RETRO_DUE and item.overdue_since is not None:
        since = item.overdue_since.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z")
        when = f"⚠️ overdue since {since}"
    elif item.status is Status.RETRO_DUE:
        when = "due now (the reminder is in its thread)"
    else:
        when = item.retro_at.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z") if item.retro_at else "—"
    text = f"🗓 *{when}* · *{_ref(item, links)}* {esc(clip(item.hit.title, TITLE_MAX))}"
    return SectionBlock(block_id=f"retro:{item.hit.id}", text=_md(text))


def _item_block(number: int, item: Item) -> SectionBlock:
    taught = "1 past incident" if item.count == 1 else f"{item.count} past incidents"
    refs = ", ".join(item.refs[:5]) + (" …" if item.count > 5 else "")
    text = f"{number}. ☐ *{esc(clip(item.text, ITEM_TEXT))}*\n_{taught}: {refs}_"
    return SectionBlock(block_id=f"checklist:{item.id}", text=_md(text))


def _section(title: str) -> list[Block]:
    return [DividerBlock(), HeaderBlock(text=title)]


def _search_button() -> ActionsBlock:
    button = ButtonElement(text="Search past mistakes", action_id=ids.HOME_SEARCH, style="primary")
    return ActionsBlock(block_id="home:search", elements=[button])


def home_view(home: Home, tz: tzinfo) -> dict[str, Any]:
    """The home tab of a person in the workspace ``home`` was built for."""
    blocks: list[Block] = [HeaderBlock(text="oops · the team's mistakes, and what they taught")]
    if home.new:
        blocks.append(SectionBlock(block_id="home:welcome", text=_md(WELCOME)))
        blocks.append(ContextBlock(elements=[_md("`/oops help` lists every command.", CONTEXT_TEXT)]))
        return View(type="home", callback_id="oops_home", blocks=blocks).to_dict()
    blocks.append(_search_button())

    blocks += _section("Open incidents")
    if not home.open:
        blocks.append(SectionBlock(text=_md("No open incidents — good.")))
    blocks += [_open_block(item, home.links, tz) for item in home.open]
    blocks += _more(len(home.open), home.open_total, "search `status:open` to list them all.")

    blocks += _section("Upcoming retrospectives")
    if not home.retros:
        blocks.append(SectionBlock(text=_md("No retrospective is scheduled.")))
    blocks += [_retro_block(item, home.links, tz) for item in home.retros]
    blocks += _more(len(home.retros), home.retros_total, "each open incident's thread has its own.")

    blocks += _section(f"Last {len(home.recent)} mistakes" if len(home.recent) > 1 else "Last mistake")
    blocks += [hit_block(hit, home.links.get(hit.id, ""), tz, prefix="recent") for hit in home.recent]

    blocks += _section("Checklist: what past mistakes taught")
    if not home.checklist:
        text = "Nothing yet: the checklist items a retrospective adds show up here, the most taught first."
        blocks.append(SectionBlock(text=_md(text)))
    blocks += [_item_block(n, item) for n, item in enumerate(home.checklist, start=1)]
    blocks += _more(len(home.checklist), home.checklist_total, "`/oops checklist` shows them all.")
    return View(type="home", callback_id="oops_home", blocks=blocks).to_dict()


def search_modal(
    query_text: str = "",
    results: Results | None = None,
    links: dict[int, str] | None = None,
    tz: tzinfo = UTC,
    *,
    note: str = "",
) -> dict[str, Any]:
    """The search modal: the query input (holding ``query_text``), then the results once searched, or
    ``note`` (what to type, or why there are no results)."""
    query_text = cap(query_text)
    field = PlainTextInputElement(
        action_id=ids.VALUE, initial_value=query_text or None, placeholder="welcome email scale:big"
    )
    blocks: list[Block] = [
        InputBlock(block_id=QUERY_BLOCK, label="Words and filters", element=field, hint=clip(FILTERS, 2000))
    ]
    if results is not None:
        blocks += result_blocks(
            results, query_text, links or {}, tz, more_action=ids.HOME_SEARCH_MORE, examples=EXAMPLES, note=""
        )
    if note:
        blocks.append(SectionBlock(block_id="search:note", text=_md(note)))
    view = View(
        type="modal",
        callback_id=ids.HOME_SEARCH_VIEW,
        title="Search past mistakes",
        submit="Search",
        close="Close",
        blocks=blocks,
    )
    return view.to_dict()
