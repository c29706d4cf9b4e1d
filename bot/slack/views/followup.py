"""Block Kit for the follow-ups: the retrospective reminder a person gets in a direct message (and the
second one in the thread), the overdue line, and the watch after the apology with its figures modal.

Every builder draws one view model from bot.usecases.retro_followup or bot.usecases.watch, registered
with @draws so the messenger's send() and edit() find it.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack import ids
from bot.slack.views.common import BUTTON_TEXT, CONTEXT_TEXT, SECTION_TEXT, blocks_json, clip, esc, user, when
from bot.slack.views.modals import metadata
from bot.slack.views.registry import Rendered, draws
from bot.slack.views.thread import move_it
from bot.usecases.retro_followup import RetroNudge, RetroOverdue, RetroSettled
from bot.usecases.watch import Figures, WatchAsk, WatchNote

TITLE_SHOWN = 150
LABELS = {
    "complaints": "Complaints since the apology",
    "unsubscribes": "Unsubscribes since the apology",
    "replies": "Replies to the apology",
}


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, CONTEXT_TEXT))])


def _button(text: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=clip(text, BUTTON_TEXT), action_id=action_id, value=value, style=style)


@draws(RetroNudge)
def nudge(view: RetroNudge) -> Rendered:
    """A person's reminder (or the second one in the thread): start the form, or move it."""
    ref = f"<{view.link}|{view.ref}>" if view.link else view.ref
    title = esc(clip(view.title, TITLE_SHOWN))
    if view.again:
        head = f"⏰ *Still to do: the retrospective of {ref}* ({title}), due {when(view.retro_at, view.tz)}."
    else:
        head = f"⏰ *The retrospective of {ref} is due now*: {title}."
    why = (
        "What went wrong, why, and what do we change? The answers close the incident and teach the checklist."
    )
    if view.person:
        why = f"{user(view.person)}, you took part in it. " + why
    blocks: list[Block] = [
        _section(f"{head}\n{why}"),
        ActionsBlock(
            elements=[_button("Start the retrospective", ids.RETRO_START, str(view.incident_id), "primary")]
        ),
        *move_it(view.incident_id, view.move_default),
    ]
    text = f"{view.ref}: the retrospective is {'still to do' if view.again else 'due now'}"
    return clip(text, 3000), blocks_json(blocks)


@draws(RetroOverdue)
def overdue(view: RetroOverdue) -> Rendered:
    text = (
        f"⚠️ The retrospective of {view.ref} is overdue since {when(view.since, view.tz)}. "
        "Hold it with the reminder above, or move it to a time that works."
    )
    return clip(text, 3000), blocks_json([_section(text)])


@draws(RetroSettled)
def settled(view: RetroSettled) -> Rendered:
    if view.held:
        text = f"⏰ The retrospective of {view.ref}: held, thank you."
    elif view.retro_at is not None:
        moved = when(view.retro_at, view.tz)
        text = f"⏰ The retrospective of {view.ref} was moved to {moved}: I will remind you then."
    else:
        text = f"⏰ The retrospective of {view.ref} was moved."
    return clip(text, 3000), blocks_json([_section(text)])


def _figures(figures: Figures) -> str:
    return (
        f"*{figures.complaints}* complaints · *{figures.unsubscribes}* unsubscribes · "
        f"*{figures.replies}* replies"
    )


@draws(WatchAsk)
def watch_ask(view: WatchAsk) -> Rendered:
    """The question in the thread after the apology; once answered, the figures instead of the button."""
    since = "since the apology was approved"
    blocks: list[Block] = [
        _section(
            f"👀 *How has it gone {since}?* Watch every channel for {view.ref}: how many complaints, "
            "unsubscribes and replies came in? Record them so the scale can be checked."
        )
    ]
    if view.figures is not None:
        blocks.append(_context(f"Recorded by {user(view.recorded_by)}: {_figures(view.figures)}"))
    button = _button(
        "Record the figures" if view.figures is None else "Correct the figures",
        ids.WATCH_RECORD,
        str(view.incident_id),
        "primary" if view.figures is None else None,
    )
    blocks.append(ActionsBlock(elements=[button]))
    return clip(f"{view.ref}: how has it gone since the apology?", 3000), blocks_json(blocks)


@draws(WatchNote)
def watch_note(view: WatchNote) -> Rendered:
    text = f"📊 Since the apology of {view.ref}, {user(view.recorded_by)} recorded {_figures(view.figures)}."
    blocks: list[Block] = [_section(text)]
    if view.reassess:
        more = (
            f"That is far more complaints than the {view.assessed_complaints} at assessment: "
            "the scale may be bigger than we thought."
        )
        if view.can_reassess:
            blocks.append(_section(f"⚠️ {more} Re-assess it?"))
            blocks.append(ActionsBlock(elements=[_button("Re-assess", ids.REASSESS, str(view.incident_id))]))
        else:
            blocks.append(_context(f"⚠️ {more} Note it for the next incident of this kind."))
    return clip(f"{view.ref}: figures since the apology recorded", 3000), blocks_json(blocks)


def watch_modal(incident_id: int, ref: str, figures: Figures | None = None) -> dict[str, Any]:
    """Three whole numbers; the figures already recorded, if any, to correct."""
    blocks: list[Block] = [_section(f"*{ref}*: what came in since the apology? 0 if none.")]
    for name, label in LABELS.items():
        initial = str(getattr(figures, name)) if figures is not None else None
        element = NumberInputElement(
            action_id=ids.VALUE, is_decimal_allowed=False, min_value="0", initial_value=initial
        )
        blocks.append(InputBlock(block_id=name, label=label, element=element))
    view = View(
        type="modal",
        title="Figures since",
        submit="Record",
        close="Cancel",
        callback_id=ids.WATCH_VIEW,
        blocks=blocks,
        private_metadata=metadata(incident=incident_id),
    )
    return view.to_dict()
