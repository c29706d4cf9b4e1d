"""Block Kit for action items: the owner's reminder (a DM with Done and Snooze), the list in the incident
thread's summary, and the answer to `/oops actions [mine]`."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.slack import ids
from bot.slack.views.common import CONTEXT_TEXT, SECTION_TEXT, blocks_json, clip, esc, user, when
from bot.slack.views.registry import Rendered, draws
from bot.snapshot import ActionItemView, Snapshot
from bot.usecases.actions import ActionListing, ActionReminder

DAY = "%a %d %b"
NEXT = "When it is done, press Done; if it needs more time, snooze it."


def _md(text: str, limit: int = SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def _day(value: date) -> str:
    return value.strftime(DAY)


def _done_button(item_id: int) -> ButtonElement:
    return ButtonElement(text="Done", action_id=ids.ACTION_DONE, value=str(item_id), style="primary")


@draws(ActionReminder)
def reminder(view: ActionReminder) -> Rendered:
    where = f"<{view.link}|{view.incident_ref}>" if view.link else view.incident_ref
    source = f"From the retrospective of {where}" + (
        f" · {esc(view.incident_title)}" if view.incident_title else ""
    )
    if view.done_at is not None:
        by = f"Marked done by {user(view.done_by)} on {when(view.done_at, view.tz)}."
        text = f"✅ *Done:* ~{esc(view.text)}~\n{by}"
        blocks: list[Block] = [
            SectionBlock(text=_md(text)),
            ContextBlock(elements=[_md(source, CONTEXT_TEXT)]),
        ]
        return clip(f"Done: {view.text}", 3000), blocks_json(blocks)
    if view.snoozed_until is not None and view.snoozed_until > view.today:
        status = f"💤 Snoozed until {_day(view.snoozed_until)}: I will remind you then."
    elif view.overdue:
        status = f"⏰ Overdue since {_day(view.due)}. {NEXT}"
    else:
        status = f"⏰ Due today. {NEXT}"
    blocks = [
        SectionBlock(text=_md(f"*Your action item:* {esc(view.text)}\n{status}")),
        ContextBlock(elements=[_md(source, CONTEXT_TEXT)]),
        ActionsBlock(
            block_id=f"action_item:{view.id}",
            elements=[
                _done_button(view.id),
                ButtonElement(text="Snooze a day", action_id=ids.ACTION_SNOOZE, value=f"{view.id}:1"),
                ButtonElement(text="Snooze a week", action_id=ids.ACTION_SNOOZE_WEEK, value=f"{view.id}:7"),
            ],
        ),
    ]
    return clip(f"Action item due: {view.text}", 3000), blocks_json(blocks)


def _thread_line(item: ActionItemView, snap: Snapshot) -> str:
    if item.done_at is not None:
        on = _day(item.done_at.astimezone(snap.tz).date())
        return f"✅ ~{esc(item.text)}~ · {user(item.owner)} · done by {user(item.done_by)} on {on}"
    return f"☐ {esc(item.text)} · {user(item.owner)} · due {_day(item.due)}"


def thread_actions(snap: Snapshot) -> list[Block]:
    """The action items in the summary message: one line each, a Done button on the open ones."""
    if not snap.actions:
        return []
    blocks: list[Block] = [SectionBlock(text=_md("*Action items*"))]
    for item in snap.actions[:20]:
        accessory = _done_button(item.id) if item.done_at is None else None
        blocks.append(SectionBlock(text=_md(_thread_line(item, snap)), accessory=accessory))
    return blocks


def listing(view: ActionListing) -> tuple[str, list[dict[str, Any]]]:
    """`/oops actions [mine]`: open items, newest incidents first, overdue ones marked."""
    whose = "Your open action items" if view.mine else "Open action items"
    if not view.items:
        nothing = "You have no open action items. 🎉" if view.mine else "No open action items. 🎉"
        return nothing, blocks_json([SectionBlock(text=_md(nothing))])
    lines = []
    for item in view.items:
        where = f"<{item.link}|{item.incident_ref}>" if item.link else item.incident_ref
        due = f"*overdue since {_day(item.due)}*" if item.overdue else f"due {_day(item.due)}"
        owner = "" if view.mine else f" · {user(item.owner)}"
        lines.append(f"• {esc(item.text)}{owner} · {due} · {where}")
    blocks: list[Block] = [SectionBlock(text=_md(f"*{whose}* ({len(view.items)})"))]
    chunk: list[str] = []
    for line in lines:  # several sections, so a long list never passes a section's 3,000 characters
        if sum(len(x) + 1 for x in chunk) + len(line) > SECTION_TEXT - 100:
            blocks.append(SectionBlock(text=_md("\n".join(chunk))))
            chunk = []
        chunk.append(line)
    blocks.append(SectionBlock(text=_md("\n".join(chunk))))
    more = " Only the newest are shown." if view.more else ""
    hint = "`/oops actions mine` shows yours only." if not view.mine else "`/oops actions` shows everyone's."
    blocks.append(
        ContextBlock(elements=[_md(f"Press Done in the incident thread when one is finished.{more} {hint}")])
    )
    return f"{whose}: {len(view.items)}", blocks_json(blocks)
