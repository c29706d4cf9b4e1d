"""Every message and modal the bot builds, in every state and with the longest inputs it accepts,
against Slack's Block Kit limits: slack_sdk's own models, then an explicit walk over the JSON.

A message Slack refuses is a step the team never sees, so each limit is checked where it can bite:
block counts, text lengths, buttons, selects, metadata, and mentions hidden in people's text.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.errors import SlackObjectFormationError

from bot.config import AppConfig
from bot.demo import INCIDENT_CHANNEL, DemoBot
from bot.runbook.answers import format_answer, parse_answer
from bot.runbook.guardrails import check
from bot.runbook.incident import Status
from bot.runbook.loader import load_runbooks
from bot.runbook.model import Decision, Question, QuestionType, Runbook
from bot.slack.views import modals
from bot.slack.views import retro_form as retro_form_views
from bot.slack.views.common import validate_message, validate_view
from bot.slack.views.retro_form import TEXT_FIELDS, retro_modal
from bot.slack.views.thread import RENDERERS, department_notice
from bot.snapshot import ActionItemView, DraftView, NoticeView, RetroView, Snapshot
from bot.usecases import assess, report
from bot.usecases.retro_form import ACTION_TEXT_MAX, MAX_ROWS, ActionRow, RetroForm

# Slack's published limits (Block Kit reference), written out here rather than imported, so a
# wrong constant in the bot cannot make its own test pass.
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
SELECT_OPTIONS = 100
RADIO_OPTIONS = 10
OPTION_TEXT = 75
OPTION_VALUE = 150
PLACEHOLDER = 150
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLAIN_TEXT_INPUT = 3000
MODAL_TITLE = 24
MODAL_BUTTON = 24
PRIVATE_METADATA = 3000
ID_LENGTH = 255
FALLBACK_TEXT = 4000

TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 27, 9, 30, tzinfo=UTC)
MENTION = "<!channel> & co"
LIVE_MENTION = re.compile(r"<!(channel|here|everyone)\b|<!subteam\^")
# What the bot itself may write between < and >: a user mention or a link.
ALLOWED_ANGLE = re.compile(r"<(@U[A-Z0-9]+|#C[A-Z0-9]+|https?://[^|>]+\|[^>]*)>")


def _long(seed: str, length: int) -> str:
    """Text of exactly ``length`` characters, words and the characters mrkdwn cares about included."""
    unit = f"{seed} <b> & 'q' > x "
    return (unit * (length // len(unit) + 1))[:length]


# ---------------------------------------------------------------------------------------------------
# Runbooks: the shipped ones and one at the edge of what the schema accepts.


@pytest.fixture(scope="module")
def shipped(config: AppConfig) -> dict[str, Runbook]:
    runbooks = load_runbooks(config.runbooks_path, departments=set(config.departments))
    assert {"email-campaign", "general", "pricing-error"} <= set(runbooks)
    return runbooks


def _extreme_runbook() -> Runbook:
    """40 questions (the most a runbook may have), 150-character labels and help, 100-option choices."""
    kinds = [
        QuestionType.number,
        QuestionType.money,
        QuestionType.choice,
        QuestionType.yes_no,
        QuestionType.text,
    ]
    questions: list[dict[str, Any]] = []
    for index in range(40):
        kind = kinds[index % len(kinds)]
        question: dict[str, Any] = {
            "id": f"q{index:02d}_answer",
            "label": _long(f"Question {index}", 150),
            "help": _long("help", 150),
            "type": kind.value,
            "required": index % 2 == 0,
        }
        if kind is QuestionType.choice:
            question["options"] = [
                {"value": f"option_{n:03d}_" + "v" * 28, "label": _long(f"Option {n}", 75)}
                for n in range(100)
            ]
        if kind in (QuestionType.number, QuestionType.money):
            question["unit"] = "x" * 12
        questions.append(question)
    return Runbook.model_validate(
        {
            "id": "extreme-case",
            "name": _long("Extreme", 80),
            "description": _long("A runbook at every limit", 500),
            "questions": questions,
            "scale": {
                "levels": ["small", "big"],
                "rules": [{"level": "big", "when": "q00_answer > 5", "why": "Many people."}],
            },
            "recommendation": {"default": {"choice": "correct", "why": "It is the honest thing."}},
            "checklist": [_long(f"Check {n}", 300) for n in range(20)],
        }
    )


@pytest.fixture(scope="module")
def runbooks(shipped: dict[str, Runbook]) -> dict[str, Runbook]:
    extreme = _extreme_runbook()
    return {**shipped, extreme.id: extreme}


def _extreme_answer(question: Question) -> Any:
    match question.type:
        case QuestionType.number:
            return 10**12
        case QuestionType.money:
            return 999_999_999_999.99
        case QuestionType.choice:
            return question.options[-1].value
        case QuestionType.yes_no:
            return True
        case _:
            return _long(MENTION, 3000)


def _answers(runbook: Runbook) -> dict[str, Any]:
    return {q.id: _extreme_answer(q) for q in runbook.questions}


# ---------------------------------------------------------------------------------------------------
# Snapshots in every state, with the longest text each field can hold.

DEPARTMENTS = [(f"dept-{n:03d}", _long(f"Dept {n}", 40)) for n in range(100)]


def _notices(delivered: bool = True) -> tuple[NoticeView, ...]:
    return tuple(
        NoticeView(
            department=key,
            label=label,
            channel="#" + _long(key, 79),
            reason=_long(MENTION, 1000),
            notified_by="oops" if n % 2 else "U0MARC",
            delivered=delivered or n % 3 != 0,
        )
        for n, (key, label) in enumerate(DEPARTMENTS)
    )


def _draft(approved: bool) -> DraftView:
    return DraftView(
        version=12,
        subject=_long(MENTION, 150),
        body=_long(MENTION, 2900),
        author="U0MARC",
        source="edit",
        approved_by="U0MARC" if approved else None,
        approved_at=NOW if approved else None,
    )


def _unready_draft() -> DraftView:
    """The longest draft, with every guardrail broken by text built to make each reason long."""
    draft = _draft(False)
    body = _long(f"[{'N' * 40}] {{{{ {'x' * 80} }}}} <@U{'1' * 20}> our intern SORRY10 99% off", 2900)
    findings = check(
        draft.subject, body, decision="correct", decided_offer="", brand_offer=body, body_max=200
    )
    assert {f.rule for f in findings} >= {"placeholder", "blame", "ping", "offer", "subject_length"}
    return dataclasses.replace(draft, body=body, findings=tuple(findings))


def _retro() -> RetroView:
    return RetroView(
        what_went_wrong=_long(MENTION, 3000),
        root_cause=_long(MENTION, 3000),
        what_we_change=_long(MENTION, 3000),
        checklist=tuple(_long(f"{MENTION} {n}", 300) for n in range(30)),
        submitted_by="U0JO",
        cause="human_slip",
        cause_label=_long(MENTION, 75),
    )


def _actions() -> tuple[ActionItemView, ...]:
    """More action items than the form allows (10), half of them done."""
    return tuple(
        ActionItemView(
            id=2_000_000_000 + n,
            text=_long(f"{MENTION} {n}", 300),
            owner="U0MARC",
            due=NOW.date(),
            done_by="U0JO" if n % 2 else None,
            done_at=NOW if n % 2 else None,
        )
        for n in range(12)
    )


def _base(runbook: Runbook) -> Snapshot:
    answers = _answers(runbook)
    return Snapshot(
        id=2_147_483_647,
        ref="OOPS-2147483647",
        title=(MENTION + " " + _long("title", 150))[:150],
        details=_long(MENTION, 3000),
        runbook_id=runbook.id,
        runbook_name=runbook.name,
        reporter="U0AILSA",
        channel="C0OOPS",
        header_ts="1700000000.000100",
        status=Status.DECIDING,
        scale="big",
        scale_reasons=tuple(_long(f"{MENTION} reason {n}", 500) for n in range(20)),
        answers=tuple((q.label, format_answer(q, answers[q.id])) for q in runbook.questions),
        recommendation=Decision.make_it_big,
        recommendation_reason=_long(MENTION, 1000),
        decision=None,
        decided_by=None,
        decided_at=None,
        decision_note="",
        can_change_decision=False,
        notices=_notices(),
        addable_departments=tuple((f"more-{n:03d}", _long(f"More {n}", 40)) for n in range(150)),
        draft=None,
        retro_at=None,
        retro_default=NOW + timedelta(days=4),
        retro=None,
        lessons=tuple(_long(f"{MENTION} lesson {n}", 300) for n in range(30)),
        tz=TZ,
        created_at=NOW - timedelta(hours=3),
        closed_at=None,
        offer=_long(MENTION, 300),
    )


def _decided(snap: Snapshot, decision: Decision, **more: Any) -> Snapshot:
    return dataclasses.replace(
        snap,
        decision=decision,
        decided_by="U0MARC",
        decided_at=NOW - timedelta(hours=2),
        decision_note=_long(MENTION, 3000),
        **more,
    )


STATES: dict[str, Callable[[Snapshot], Snapshot]] = {
    "deciding": lambda s: s,
    "drafting, no draft yet": lambda s: _decided(
        s, Decision.correct, status=Status.DRAFTING, can_change_decision=True
    ),
    "drafting with a draft": lambda s: _decided(
        s, Decision.make_it_big, status=Status.DRAFTING, can_change_decision=True, draft=_draft(False)
    ),
    "drafting, a draft that breaks every guardrail": lambda s: _decided(
        s, Decision.correct, status=Status.DRAFTING, can_change_decision=True, draft=_unready_draft()
    ),
    "approved": lambda s: _decided(s, Decision.make_it_big, status=Status.SCHEDULING, draft=_draft(True)),
    "scheduling, no apology": lambda s: _decided(
        s, Decision.no_action, status=Status.SCHEDULING, can_change_decision=True
    ),
    "decision changed, old draft set aside": lambda s: dataclasses.replace(
        s, status=Status.DECIDING, draft=_draft(False)
    ),
    "retro scheduled": lambda s: _decided(
        s,
        Decision.correct,
        status=Status.RETRO_SCHEDULED,
        draft=_draft(True),
        retro_at=NOW + timedelta(days=2),
    ),
    "retro due": lambda s: _decided(
        s, Decision.correct, status=Status.RETRO_DUE, draft=_draft(True), retro_at=NOW - timedelta(minutes=1)
    ),
    "closed with retro and checklist": lambda s: _decided(
        s,
        Decision.make_it_big,
        status=Status.CLOSED,
        draft=_draft(True),
        retro_at=NOW,
        retro=_retro(),
        closed_at=NOW + timedelta(days=3),
        addable_departments=(),
    ),
    "closed with a written summary and action items": lambda s: _decided(
        s,
        Decision.correct,
        status=Status.CLOSED,
        draft=_draft(True),
        retro=dataclasses.replace(_retro(), summary=_long(MENTION, 2900)),
        closed_at=NOW + timedelta(days=3),
        actions=_actions(),
    ),
    "closed without a decision": lambda s: dataclasses.replace(
        s, status=Status.CLOSED, closed_at=NOW, retro=_retro()
    ),
    "a notice not delivered": lambda s: dataclasses.replace(s, notices=_notices(delivered=False)),
}


@pytest.fixture(scope="module", params=sorted(STATES))
def state(request: pytest.FixtureRequest) -> str:
    return request.param


def _snapshots(runbooks: dict[str, Runbook], state: str) -> Iterator[tuple[str, Snapshot]]:
    for runbook in runbooks.values():
        yield runbook.id, STATES[state](_base(runbook))


# ---------------------------------------------------------------------------------------------------
# The explicit walk over the JSON: every limit, with a message that says where it broke.


def _plain(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else (obj or "")


def _check_element(element: dict[str, Any], where: str, problems: list[str]) -> None:
    kind = element.get("type")
    for key in ("action_id", "block_id"):
        if len(element.get(key) or "") > ID_LENGTH:
            problems.append(f"{where}: {key} longer than {ID_LENGTH}")
    if kind == "button":
        if len(_plain(element.get("text"))) > BUTTON_TEXT:
            problems.append(f"{where}: button text of {len(_plain(element['text']))} characters")
        if len(element.get("value") or "") > BUTTON_VALUE:
            problems.append(f"{where}: button value longer than {BUTTON_VALUE}")
    if "placeholder" in element and len(_plain(element["placeholder"])) > PLACEHOLDER:
        problems.append(f"{where}: placeholder longer than {PLACEHOLDER}")
    if kind in ("static_select", "radio_buttons", "checkboxes", "multi_static_select"):
        options = element.get("options") or []
        most = RADIO_OPTIONS if kind in ("radio_buttons", "checkboxes") else SELECT_OPTIONS
        if not options or len(options) > most:
            problems.append(f"{where}: {kind} with {len(options)} options (1 to {most} allowed)")
        for index, option in enumerate(options):
            if len(_plain(option.get("text"))) > OPTION_TEXT:
                problems.append(f"{where}.options[{index}]: option text longer than {OPTION_TEXT}")
            if len(option.get("value") or "") > OPTION_VALUE:
                problems.append(f"{where}.options[{index}]: option value longer than {OPTION_VALUE}")
        initial = element.get("initial_option")
        if initial is not None and initial not in options:
            problems.append(f"{where}: initial_option is not one of the options")
    if kind == "plain_text_input":
        most = element.get("max_length", PLAIN_TEXT_INPUT)
        if most > PLAIN_TEXT_INPUT:
            problems.append(f"{where}: max_length {most} above {PLAIN_TEXT_INPUT}")
        if len(element.get("initial_value") or "") > most:
            problems.append(f"{where}: initial_value longer than its max_length {most}")


def _check_blocks(blocks: list[dict[str, Any]], where: str) -> list[str]:
    problems: list[str] = []
    for index, block in enumerate(blocks):
        here = f"{where}.blocks[{index}]({block.get('type')})"
        kind = block.get("type")
        if len(block.get("block_id") or "") > ID_LENGTH:
            problems.append(f"{here}: block_id longer than {ID_LENGTH}")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{here}: a section needs text or fields")
            if len(_plain(block.get("text"))) > SECTION_TEXT:
                problems.append(f"{here}: section text of {len(_plain(block['text']))} characters")
            fields = block.get("fields") or []
            if len(fields) > SECTION_FIELDS:
                problems.append(f"{here}: {len(fields)} fields")
            problems += [
                f"{here}.fields[{n}]: field of {len(_plain(f))} characters"
                for n, f in enumerate(fields)
                if len(_plain(f)) > FIELD_TEXT
            ]
            if "accessory" in block:
                _check_element(block["accessory"], f"{here}.accessory", problems)
        elif kind == "header":
            if len(_plain(block.get("text"))) > HEADER_TEXT:
                problems.append(f"{here}: header of {len(_plain(block['text']))} characters")
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > CONTEXT_ELEMENTS:
                problems.append(f"{here}: {len(elements)} context elements")
            problems += [
                f"{here}.elements[{n}]: context text of {len(_plain(e))} characters"
                for n, e in enumerate(elements)
                if e.get("type") in ("mrkdwn", "plain_text") and len(_plain(e)) > CONTEXT_TEXT
            ]
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > ACTIONS_ELEMENTS:
                problems.append(f"{here}: {len(elements)} elements in an actions block")
            for n, element in enumerate(elements):
                _check_element(element, f"{here}.elements[{n}]", problems)
        elif kind == "input":
            if len(_plain(block.get("label"))) > INPUT_LABEL:
                problems.append(f"{here}: input label longer than {INPUT_LABEL}")
            if len(_plain(block.get("hint"))) > INPUT_HINT:
                problems.append(f"{here}: input hint longer than {INPUT_HINT}")
            _check_element(block["element"], f"{here}.element", problems)
    return problems


def _check_message(rendered: tuple[str, list[dict[str, Any]]], where: str) -> None:
    text, blocks = rendered
    validate_message(blocks, text)  # slack_sdk's models
    problems = _check_blocks(blocks, where)
    if not 1 <= len(blocks) <= MESSAGE_BLOCKS:
        problems.append(f"{where}: {len(blocks)} blocks in a message (1 to {MESSAGE_BLOCKS})")
    if not text or len(text) > FALLBACK_TEXT:
        problems.append(f"{where}: fallback text of {len(text)} characters (1 to {FALLBACK_TEXT})")
    assert not problems, "\n".join(problems)


def _check_modal(view: dict[str, Any], where: str) -> None:
    validate_view(view)  # slack_sdk's View model
    problems = _check_blocks(view["blocks"], where)
    if view.get("type") != "modal":
        problems.append(f"{where}: not a modal")
    if not 1 <= len(view["blocks"]) <= MODAL_BLOCKS:
        problems.append(f"{where}: {len(view['blocks'])} blocks in a modal")
    for key, most in (("title", MODAL_TITLE), ("submit", MODAL_BUTTON), ("close", MODAL_BUTTON)):
        if key in view and len(_plain(view[key])) > most:
            problems.append(f"{where}: {key} {_plain(view[key])!r} longer than {most}")
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        problems.append(f"{where}: private_metadata longer than {PRIVATE_METADATA}")
    if len(view.get("callback_id") or "") > ID_LENGTH:
        problems.append(f"{where}: callback_id longer than {ID_LENGTH}")
    block_ids = [b["block_id"] for b in view["blocks"] if b.get("block_id")]
    if len(block_ids) != len(set(block_ids)):
        problems.append(f"{where}: block_ids repeat, so answers would overwrite each other")
    json.loads(view.get("private_metadata") or "{}")
    assert not problems, "\n".join(problems)


def _mrkdwn_texts(node: Any) -> Iterator[str]:
    """Every mrkdwn text object anywhere in a block tree."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            yield node.get("text", "")
        for value in node.values():
            yield from _mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _mrkdwn_texts(item)


