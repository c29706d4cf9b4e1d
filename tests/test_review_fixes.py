"""What the review fixes promise, over the wire: nothing lost (a refused post, a refused reminder),
nothing stale (an old draft, a moved retrospective, a modal submitted too late), nothing twice
(a resumed incident, a department tried again), and reads that never queue behind a writer."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import AppConfig, Department
from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.runbook.model import Decision
from bot.slack import ids
from bot.slack.views import thread
from bot.snapshot import DraftView, Snapshot
from bot.store.db import make_engine, migrate
from bot.store.repo import Store
from bot.store.tables import Draft, Incident, Notice, Post, Retrospective
from slack_emulator import Message, SlackEmulator

TEAM = "T0WHEY"  # the emulator's workspace: rows are always written for one

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


def _actions(message: Message) -> list[dict[str, Any]]:
    return [b for b in message.blocks if b.get("type") == "actions"]


def _approve_values(message: Message) -> list[str | None]:
    """The Approve button's value in each version of a message, oldest first (None: no button)."""
    out: list[str | None] = []
    for version in [*message.edits, message]:
        found = [
            e.get("value")
            for b in version.blocks
            for e in h.elements(b)
            if e.get("action_id") == ids.DRAFT_APPROVE
        ]
        out.append(found[0] if found else None)
    return out


def _eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _dms(emu: SlackEmulator, user: str) -> list[Message]:
    return emu.messages(user)  # a user id resolves to the bot's direct-message channel with them


# ---------------------------------------------------------------------------------- 1. resume


