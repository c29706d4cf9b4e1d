"""The whole runbook over the wire: signed requests in, Web API calls out, and the database after.

/oops → report modal → submit → scale → notices → decision → draft → approve → retrospective
scheduled → (time advanced) reminder → retrospective submitted → closed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.demo import ANSWERS, DETAILS, INCIDENT_CHANNEL, SUMMARY, DemoBot, _fill
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import ChecklistItem, DecisionLog, Draft, Incident, Notice, Retrospective

REPORTER, DECIDER, REVIEWER = "U0AILSA", "U0MARC", "U0JO"


def _blocks_text(message: Any) -> str:
    parts: list[str] = [message.text or ""]
    for block in message.blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key].get("text", ""))
        for field in block.get("fields", []) or []:
            parts.append(field.get("text", ""))
        for element in block.get("elements", []) or []:
            if isinstance(element.get("text"), dict):
                parts.append(element["text"].get("text", ""))
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def _find(bot: DemoBot, action_id: str) -> Any:
    message = bot.emulator.find_message(
        lambda m: any(e.get("action_id") == action_id for b in m.blocks for e in b.get("elements", []))
    )
    assert message is not None, f"no message with a {action_id} button"
    return message


def _click(bot: DemoBot, action_id: str, user: str = DECIDER) -> None:
    message = _find(bot, action_id)
    response = bot.driver.click(message.channel, message.ts, action_id, user=user)
    assert response.status == 200, response.body_text
    bot.settle()


def _report(bot: DemoBot, answers: dict[str, str] | None = None, summary: str = SUMMARY) -> Any:
    response = bot.driver.slash("/oops", summary, user=REPORTER, channel=INCIDENT_CHANNEL)
    assert response.status == 200
    bot.settle()
    view = bot.emulator.opened_views[-1]
    values = {"details": DETAILS}
    values.update(_fill(view, {ids.QUESTION_PREFIX + k: v for k, v in (answers or ANSWERS).items()}))
    response = bot.driver.submit_view(view["id"], values, user=REPORTER)
    bot.settle()
    return response


def _incident(bot: DemoBot) -> Incident:
    with Session(bot.runtime.engine) as session:
        incident = session.exec(select(Incident)).one()
        session.expunge(incident)
        return incident


def test_whole_runbook_end_to_end(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator

    # /oops opens the report modal at once, with the runbook guessed from the summary.
    assert _report(bot).status == 200
    assert emu.calls_to("views.open"), "the slash command did not open a modal"
    report_view = emu.opened_views[0]
    assert report_view["callback_id"] == ids.REPORT_VIEW
    runbook_block = next(b for b in report_view["blocks"] if b.get("block_id") == "runbook")
    assert runbook_block["element"]["initial_option"]["value"] == "email-campaign"

    # The header in the channel, the steps in its thread.
    header = emu.messages(INCIDENT_CHANNEL)[0]
    assert "OOPS-1" in _blocks_text(header) and SUMMARY in _blocks_text(header)
    replies = emu.thread(INCIDENT_CHANNEL, header.ts)[1:]
    texts = [_blocks_text(m) for m in replies]
    assert any("Scale" in t and "big" in t for t in texts), texts
    assert any("Told" in t and "Customer support" in t for t in texts), texts
    assert any("Decide" in t and "(recommended)" in t for t in texts), texts

    incident = _incident(bot)
    assert incident.status == Status.DECIDING
    assert incident.scale == "big"
    assert incident.answers["people_affected"] == 27463
    assert incident.header_ts == header.ts

    # Each department the rules picked got a notice with a link to the thread, in its own channel.
    with Session(bot.runtime.engine) as session:
        notices = session.exec(select(Notice)).all()
    told = {n.department for n in notices}
    assert {"support", "leadership"} <= told
    for notice in notices:
        channel = emu.resolve_channel(notice.channel)
        assert channel is not None
        posted = emu.messages(channel)
        assert posted and "OOPS-1" in _blocks_text(posted[-1])
        assert "incident thread" in _blocks_text(posted[-1])

    # Decide: the recommended option, with a note, through the decision modal.
    recommended = incident.recommendation
    _click(bot, ids.DECIDE_PREFIX + recommended)
    decide_view = emu.opened_views[-1]
    assert decide_view["callback_id"] == ids.DECIDE_VIEW
    bot.driver.submit_view(
        decide_view["id"],
        _fill(
            decide_view,
            {
                "note": "Keep it honest and light.",
                "what_was_fixed": "The flow is paused and the list corrected.",
            },
        ),
        user=DECIDER,
    )
    bot.settle()
    incident = _incident(bot)
    assert incident.decision == recommended and incident.decided_by == DECIDER
    assert incident.decision_note == "Keep it honest and light."

    # Draft, regenerate, approve.
    assert incident.status == Status.DRAFTING, "the flow expects an apology for this story"
    draft_message = _find(bot, ids.DRAFT_APPROVE)
    assert "draft v1" in _blocks_text(draft_message)
    _click(bot, ids.DRAFT_REGENERATE)
    assert "draft v2" in _blocks_text(emu.message(draft_message.channel, draft_message.ts))
    _click(bot, ids.DRAFT_APPROVE)
    with Session(bot.runtime.engine) as session:
        drafts = session.exec(select(Draft).order_by(Draft.version)).all()
    assert [d.version for d in drafts] == [1, 2]
    assert drafts[1].approved_by == DECIDER and drafts[0].approved_by is None
    assert "Approved by" in _blocks_text(emu.message(draft_message.channel, draft_message.ts))

    # Schedule the retrospective at the default time; the job is stored in the database.
    _click(bot, ids.RETRO_SCHEDULE)
    incident = _incident(bot)
    assert incident.status == Status.RETRO_SCHEDULED and incident.retro_at is not None
    with bot.runtime.engine.connect() as conn:
        jobs = conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
    assert jobs == [f"retro-reminder-{incident.id}"]

    # Time advances: the stored job fires and the reminder appears in the thread.
    assert bot.runtime.retro_scheduler.run_now(incident.id)
    emu.wait_for(
        lambda e: (
            e.find_message(
                lambda m: any(
                    el.get("action_id") == ids.RETRO_START for b in m.blocks for el in b.get("elements", [])
                )
            )
            is not None
        ),
        timeout=15,
    )
    bot.settle()
    assert _incident(bot).status == Status.RETRO_DUE

    # The retrospective closes the incident and leaves its checklist for next time.
    _click(bot, ids.RETRO_START, REVIEWER)
    retro_view = emu.opened_views[-1]
    assert retro_view["callback_id"] == ids.RETRO_VIEW
    bot.driver.submit_view(
        retro_view["id"],
        {
            "what_went_wrong": "Existing customers were added to the welcome list.",
            "root_cause": "Adding to a list triggers its flow, silently.",
            "what_we_change": "Flow-triggering lists are marked and imports need review.",
            "checklist": "- Check a list's automations before adding contacts\n\n"
            "- Send to a test list first\n",
        },
        user=REVIEWER,
    )
    bot.settle()
    incident = _incident(bot)
    assert incident.status == Status.CLOSED and incident.closed_at is not None
    with Session(bot.runtime.engine) as session:
        retro = session.exec(select(Retrospective)).one()
        items = [c.text for c in session.exec(select(ChecklistItem).order_by(ChecklistItem.id))]
        log = session.exec(select(DecisionLog).order_by(DecisionLog.id)).all()
    assert retro.submitted_by == REVIEWER
    assert items == ["Check a list's automations before adding contacts", "Send to a test list first"]
    steps = [row.step for row in log]
    for step in (
        "report",
        "assess",
        "notify",
        "decide",
        "draft",
        "approve",
        "retro_schedule",
        "retro_remind",
        "retro",
    ):
        assert step in steps, f"{step} missing from the decision log: {steps}"
    assert steps.index("decide") < steps.index("approve") < steps.index("retro")
    assert any(row.step == "decide" and row.actor == DECIDER for row in log)

    # The header was edited in place to show the incident closed; the summary is in the thread.
    header_now = emu.message(INCIDENT_CHANNEL, header.ts)
    assert "Closed" in _blocks_text(header_now)
    assert header_now.edits, "the header should be edited in place, not reposted"
    assert len(emu.messages(INCIDENT_CHANNEL)) == 1
    assert any("is closed" in _blocks_text(m) for m in emu.thread(INCIDENT_CHANNEL, header.ts))
    with bot.runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar() == 0
    assert not emu.ui_errors, emu.ui_errors
    assert "incident" in inspect(bot.runtime.engine).get_table_names()