def _stray_angles(text: str) -> list[str]:
    """'<…>' sequences the bot did not mean: user text that Slack would read as a control sequence."""
    return re.findall(r"<[^>]*>?", ALLOWED_ANGLE.sub("", text))


def _modals_for(snap: Snapshot, runbooks: dict[str, Runbook]) -> Iterator[tuple[str, dict[str, Any]]]:
    runbook = runbooks[snap.runbook_id]
    yield (
        "report_modal",
        modals.report_modal(runbooks, runbook.id, "C0OOPS", summary=snap.title, details=_long(MENTION, 4000)),
    )
    yield "reassess_modal", modals.reassess_modal(snap, runbook, _answers(runbook))
    for choice in Decision:
        yield f"decide_modal[{choice.value}]", modals.decide_modal(snap, choice, _long(MENTION, 300))
    if snap.draft is not None:
        yield "edit_draft_modal", modals.edit_draft_modal(snap)
    rows = tuple(
        ActionRow(n, _long(MENTION, ACTION_TEXT_MAX), "U0MARC", NOW.date() + timedelta(days=n + 1))
        for n in range(MAX_ROWS)
    )
    steps = tuple((_long(MENTION, 20), NOW) for _ in range(8))
    causes = tuple((c.id, _long(MENTION, 200)) for c in runbook.causes) * 20
    full = RetroForm(snap, steps, causes, rows, NOW.date(), cause=runbook.causes[0].id)
    typed = {name: _long(MENTION, 3000) for name in TEXT_FIELDS}
    yield "retro_modal", retro_modal(full, typed)
    yield "retro_modal[new]", retro_modal(RetroForm(snap, (), causes[:1], rows[:3], NOW.date()))