def test_a_report_slack_refuses_is_saved_the_reporter_told_how_to_resume_and_resume_posts_it_once(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver
    assert NOWHERE not in emu.channels

    ack = h.report(bot, channel=NOWHERE)
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text

    incident = h.only_incident(bot)
    assert (incident.id, incident.channel, incident.header_ts) == (1, NOWHERE, None)
    assert incident.status == Status.DECIDING
    shown = [m for m in emu.all_messages() if not m.channel.startswith("D")]
    assert shown == [], "nothing should be posted anywhere but the reporter's direct messages"
    assert [p for p in h.rows(bot, Post) if p.ts] == [], (
        "nothing was shown, so nothing may be recorded as shown"
    )
    told = [m.text for m in _dms(emu, h.REPORTER)] + h.ephemerals_since(emu, 0, h.REPORTER)
    assert len(told) == 1, f"the reporter should be told once: {told}"
    assert "OOPS-1" in told[0] and "/oops resume OOPS-1" in told[0], told[0]

    resumed = driver.slash("/oops", "resume OOPS-1", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
    assert resumed.status == 200, resumed.body_text
    assert "Picking OOPS-1 up" in (resumed.ack_body or {}).get("text", ""), resumed.body_text
    bot.settle()

    incident = h.only_incident(bot)
    assert incident.channel == h.INCIDENT_CHANNEL and incident.header_ts is not None
    [header] = emu.messages(h.INCIDENT_CHANNEL)
    assert header.ts == incident.header_ts and "OOPS-1" in h.blocks_text(header)
    replies = emu.thread(h.INCIDENT_CHANNEL, header.ts)[1:]
    assert len(replies) == 3, [r.text for r in replies]
    scale, told_msg, decide_msg = replies
    assert h.has_element(scale, ids.REASSESS)
    assert "Told" in h.blocks_text(told_msg)
    assert h.has_element(decide_msg, ids.DECIDE_PREFIX + "correct")
    notified = {n.department for n in h.rows(bot, Notice) if n.ts is not None}
    assert notified == {"support", "leadership", "marketing"}, notified

    # Resumed again: everything is there already, so it is redrawn in place, nothing posted twice.
    posts_before = len(emu.calls_to("chat.postMessage"))
    again = driver.slash("/oops", "resume oops-1", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
    assert again.status == 200, again.body_text
    bot.settle()
    assert len(emu.calls_to("chat.postMessage")) == posts_before, "a second resume posted again"
    [header_again] = emu.messages(h.INCIDENT_CHANNEL)
    assert header_again.ts == header.ts and header_again.edited
    assert len(emu.thread(h.INCIDENT_CHANNEL, header.ts)) == 4
    assert len(h.rows(bot, Notice)) == 3
    assert not emu.ui_errors, emu.ui_errors


# ---------------------------------------------------------------------------------- 2. reminder refused


def test_a_reminder_slack_refuses_goes_back_to_waiting_and_is_tried_again_in_five_minutes(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_retro_scheduled(bot)
    # channel_not_found comes back with HTTP 200, so the client's retry handlers leave it alone:
    # exactly one refusal, for the reminder itself.
    emu.fail_next("chat.postMessage", status=200, error="channel_not_found", times=1)

    before = datetime.now(UTC)
    outcome = h.run_reminder_job(bot, incident_id)
    bot.settle()

    assert outcome.exception is None, "the refusal is handled: told, and tried again"
    incident = h.only_incident(bot)
    assert incident.status == Status.RETRO_SCHEDULED and incident.reminded_at is None
    [warning] = [
        m for m in emu.thread(h.INCIDENT_CHANNEL, incident.header_ts or "") if "could not post" in m.text
    ]
    assert "channel_not_found" in warning.text and "try again at" in warning.text, warning.text
    reminded = [(r.choice, r.actor) for r in h.decision_steps(bot, "retro_remind")]
    assert reminded[-1] == ("failed", "oops"), reminded
    assert not h.shows(emu, ids.RETRO_START)
    assert [p.kind for p in h.rows(bot, Post) if p.kind == "reminder"] == []
    assert h.job_ids(bot.runtime.engine) == [f"retro-reminder-{incident_id}"]
    again_at = bot.runtime.retro_scheduler.scheduled(incident_id)
    assert again_at is not None, "the reminder job should be set again"
    ahead = again_at - before
    assert timedelta(minutes=4, seconds=30) < ahead < timedelta(minutes=5, seconds=30), ahead

    # The fault is gone: the retried job posts the reminder, once.
    h.fire_reminder(bot, incident_id)
    incident = h.only_incident(bot)
    assert incident.status == Status.RETRO_DUE and incident.reminded_at is not None
    reminder = h.posted(bot, incident_id, "reminder")
    assert h.has_element(reminder, ids.RETRO_START) and reminder.thread_ts == incident.header_ts
    reminders = [m for m in h.all_messages(emu) if "Time for the retrospective" in h.blocks_text(m)]
    assert [m.ts for m in reminders] == [reminder.ts], "one reminder message"
    # APScheduler drops a fired job from its table on its own thread, maybe just after the job ended.
    assert _eventually(lambda: h.job_ids(bot.runtime.engine) == []), h.job_ids(bot.runtime.engine)


# ---------------------------------------------------------------------------------- 3. moved reminder


def test_a_retrospective_moved_after_its_reminder_edits_that_reminder_and_the_next_one_is_new(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver
    incident_id = h.walk_to_retro_scheduled(bot)
    h.fire_reminder(bot, incident_id)
    first = h.posted(bot, incident_id, "reminder")
    assert h.has_element(first, ids.RETRO_START)

    # Someone moves it a day later from the step-5 message.
    step5 = h.button_message(bot, ids.RETRO_SCHEDULE)
    old_at = h.only_incident(bot).retro_at
    assert old_at is not None
    new_at = (old_at + timedelta(days=1)).replace(microsecond=0)
    assert driver.set_value(step5.channel, step5.ts, ids.RETRO_WHEN, int(new_at.timestamp()), user=h.DECIDER)
    h.click(bot, ids.RETRO_SCHEDULE, h.DECIDER)

    incident = h.only_incident(bot)
    assert incident.status == Status.RETRO_SCHEDULED and incident.reminded_at is None
    assert incident.retro_at == new_at
    scheduled = bot.runtime.retro_scheduler.scheduled(incident_id)
    assert scheduled is not None and scheduled == new_at
    moved = emu.message(first.channel, first.ts)
    assert moved is not None and "moved" in h.blocks_text(moved), h.blocks_text(moved)
    assert not h.has_element(moved, ids.RETRO_START), "the old reminder still offers the retrospective"
    assert not h.shows(emu, ids.RETRO_START)

    h.fire_reminder(bot, incident_id)
    second = h.posted(bot, incident_id, "reminder")
    assert second.ts != first.ts, "the new reminder should be a new message, not an edit of the old one"
    assert h.has_element(second, ids.RETRO_START)
    still_moved = emu.message(first.channel, first.ts)
    assert still_moved is not None and "moved" in h.blocks_text(still_moved)
    assert h.button_message(bot, ids.RETRO_START).ts == second.ts

    h.hold_retro(bot, h.REVIEWER)
    assert h.only_incident(bot).status == Status.CLOSED
    assert len(h.rows(bot, Retrospective)) == 1


# ---------------------------------------------------------------------------------- 4. hold it now


def test_hold_it_now_holds_the_retrospective_before_the_reminder_and_drops_the_job(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_retro_scheduled(bot)
    assert h.job_ids(bot.runtime.engine) == [f"retro-reminder-{incident_id}"]
    step5 = h.button_message(bot, ids.RETRO_HOLD)
    assert step5.ts == h.posted(bot, incident_id, "retro").ts

    h.click(bot, ids.RETRO_HOLD, h.REVIEWER)
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.RETRO_VIEW
    ack = bot.driver.submit_view(view["id"], h.RETRO_VALUES, user=h.REVIEWER)
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text
    bot.settle()

    incident = h.only_incident(bot)
    assert incident.status == Status.CLOSED and incident.reminded_at is None
    [retro] = h.rows(bot, Retrospective)
    assert retro.submitted_by == h.REVIEWER
    assert h.job_ids(bot.runtime.engine) == []
    assert bot.runtime.retro_scheduler.scheduled(incident_id) is None
    assert h.decision_steps(bot, "retro_remind") == []
    assert "reminder" not in {p.kind for p in h.rows(bot, Post)}
    assert not h.shows(emu, ids.RETRO_HOLD) and not h.shows(emu, ids.RETRO_START)


# ---------------------------------------------------------------------------------- 5. stale approve


def test_approving_a_draft_that_was_replaced_is_refused_naming_the_new_version(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    h.click(bot, ids.DRAFT_REGENERATE, h.DECIDER)
    assert [d.version for d in h.drafts(bot)] == [1, 2]

    # The Approve button carries the version on screen, and asks before approving.
    _, _, _, approve = h.rendered_control(bot, ids.DRAFT_APPROVE)
    assert approve["value"] == f"{incident_id}:2"
    confirm = approve.get("confirm") or {}
    assert confirm.get("title", {}).get("text") and "v2" in confirm.get("text", {}).get("text", "")
    assert confirm.get("confirm", {}).get("text") and confirm.get("deny", {}).get("text"), confirm

    # Someone whose Slack still shows v1 presses its Approve.
    start = len(emu.ephemerals)
    assert h.press(bot, ids.DRAFT_APPROVE, h.REVIEWER, value=f"{incident_id}:1").status == 200
    bot.settle()
    notes = h.ephemerals_since(emu, start, h.REVIEWER)
    assert len(notes) == 1 and "v2" in notes[0], notes
    incident = h.only_incident(bot)
    assert incident.status == Status.DRAFTING and not incident.draft_approved
    assert all(d.approved_by is None for d in h.drafts(bot))
    assert h.decision_steps(bot, "approve") == []

    h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)
    incident = h.only_incident(bot)
    assert incident.status == Status.SCHEDULING and incident.draft_approved
    assert [(d.version, d.approved_by) for d in h.drafts(bot)] == [(1, None), (2, h.DECIDER)]
    assert [(r.choice, r.actor) for r in h.decision_steps(bot, "approve")] == [("v2", h.DECIDER)]


# ---------------------------------------------------------------------------------- 6. old decision's draft


def _drafting_snapshot(draft: DraftView) -> Snapshot:
    tz = ZoneInfo("Europe/London")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    return Snapshot(
        id=7,
        ref="OOPS-7",
        title="Welcome email sent to existing customers",
        details="",
        runbook_id="email-campaign",
        runbook_name="Email campaign",
        reporter=h.REPORTER,
        channel=h.INCIDENT_CHANNEL,
        header_ts="1.000001",
        status=Status.DRAFTING,
        scale="big",
        scale_reasons=("27,463 people",),
        answers=(),
        recommendation=Decision.correct,
        recommendation_reason="customers noticed",
        decision=Decision.make_it_big,
        decided_by=h.DECIDER,
        decided_at=now,
        decision_note="",
        can_change_decision=True,
        notices=(),
        addable_departments=(),
        draft=draft,
        retro_at=None,
        retro_default=now + timedelta(days=2),
        retro=None,
        lessons=(),
        tz=tz,
        created_at=now - timedelta(hours=1),
        closed_at=None,
    )


def test_the_draft_message_offers_no_approve_for_an_older_decisions_draft() -> None:
    old = DraftView(1, "Sorry", "We are sorry.", "oops", "template", None, None, current=False)
    _, blocks = thread.draft(_drafting_snapshot(old))
    assert [b for b in blocks if b.get("type") == "actions"] == [], blocks
    assert "draft v1" not in str(blocks) and "Sorry" not in str(blocks)

    # The same draft written for the decision in force is offered, as v1.
    _, blocks = thread.draft(
        _drafting_snapshot(
            DraftView(1, "Sorry", "We are sorry.", "oops", "template", None, None, current=True)
        )
    )
    values = [
        e.get("value")
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == ids.DRAFT_APPROVE
    ]
    assert values == ["7:1"], blocks


def test_after_a_new_decision_approve_is_only_ever_offered_for_the_newest_draft(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    draft_message = h.posted(bot, incident_id, "draft")
    edits_before = len(draft_message.edits)

    h.click(bot, ids.CHANGE_DECISION, h.DECIDER)
    h.decide(bot, "make_it_big", h.DECIDER, note="Bigger than we thought.")

    assert [d.version for d in h.drafts(bot)] == [1, 2]
    now = emu.message(draft_message.channel, draft_message.ts)
    assert now is not None
    offered = _approve_values(now)
    assert offered[-1] == f"{incident_id}:2", offered
    since_change = offered[edits_before + 1 :]
    assert f"{incident_id}:1" not in since_change, (
        f"after the decision changed, the draft message offered v1 for approval: {offered}"
    )
    assert None in since_change, "while v2 was written, the message should have shown no Approve"

    # And v1 pressed from an old screen is refused.
    start = len(emu.ephemerals)
    assert h.press(bot, ids.DRAFT_APPROVE, h.REVIEWER, value=f"{incident_id}:1").status == 200
    bot.settle()
    notes = h.ephemerals_since(emu, start, h.REVIEWER)
    assert len(notes) == 1 and "v2" in notes[0], notes
    assert not h.only_incident(bot).draft_approved


# ---------------------------------------------------------------------------------- 7. late modals


def test_a_decision_submitted_after_someone_else_decided_keeps_the_modal_open_with_the_reason(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver
    assert h.report(bot).status == 200
    views = []
    for user, choice in ((h.DECIDER, "correct"), (h.REVIEWER, "make_it_big")):
        h.click(bot, ids.DECIDE_PREFIX + choice, user)
        views.append(emu.opened_views[-1])
    assert [v["callback_id"] for v in views] == [ids.DECIDE_VIEW] * 2

    first = driver.submit_view(views[0]["id"], {"note": "first"}, user=h.DECIDER)
    bot.settle()
    assert first.status == 200 and first.ack_body is None, first.body_text
    late = driver.submit_view(views[1]["id"], {"note": "we should go big"}, user=h.REVIEWER)
    bot.settle()

    assert late.status == 200, late.body_text
    body = late.ack_body or {}
    assert body.get("response_action") == "errors", late.body_text
    assert set(body.get("errors") or {}) == {"note"}, body
    assert "decided" in body["errors"]["note"].lower(), body
    assert emu.is_view_open(views[1]["id"]), "the modal should stay open with what was typed"
    incident = h.only_incident(bot)
    assert (incident.decision, incident.decided_by) == ("correct", h.DECIDER)
    assert [(r.choice, r.actor) for r in h.decision_steps(bot, "decide")] == [("correct", h.DECIDER)]
    assert len(h.drafts(bot)) == 1


def test_a_retrospective_submitted_after_the_incident_closed_keeps_the_modal_open_with_the_reason(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver
    incident_id = h.walk_to_retro_scheduled(bot)
    h.fire_reminder(bot, incident_id)
    views = []
    for user in (h.REVIEWER, h.DECIDER):
        h.click(bot, ids.RETRO_START, user)
        views.append(emu.opened_views[-1])
    assert [v["callback_id"] for v in views] == [ids.RETRO_VIEW] * 2

    first = driver.submit_view(views[0]["id"], h.RETRO_VALUES, user=h.REVIEWER)
    bot.settle()
    assert first.status == 200 and first.ack_body is None, first.body_text
    assert h.only_incident(bot).status == Status.CLOSED
    other = {**h.RETRO_VALUES, "root_cause": "Nobody checks a list's automations."}
    late = driver.submit_view(views[1]["id"], other, user=h.DECIDER)
    bot.settle()

    body = late.ack_body or {}
    assert late.status == 200 and body.get("response_action") == "errors", late.body_text
    assert "what_went_wrong" in (body.get("errors") or {}), body
    assert "closed" in body["errors"]["what_went_wrong"].lower(), body
    assert emu.is_view_open(views[1]["id"])
    [retro] = h.rows(bot, Retrospective)
    assert (retro.submitted_by, retro.root_cause) == (h.REVIEWER, h.RETRO_VALUES["root_cause"])
    assert [r.step for r in h.rows(bot, h.DecisionLog)].count("retro") == 1


# ---------------------------------------------------------------------------------- 8. offer


@pytest.mark.parametrize(
    ("offer", "expected"),
    [pytest.param(None, False, id="offer-emptied"), pytest.param("keep", True, id="default-offer-kept")],
)
def test_make_it_big_offers_exactly_what_the_decide_modal_held(
    sqlite_bot: DemoBot, config: AppConfig, offer: str | None, expected: bool
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    default = config.brand.default_offer or ""
    assert "SORRY10" in default
    assert h.report(bot).status == 200
    h.click(bot, ids.DECIDE_PREFIX + "make_it_big", h.DECIDER)
    view = emu.opened_views[-1]
    assert h.view_block(view, "offer")["element"].get("initial_value") == default
    values: dict[str, Any] = {"note": "Customers deserve something."}
    if offer != "keep":
        values["offer"] = offer  # Slack sends an emptied input as null
    assert bot.driver.submit_view(view["id"], values, user=h.DECIDER).status == 200
    bot.settle()
    incident = h.only_incident(bot)
    assert incident.offer == (default if expected else ""), incident.offer
    h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)

    [draft] = h.rows(bot, Draft)
    assert draft.approved_by == h.DECIDER
    shown = h.blocks_text(h.posted(bot, incident.id or 0, "draft"))
    assert ("SORRY10" in draft.body) is expected, draft.body
    assert ("SORRY10" in shown) is expected
    assert ("To make up for it" in draft.body) is expected, draft.body


# ---------------------------------------------------------------------------------- 9. departments


def _departments_state(bot: DemoBot, incident_id: int) -> tuple[str, set[str]]:
    """The Told message's text and the departments its select still offers."""
    message = h.posted(bot, incident_id, "departments")
    offered = {
        o.get("value")
        for b in message.blocks
        for e in h.elements(b)
        if e.get("action_id") == ids.ADD_DEPARTMENT
        for o in e.get("options") or []
    }
    return h.blocks_text(message), offered


def _pick_department(bot: DemoBot, department: str) -> None:
    message = h.button_message(bot, ids.ADD_DEPARTMENT)
    ack = bot.driver.select(message.channel, message.ts, ids.ADD_DEPARTMENT, department, user=h.DECIDER)
    assert ack.status == 200, ack.body_text
    bot.settle()


def test_a_department_whose_channel_does_not_exist_is_shown_untold_and_stays_on_offer(
    config: AppConfig, sqlite_url: str
) -> None:
    departments = {**config.departments, "nowhere": Department(label="Nowhere", channel="#nowhere")}
    with_nowhere = config.model_copy(update={"departments": departments})
    # The workspace is the team's usual one: it has no #nowhere.
    with h.workspace_emulator(config) as emu, h.serve_bot(with_nowhere, sqlite_url, emu) as bot:
        assert "nowhere" not in emu.channels.values()
        assert h.report(bot).status == 200
        incident_id = h.only_incident(bot).id or 0

        _pick_department(bot, "nowhere")
        [notice] = h.rows(bot, Notice, department="nowhere")
        assert notice.ts is None and notice.notified_by == h.DECIDER
        assert notice.error == "channel_not_found", "Slack's error code is kept, never its raw text"
        text, offered = _departments_state(bot, incident_id)
        assert "⚠️ *Nowhere*" in text and "*not delivered* (channel_not_found)" in text, text
        told = sum(1 for n in h.rows(bot, Notice) if n.ts)
        assert f"({told} told, 1 not delivered)" in text, text
        assert "nowhere" in offered, offered
        assert all("http" not in r.note for r in h.rows(bot, h.DecisionLog)), "no API URL in the log"

        # Picked again: tried again (Slack is asked again), still untold, still one row.
        start = len(emu.ephemerals)
        _pick_department(bot, "nowhere")
        attempts = [c for c in emu.calls_to("chat.postMessage") if c.args.get("channel") == "#nowhere"]
        assert len(attempts) == 2 and not any(c.ok for c in attempts)
        assert h.ephemerals_since(emu, start, h.DECIDER) == [], "a retry is not 'already knows'"
        [notice] = h.rows(bot, Notice, department="nowhere")
        assert notice.ts is None
        text, offered = _departments_state(bot, incident_id)
        assert "⚠️ *Nowhere*" in text and "nowhere" in offered
        tries = [r for r in h.decision_steps(bot, "notify") if r.choice == "nowhere"]
        assert len(tries) == 2 and all(
            r.note == "not delivered to #nowhere: channel_not_found" for r in tries
        ), tries
        # The emulator cannot create a channel later; the retry that succeeds is the next test.


def test_a_department_slack_refused_once_can_be_picked_again_and_is_then_told_once(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    assert h.report(bot).status == 200
    incident_id = h.only_incident(bot).id or 0
    # #finance refuses the first notice (as a channel the bot is not in yet would), then accepts.
    emu.fail_next("chat.postMessage", status=200, error="channel_not_found", times=1)
    _pick_department(bot, "finance")
    [notice] = h.rows(bot, Notice, department="finance")
    assert notice.ts is None
    text, offered = _departments_state(bot, incident_id)
    assert "⚠️ *Finance*" in text and "finance" in offered, (text, offered)
    assert emu.messages("#finance") == []

    _pick_department(bot, "finance")
    [notice] = h.rows(bot, Notice, department="finance")
    assert notice.ts is not None and notice.notified_by == h.DECIDER
    [posted] = emu.messages("#finance")
    assert posted.ts == notice.ts and "OOPS-1" in h.blocks_text(posted)
    text, offered = _departments_state(bot, incident_id)
    assert "⚠️" not in text and "*Finance*" in text, text
    assert "finance" not in offered, offered


# ---------------------------------------------------------------------------------- 10. reads


def _hold_write_lock(path: str) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_reads_do_not_queue_behind_sqlites_write_lock_but_transactions_do(tmp_path: Path) -> None:
    path = str(tmp_path / "oops.db")
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    store = Store(engine)
    outcome: dict[str, Any] = {}

    def read() -> None:
        started = time.monotonic()
        with store.read(TEAM) as repo:
            outcome["read"] = repo.incidents()
        outcome["read_seconds"] = time.monotonic() - started

    def write() -> None:
        with store.transaction(TEAM) as repo:
            outcome["write"] = repo.incidents()

    other = _hold_write_lock(path)
    try:
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=2)
        assert not reader.is_alive(), "Store.read waited for the write lock"
        assert outcome["read"] == [] and outcome["read_seconds"] < 1, outcome

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive(), "Store.transaction should wait for the write lock (BEGIN IMMEDIATE)"
    finally:
        other.execute("COMMIT")
        other.close()
    writer.join(timeout=5)
    assert not writer.is_alive() and outcome["write"] == []
    engine.dispose()


def test_a_modal_opens_while_another_process_holds_the_write_lock(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    assert h.report(bot).status == 200
    database = bot.runtime.engine.url.database
    assert database
    message = h.button_message(bot, ids.REASSESS)
    opened = len(emu.opened_views)

    other = _hold_write_lock(database)
    try:
        ack = bot.driver.click(message.channel, message.ts, ids.REASSESS, user=h.REVIEWER)
        assert ack.status == 200, ack.body_text
        emu.wait_for(lambda e: len(e.opened_views) > opened, timeout=2.5)
    finally:
        other.execute("COMMIT")
        other.close()
    bot.settle()
    assert emu.opened_views[-1]["callback_id"] == ids.REASSESS_VIEW
    assert all(c.ok for c in emu.calls_to("views.open")), [c.response for c in emu.calls_to("views.open")]


# ---------------------------------------------------------------------------------- 11. closed


def test_a_closed_incidents_messages_show_no_controls(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_closed(bot)
    for kind in ("assessment", "departments"):
        message = h.posted(bot, incident_id, kind)
        assert _actions(message) == [], f"the closed incident's {kind} message still has {_actions(message)}"
    incident = h.rows(bot, Incident)[0]
    with_controls = {
        m.text: _actions(m) for m in emu.thread(h.INCIDENT_CHANNEL, incident.header_ts or "") if _actions(m)
    }
    assert with_controls == {}, with_controls


def test_resume_writes_the_draft_a_new_decision_is_missing_when_an_older_draft_exists(
    sqlite_bot: DemoBot,
) -> None:
    """A stop half-way: the new decision is saved, but Slack refused the redraw that comes before the
    draft, so no draft was written for it. Resume must write it, as it does when there is no draft."""
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver
    incident_id = h.walk_to_drafting(bot)
    h.click(bot, ids.CHANGE_DECISION, h.DECIDER)
    # The first redraw after the decision (the header) is refused, so the decision is recorded and
    # the drafting that follows it never starts.
    emu.fail_next("chat.update", status=200, error="fatal_error", times=1)
    h.decide(bot, "make_it_big", h.DECIDER, note="Bigger than we thought.")
    incident = h.only_incident(bot)
    assert (incident.status, incident.decision) == (Status.DRAFTING, "make_it_big")
    assert [d.version for d in h.drafts(bot)] == [1], "the setup expects no draft for the new decision"

    assert driver.slash("/oops", "resume OOPS-1", user=h.DECIDER, channel=h.INCIDENT_CHANNEL).status == 200
    bot.settle()

    assert [d.version for d in h.drafts(bot)] == [1, 2], (
        "resume left the new decision without a draft: the thread says 'Writing a new draft…' for good"
    )
    message = h.posted(bot, incident_id, "draft")
    assert _approve_values(message)[-1] == f"{incident_id}:2"
