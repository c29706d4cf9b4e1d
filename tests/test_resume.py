"""/oops resume and a report Slack refused: the incident is kept, the reporter told how to pick it up,
and resume posts what is missing, once, and writes the draft a new decision lacks."""

from __future__ import annotations

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Notice, Post

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


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
    told = [m.text for m in h.dms(emu, h.REPORTER)] + h.ephemerals_since(emu, 0, h.REPORTER)
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


def test_resume_writes_the_draft_a_new_decision_is_missing_when_an_older_draft_exists(
    sqlite_bot: DemoBot,
) -> None:
    """A stop half-way: the new decision is saved, but the bot stopped before its draft was written.
    Resume must write it, as it does when there is no draft at all. (A failed redraw no longer stops
    the drafting, so the stop is written into the database as it would leave it.)"""
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver
    incident_id = h.walk_to_drafting(bot)
    h.click(bot, ids.CHANGE_DECISION, h.DECIDER)
    emu.fail_next("chat.update", status=200, error="fatal_error", times=1)
    h.decide(bot, "make_it_big", h.DECIDER, note="Bigger than we thought.")
    assert [d.version for d in h.drafts(bot)] == [1, 2], "a refused redraw does not stop the drafting"
    with bot.runtime.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM draft WHERE version = 2")
    incident = h.only_incident(bot)
    assert (incident.status, incident.decision) == (Status.DRAFTING, "make_it_big")
    assert [d.version for d in h.drafts(bot)] == [1], "the setup expects no draft for the new decision"

    assert driver.slash("/oops", "resume OOPS-1", user=h.DECIDER, channel=h.INCIDENT_CHANNEL).status == 200
    bot.settle()

    assert [d.version for d in h.drafts(bot)] == [1, 2], (
        "resume left the new decision without a draft: the thread says 'Writing a new draft…' for good"
    )
    message = h.posted(bot, incident_id, "draft")
    assert h.approve_values(message)[-1] == f"{incident_id}:2"