# ---------------------------------------------------------------------------------------------------
# The tests.


def test_every_message_fits_slacks_limits(runbooks: dict[str, Runbook], state: str) -> None:
    checked = 0
    for runbook_id, snap in _snapshots(runbooks, state):
        for kind, render in RENDERERS.items():
            _check_message(render(snap), f"{state}/{runbook_id}/{kind}")
            checked += 1
        for notice in snap.notices[:3]:
            link = "https://whey.slack.com/archives/C0OOPS/p1700000000000100"
            _check_message(department_notice(snap, notice, link), f"{state}/{runbook_id}/notice")
            _check_message(department_notice(snap, notice, ""), f"{state}/{runbook_id}/notice-no-link")
    assert checked == len(runbooks) * len(RENDERERS)


def test_every_modal_fits_slacks_limits(runbooks: dict[str, Runbook], state: str) -> None:
    for runbook_id, snap in _snapshots(runbooks, state):
        for name, view in _modals_for(snap, runbooks):
            _check_modal(view, f"{state}/{runbook_id}/{name}")


def test_the_checks_cover_every_modal_builder() -> None:
    """A new modal added to bot.slack.views.modals (or retro_form) must be added to _modals_for above."""
    builders = {
        name
        for module in (modals, retro_form_views)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if name.endswith("_modal") and not name.startswith("_") and fn.__module__ == module.__name__
    }
    snap = STATES["drafting with a draft"](_base(_extreme_runbook()))
    runbook = _extreme_runbook()
    covered = {name.split("[")[0] for name, _ in _modals_for(snap, {runbook.id: runbook})}
    assert builders == covered


