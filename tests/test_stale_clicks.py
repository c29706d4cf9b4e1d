"""Modals submitted too late and a closed incident's messages: the person is told why, nothing changes."""

from __future__ import annotations

import logging

import pytest

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Incident, Retrospective

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


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


def test_a_closed_incidents_messages_show_no_controls(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_closed(bot)
    for kind in ("assessment", "departments"):
        message = h.posted(bot, incident_id, kind)
        assert h.actions(message) == [], (
            f"the closed incident's {kind} message still has {h.actions(message)}"
        )
    incident = h.rows(bot, Incident)[0]
    with_controls = {
        m.text: h.actions(m) for m in emu.thread(h.INCIDENT_CHANNEL, incident.header_ts or "") if h.actions(m)
    }
    assert with_controls == {}, with_controls


def test_a_failure_of_ours_is_one_log_line_naming_the_incident_and_a_note_to_the_person(
    sqlite_bot: DemoBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The database loses a table under the bot: the click gets an apology, the log one line, no traceback."""
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    with bot.runtime.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE draft")
    start = len(emu.ephemerals)
    with caplog.at_level(logging.INFO):
        answer = h.click(bot, ids.DRAFT_REGENERATE)
        bot.settle()
    assert answer.ok, "the click is acknowledged all the same"
    told = h.ephemerals_since(emu, start, h.DECIDER)
    assert told and "Something went wrong on my side" in told[-1], told
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    line = failures[0]
    assert f"OOPS-{incident_id}" in line.getMessage() and "OperationalError" in line.getMessage()
    assert not line.exc_info and "\n" not in line.getMessage(), "one line, no traceback"
