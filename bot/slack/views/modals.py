"""The modals: report a mistake, re-assess it, record a decision, edit the apology (the retrospective's
form is in retro_form.py).

Modals carry what the submission needs in ``private_metadata`` (JSON, at most 3,000 characters),
so a submission never depends on memory of the process that opened it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.runbook.model import Decision, Question, QuestionType, Runbook
from bot.slack import ids
from bot.slack.views.common import LABEL_TEXT, OPTION_TEXT, SECTION_TEXT, clip, esc
from bot.snapshot import Snapshot
from bot.usecases.decide import NOTE_MAX
from bot.usecases.report import DETAILS_MAX, SUMMARY_MAX

YES_NO = [Option(value="yes", label="Yes"), Option(value="no", label="No")]


def metadata(**values: Any) -> str:
    return json.dumps(values, separators=(",", ":"))


def _modal(
    title: str, callback_id: str, blocks: list[Block], meta: str, submit: str = "Submit"
) -> dict[str, Any]:
    view = View(
        type="modal",
        title=title,
        submit=submit,
        close="Cancel",
        callback_id=callback_id,
        blocks=blocks,
        private_metadata=meta,
    )
    return view.to_dict()


def _text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    multiline: bool = False,
    max_length: int = 3000,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
) -> InputBlock:
    element = PlainTextInputElement(
        action_id=ids.VALUE,
        multiline=multiline,
        max_length=max_length,
        initial_value=clip(initial, max_length) if initial else None,
        placeholder=clip(placeholder, 150) if placeholder else None,
    )
    return InputBlock(
        block_id=block_id,
        label=clip(label, LABEL_TEXT),
        element=element,
        optional=optional,
        hint=clip(hint, 2000) if hint else None,
    )


def _option(value: str, label: str) -> Option:
    return Option(value=value, label=clip(label, OPTION_TEXT))


def question_block(question: Question, value: Any = None) -> InputBlock:
    """One runbook question as a modal input, pre-filled with ``value`` when re-assessing."""
    block_id = ids.QUESTION_PREFIX + question.id
    label = clip(question.label + (f" ({question.unit})" if question.unit else ""), LABEL_TEXT)
    optional = not question.required
    if question.type is QuestionType.choice:
        options = [_option(c.value, c.label) for c in question.options]
        initial = next((o for o in options if o.value == value), None)
        element: Any = StaticSelectElement(
            action_id=ids.VALUE, placeholder="Pick one", options=options[:100], initial_option=initial
        )
    elif question.type is QuestionType.yes_no:
        initial = None if value is None else YES_NO[0 if value else 1]
        element = RadioButtonsElement(action_id=ids.VALUE, options=YES_NO, initial_option=initial)
    else:
        multiline = question.type is QuestionType.text
        text = None if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
        element = PlainTextInputElement(
            action_id=ids.VALUE, multiline=multiline, initial_value=text, max_length=3000 if multiline else 40
        )
    return InputBlock(
        block_id=block_id,
        label=label,
        element=element,
        optional=optional,
        hint=clip(question.help, 2000) if question.help else None,
    )


def report_modal(
    runbooks: Mapping[str, Runbook], runbook_id: str, channel: str, *, summary: str = "", details: str = ""
) -> dict[str, Any]:
    """`/oops`: what happened, which runbook, and that runbook's scale questions.

    Only the summary, the details and the channel change from one `/oops` to the next; the rest is
    built (and validated by slack_sdk's models) once per runbook, which keeps the 3-second path short."""
    view = json.loads(_report_template(runbooks, runbook_id))
    summary_input, details_input = view["blocks"][0]["element"], view["blocks"][1]["element"]
    if summary[:SUMMARY_MAX]:
        summary_input["initial_value"] = clip(summary[:SUMMARY_MAX], SUMMARY_MAX)
    if details:
        details_input["initial_value"] = clip(details, DETAILS_MAX)
    view["private_metadata"] = metadata(channel=channel, runbook=runbook_id)
    return view


_templates: dict[tuple[int, tuple[str, ...], str], tuple[Runbook, str]] = {}


def _report_template(runbooks: Mapping[str, Runbook], runbook_id: str) -> str:
    runbook = runbooks[runbook_id]
    key = (id(runbook), tuple(runbooks), runbook_id)
    cached = _templates.get(key)
    if cached is None or cached[0] is not runbook:  # a reloaded runbook may reuse an id()
        cached = (runbook, json.dumps(_report_view(runbooks, runbook_id)))
        _templates[key] = cached
    return cached[1]


def _report_view(runbooks: Mapping[str, Runbook], runbook_id: str) -> dict[str, Any]:
    runbook = runbooks[runbook_id]
    options = [_option(r.id, r.name) for r in runbooks.values()]
    selected = next(o for o in options if o.value == runbook_id)
    blocks: list[Block] = [
        _text_input(
            "summary",
            "What happened, in one line?",
            max_length=SUMMARY_MAX,
            placeholder="Welcome email sent to 27,463 existing customers",
        ),
        _text_input(
            "details",
            "Details",
            multiline=True,
            max_length=DETAILS_MAX,
            optional=True,
            placeholder="When, how it was noticed, what has been done so far",
        ),
        InputBlock(
            block_id="runbook",
            label="Runbook",
            dispatch_action=True,
            element=StaticSelectElement(
                action_id=ids.RUNBOOK_SELECT, options=options[:100], initial_option=selected
            ),
            hint=clip(runbook.description, 2000) if runbook.description else None,
        ),
        SectionBlock(text=MarkdownTextObject(text="*How big is it?*")),
        *[question_block(q) for q in runbook.questions],
    ]
    return _modal("Report a mistake", ids.REPORT_VIEW, blocks[:100], "", submit="Open incident")


def reassess_modal(snap: Snapshot, runbook: Runbook, answers: Mapping[str, Any]) -> dict[str, Any]:
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(
                    f"*{snap.ref}* · {esc(snap.title)}\nNow: *{snap.scale}*. Update what you know now.",
                    SECTION_TEXT,
                )
            )
        ),
        *[question_block(q, answers.get(q.id)) for q in runbook.questions],
    ]
    return _modal("Re-assess the scale", ids.REASSESS_VIEW, blocks[:100], metadata(incident=snap.id))