def test_the_limit_walk_catches_what_slack_refuses() -> None:
    """The explicit checker is itself able to fail: over-long texts and too many blocks are caught."""
    too_long_button = {
        "type": "actions",
        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "action_id": "a"}],
    }
    too_many_options = {
        "type": "actions",
        "elements": [
            {
                "type": "static_select",
                "action_id": "s",
                "options": [
                    {"text": {"type": "plain_text", "text": "o"}, "value": str(n)} for n in range(101)
                ],
            }
        ],
    }
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    long_header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    for block in (too_long_button, too_many_options, long_section, long_header):
        assert _check_blocks([block], "probe"), block
    with pytest.raises((AssertionError, ValueError), match="blocks in"):
        _check_message(("t", [{"type": "divider"}] * 51), "probe")
    with pytest.raises((AssertionError, SlackObjectFormationError)):
        _check_modal(
            {
                "type": "modal",
                "title": {"type": "plain_text", "text": "t" * 25},
                "blocks": [{"type": "divider"}],
            },
            "probe",
        )


def test_the_full_draft_is_shown_to_whoever_approves_it(runbooks: dict[str, Runbook]) -> None:
    """A 2,900-character apology (the most the edit form takes) is shown whole, not cut with '…'."""
    body = " ".join(f"word{n}" for n in range(1000))[:2900].rstrip()
    snap = STATES["drafting with a draft"](_base(runbooks["general"]))
    snap = dataclasses.replace(snap, draft=dataclasses.replace(snap.draft, body=body))
    _, blocks = RENDERERS["draft"](snap)
    shown = "\n".join(_mrkdwn_texts(blocks))
    assert body in shown
    assert modals.edit_draft_modal(snap)["blocks"][1]["element"]["initial_value"] == body


