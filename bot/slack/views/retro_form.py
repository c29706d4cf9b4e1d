"""The retrospective modal: the timeline (read-only), what happened, the root cause (a category from the
runbook plus free text), what we change, checklist items, and action item rows with an owner and a due
date. "Add another action item" redraws it with one more row; what was typed is carried over as initial
values (block ids stay the same, so Slack keeps the typing too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)

from bot.slack import ids
from bot.slack.views.common import CONTEXT_TEXT, LABEL_TEXT, OPTION_TEXT, SECTION_TEXT, clip, esc
from bot.slack.views.modals import _modal, metadata
from bot.usecases.retro_form import ACTION_TEXT_MAX, ActionRow, RetroForm

TIME = "%a %d %b, %H:%M"
TEXT_FIELDS = ("what_went_wrong", "root_cause", "what_we_change", "checklist")


def row_block(index: int, part: str) -> str:
    """The block id of one part (text, owner, due) of an action item row."""
    return f"{ids.ACTION_ROW_PREFIX}{index}_{part}"


def _text(
    block_id: str,
    label: str,
    typed: Mapping[str, str | None],
    *,
    optional: bool = False,
    hint: str | None = None,
    max_length: int = 3000,
    multiline: bool = True,
) -> InputBlock:
    initial = typed.get(block_id) or None
    return InputBlock(
        block_id=block_id,
        label=clip(label, LABEL_TEXT),
        element=PlainTextInputElement(
            action_id=ids.VALUE,
            multiline=multiline,
            max_length=max_length,
            initial_value=clip(initial, max_length) if initial else None,
        ),
        optional=optional,
        hint=hint,
    )


def _timeline(form: RetroForm) -> ContextBlock:
    tz = form.snap.tz
    steps = " → ".join(f"{esc(what)} {at.astimezone(tz).strftime(TIME)}" for what, at in form.timeline)
    return ContextBlock(
        block_id="timeline",
        elements=[MarkdownTextObject(text=clip(f"*Timeline:* {steps or 'not recorded'}", CONTEXT_TEXT))],
    )


def _cause(form: RetroForm) -> InputBlock:
    options = [Option(value=key, label=clip(label, OPTION_TEXT)) for key, label in form.causes][:100]
    initial = next((o for o in options if o.value == form.cause), None)
    return InputBlock(
        block_id="cause",
        label="Root cause, in a word",
        element=StaticSelectElement(
            action_id=ids.VALUE, placeholder="Pick the closest", options=options, initial_option=initial
        ),
        optional=True,
        hint="Categories from the runbook: the weekly summary counts the ones that recur.",
    )


def _row(row: ActionRow) -> list[Block]:
    text = row.text or None
    return [
        InputBlock(
            block_id=row_block(row.index, "text"),
            label=f"Action item {row.index + 1}",
            element=PlainTextInputElement(
                action_id=ids.VALUE,
                max_length=ACTION_TEXT_MAX,
                initial_value=text,
                placeholder="Mark every list that starts a flow",
            ),
            optional=True,
        ),
        InputBlock(
            block_id=row_block(row.index, "owner"),
            label="Owner",
            element=UserSelectElement(
                action_id=ids.VALUE, placeholder="Who does it", initial_user=row.owner or None
            ),
            optional=True,
        ),
        InputBlock(
            block_id=row_block(row.index, "due"),
            label="Due",
            element=DatePickerElement(
                action_id=ids.VALUE,
                placeholder="A day after today",
                initial_date=row.due.isoformat() if row.due else None,
            ),
            optional=True,
        ),
    ]


def retro_modal(form: RetroForm, typed: Mapping[str, str | None] | None = None) -> dict[str, Any]:
    """The form, with ``typed`` (block id -> text) as it was before a redraw."""
    typed = typed or {}
    snap = form.snap
    suggestions = "\n".join(f"• {esc(item)}" for item in snap.lessons) or "none yet"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=clip(f"*{snap.ref}* · {esc(snap.title)}", SECTION_TEXT))),
        _timeline(form),
        _text("what_went_wrong", "What went wrong?", typed),
        _cause(form),
        _text(
            "root_cause",
            "Root cause",
            typed,
            hint="The process, not the person: what let the mistake through?",
        ),
        _text("what_we_change", "What we change", typed),
        _text("checklist", "Checklist items to add (one a line)", typed, optional=True),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=clip(f"Checklist so far for this kind of mistake:\n{suggestions}", 3000)
                )
            ]
        ),
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Action items* (optional): each needs an owner and a day after today. "
                "The owner gets a reminder on the day."
            )
        ),
    ]
    for row in form.rows:
        blocks.extend(_row(row))
    if len(form.rows) < form.max_rows:
        blocks.append(
            ActionsBlock(
                block_id="add_action",
                elements=[
                    ButtonElement(
                        text="Add another action item", action_id=ids.RETRO_ADD_ACTION, value=str(snap.id)
                    )
                ],
            )
        )
    meta = metadata(incident=snap.id, rows=len(form.rows))
    return _modal("Retrospective", ids.RETRO_VIEW, blocks, meta, submit="Close incident")
