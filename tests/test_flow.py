"""The whole runbook over the wire: signed requests in, Web API calls out, and the database after.

/oops → report modal → submit → scale → notices → decision → draft → approve → retrospective
scheduled → (time advanced) reminder → retrospective submitted → closed.
"""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.demo import DemoBot, _fill
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import ChecklistItem, DecisionLog, Draft, Notice, Retrospective
from tests.slack_helpers import (
    DECIDER,
    INCIDENT_CHANNEL,
    REVIEWER,
    SUMMARY,
    blocks_text,
    button_message,
    click,
    only_incident,
    report,
)


def test_whole_runbook_end_to_end(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator

    # /oops opens the report modal at once, with the runbook guessed from the summary.
    assert report(bot).status == 200
    assert emu.calls_to("views.open"), "the slash command did not open a modal"
    report_view = emu.opened_views[0]
    assert report_view["callback_id"] == ids.REPORT_VIEW
    runbook_block = next(b for b in report_view["blocks"] if b.get("block_id") == "runbook")
    assert runbook_block["element"]["initial_option"]["value"] == "email-campaign"

    # The header in the channel, the steps in its thread.
    header = emu.messages(INCIDENT_CHANNEL)[0]
    assert "OOPS-1" in blocks_text(header) and SUMMARY in blocks_text(header)
    replies = emu.thread(INCIDENT_CHANNEL, header.ts)[1:]
    texts = [blocks_text(m) for m in replies]
    assert any("Scale" in t and "big" in t for t in texts), texts
    assert any("Told" in t and "Customer support" in t for t in texts), texts
    assert any("Decide" in t and "(recommended)" in t for t in texts), texts

    incident = only_incident(bot)
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
        assert posted and "OOPS-1" in blocks_text(posted[-1])
        assert "incident thread" in blocks_text(posted[-1])

    # Decide: the recommended option, with a note, through the decision modal.
    recommended = incident.recommendation
    click(bot, ids.DECIDE_PREFIX + recommended)
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
    incident = only_incident(bot)
    assert incident.decision == recommended and incident.decided_by == DECIDER
    assert incident.decision_note == "Keep it honest and light."

    # Draft, regenerate, approve.
    assert incident.status == Status.DRAFTING, "the flow expects an apology for this story"
    draft_message = button_message(bot, ids.DRAFT_APPROVE)
    assert "draft v1" in blocks_text(draft_message)
    click(bot, ids.DRAFT_REGENERATE)
    assert "draft v2" in blocks_text(emu.message(draft_message.channel, draft_message.ts))
    click(bot, ids.DRAFT_APPROVE)
    with Session(bot.runtime.engine) as session:
        drafts = session.exec(select(Draft).order_by(Draft.version)).all()
    assert [d.version for d in drafts] == [1, 2]
    assert drafts[1].approved_by == DECIDER and drafts[0].approved_by is None
    assert "Approved by" in blocks_text(emu.message(draft_message.channel, draft_message.ts))

    # Schedule the retrospective at the default time; the job is stored in the database.
    click(bot, ids.RETRO_SCHEDULE)
    incident = only_incident(bot)
    assert incident.status == Status.RETRO_SCHEDULED and incident.retro_at is not None
    with bot.runtime.engine.connect() as conn:
        jobs = conn.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id")).scalars().all()
    assert jobs == [f"retro-reminder-{incident.id}", f"weekly-summary:{bot.runtime.team_id}"]

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
    assert only_incident(bot).status == Status.RETRO_DUE

    # The retrospective closes the incident and leaves its checklist for next time.
    click(bot, ids.RETRO_START, REVIEWER)
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
    incident = only_incident(bot)
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
    assert "Closed" in blocks_text(header_now)
    assert header_now.edits, "the header should be edited in place, not reposted"
    assert len(emu.messages(INCIDENT_CHANNEL)) == 1
    assert any("is closed" in blocks_text(m) for m in emu.thread(INCIDENT_CHANNEL, header.ts))
    with bot.runtime.engine.connect() as conn:
        left = conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
        assert left == [f"weekly-summary:{bot.runtime.team_id}"], "the reminder job is gone once it ran"
    assert not emu.ui_errors, emu.ui_errors
    assert "incident" in inspect(bot.runtime.engine).get_table_names()