def test_mentions_in_peoples_text_are_escaped_in_blocks(runbooks: dict[str, Runbook], state: str) -> None:
    """'<!channel> & co' typed by a person is shown as text, never as a mention of the whole channel."""
    for runbook_id, snap in _snapshots(runbooks, state):
        rendered = [(kind, render(snap)[1]) for kind, render in RENDERERS.items()]
        rendered += [
            ("notice", department_notice(snap, n, "https://x.slack.com/p1")[1]) for n in snap.notices[:3]
        ]
        rendered += [(name, view["blocks"]) for name, view in _modals_for(snap, runbooks)]
        for kind, blocks in rendered:
            for text in _mrkdwn_texts(blocks):
                where = f"{state}/{runbook_id}/{kind}"
                assert not LIVE_MENTION.search(text), f"{where}: live mention in {text[:200]!r}"
                assert not _stray_angles(text), f"{where}: unescaped <…> {_stray_angles(text)[:3]}"
                assert " & " not in text, f"{where}: unescaped '&' in {text[:200]!r}"


def test_title_with_a_mention_is_shown_escaped(runbooks: dict[str, Runbook]) -> None:
    snap = dataclasses.replace(_base(runbooks["general"]), title=MENTION)
    notice = snap.notices[0]
    _, blocks = department_notice(snap, notice, "")
    assert "&lt;!channel&gt; &amp; co" in "\n".join(_mrkdwn_texts(blocks))
    _, header_blocks = RENDERERS["header"](snap)
    assert header_blocks[0]["type"] == "header"
    assert header_blocks[0]["text"]["type"] == "plain_text"  # plain text: Slack shows it as typed
    assert MENTION in header_blocks[0]["text"]["text"]