def decide_modal(snap: Snapshot, choice: Decision, default_offer: str | None) -> dict[str, Any]:
    """Who decided and why goes on record; for an apology, what it may say."""
    rec = (
        "the runbook's recommendation"
        if choice is snap.recommendation
        else (f"the runbook recommended {snap.recommendation.label}")
    )
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=clip(
                    f"*{snap.ref}* · {esc(snap.title)}\nYou chose *{choice.label}* ({rec}).", SECTION_TEXT
                )
            )
        ),
        _text_input(
            "note",
            "Why this decision?",
            multiline=True,
            max_length=NOTE_MAX,
            optional=True,
            placeholder="Goes on record with your name",
        ),
    ]
    if choice is not Decision.no_action:
        blocks.append(
            _text_input(
                "what_was_fixed",
                "What has been fixed?",
                max_length=1000,
                optional=True,
                placeholder="The links now work; the list is corrected",
            )
        )
        blocks.append(
            _text_input(
                "customer_action",
                "Should customers do anything?",
                max_length=1000,
                optional=True,
                placeholder="Nothing, or: use the new link below",
            )
        )
    if choice is Decision.make_it_big:
        blocks.append(
            _text_input(
                "offer",
                "The offer",
                initial=default_offer,
                max_length=300,
                optional=True,
                hint="Shown in the apology; leave empty for none.",
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="No blame on a person: the record says what the team decided and why."
                )
            ]
        )
    )
    return _modal(
        "Record the decision",
        ids.DECIDE_VIEW,
        blocks,
        metadata(incident=snap.id, choice=choice.value),
        submit="Record",
    )


def edit_draft_modal(snap: Snapshot) -> dict[str, Any]:
    draft = snap.draft
    assert draft is not None
    blocks: list[Block] = [
        _text_input("subject", "Subject", initial=draft.subject, max_length=150),
        _text_input("body", "Message", initial=draft.body, multiline=True, max_length=2900),
    ]
    return _modal(
        "Edit the apology",
        ids.EDIT_DRAFT_VIEW,
        blocks,
        metadata(incident=snap.id, version=draft.version),
        submit="Save",
    )