def test_mentions_in_peoples_text_are_escaped_in_fallback_text(runbooks: dict[str, Runbook]) -> None:
    """The fallback ``text`` is mrkdwn too, and it is what notifications are made of: a title of
    '<!channel> & co' there pings everyone in the channel (a department's channel, for a notice)."""
    live: dict[str, str] = {}
    for state in STATES:
        for _, snap in _snapshots({"general": runbooks["general"]}, state):
            snap = dataclasses.replace(snap, title=MENTION)
            texts = [(kind, render(snap)[0]) for kind, render in RENDERERS.items()]
            texts += [("department_notice", department_notice(snap, snap.notices[0], "")[0])]
            live.update({kind: text[:90] for kind, text in texts if LIVE_MENTION.search(text)})
    assert not live, f"live mentions in the fallback text of: {live}"


@pytest.mark.parametrize("value", [1_234_567.89, 1_200_000.0, 999_999_999_999.99, 27_463.5, 0.5])
def test_reassess_form_prefills_money_as_typed_back(runbooks: dict[str, Runbook], value: float) -> None:
    """Re-assessing shows the answers already given; sending the form unchanged must keep them."""
    runbook = runbooks["general"]
    question = runbook.question("money_at_stake")
    assert question.type is QuestionType.money
    block = modals.question_block(question, value)
    shown = block.to_dict()["element"]["initial_value"]
    assert parse_answer(question, shown) == pytest.approx(value, abs=0.005), shown


def test_a_department_added_by_a_person_names_them_with_a_live_user_mention(sqlite_bot: DemoBot) -> None:
    """Escaping people's text must not escape the bot's own mentions: 'added by <@U0MARC>' is a mention,
    in the department's channel and in the thread, not the literal text '&lt;@U0MARC&gt;'."""
    env = sqlite_bot.runtime.env()
    valid, errors = report.validate_report(
        sqlite_bot.runtime.runbooks,
        "general",
        "Typo on an invoice",
        "",
        {"people_affected": "1", "customer_impact": "none", "is_public": "no"},
    )
    assert valid is not None, errors
    snap = report.open_incident(env, valid, "U0AILSA", INCIDENT_CHANNEL, "views:report")
    assert "finance" not in {n.department for n in snap.notices}
    assess.add_department(env, snap.id, "finance", "U0MARC", "views:add")
    sqlite_bot.settle()
    finance = sqlite_bot.emulator.resolve_channel("#finance")
    assert finance is not None
    notice = sqlite_bot.emulator.messages(finance)[-1]
    told = sqlite_bot.emulator.find_message(lambda m: any("Told" in t for t in _mrkdwn_texts(m.blocks)))
    assert told is not None
    for where, blocks in (("department notice", notice.blocks), ("Told message", told.blocks)):
        shown = "\n".join(_mrkdwn_texts(blocks))
        assert "&lt;@" not in shown, f"{where} shows an escaped mention: {shown!r}"
        assert "<@U0MARC>" in shown, f"{where} does not name who added the department: {shown!r}"
