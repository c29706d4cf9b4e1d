"""The side paths of an incident over the wire: re-assessing, telling another department by hand,
changing the decision, and editing the apology draft."""

from __future__ import annotations

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Notice

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


def _initial(view: dict, block_id: str) -> object:
    element = h.view_block(view, block_id)["element"]
    if "initial_option" in element:
        return (element["initial_option"] or {}).get("value")
    return element.get("initial_value")


def test_reassess_prefills_answers_and_bigger_numbers_change_scale_and_tell_more(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    assert h.report(bot).status == 200
    incident = h.only_incident(bot)
    assert incident.scale == "big"
    told_before = {n.department for n in h.rows(bot, Notice)}
    assert {"finance", "communications"}.isdisjoint(told_before), told_before

    h.click(bot, ids.REASSESS, h.REVIEWER)
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.REASSESS_VIEW
    # The modal shows the answers as they are now.
    assert _initial(view, "q_people_affected") == "27463"
    assert _initial(view, "q_complaints") == "12"
    assert _initial(view, "q_audience") == "customers"
    assert _initial(view, "q_public_posts") == "no"
    assert _initial(view, "q_still_happening") == "no"

    ack = bot.driver.submit_view(
        view["id"],
        {"q_people_affected": "60,000", "q_complaints": "30", "q_money_at_stake": "500"},
        user=h.REVIEWER,
    )
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text
    bot.settle()

    incident = h.only_incident(bot)
    assert incident.scale == "huge"
    assert incident.answers["people_affected"] == 60000 and incident.answers["complaints"] == 30
    assert incident.answers["audience"] == "customers", "answers not changed in the modal are kept"
    notices = h.rows(bot, Notice)
    told = [n.department for n in notices]
    assert len(told) == len(set(told)), f"a department was told twice: {told}"
    assert {"finance", "communications"} <= set(told), told
    for department, channel in (("finance", "#finance"), ("communications", "#comms")):
        posted = emu.messages(channel)
        assert len(posted) == 1 and "OOPS-1" in h.blocks_text(posted[0]), (department, posted)
    assessed = h.decision_steps(bot, "assess")
    assert [(r.choice, r.actor) for r in assessed] == [("big", "oops"), ("huge", h.REVIEWER)]
    assert "big → huge" in assessed[-1].note
    header = emu.message(h.INCIDENT_CHANNEL, incident.header_ts or "")
    assert header is not None and "huge" in h.blocks_text(header)
    assert "huge" in h.blocks_text(h.posted(bot, incident.id or 0, "assessment"))


def test_a_department_added_by_hand_is_told_once(live_bot: DemoBot) -> None:
    bot, emu, driver = live_bot, live_bot.emulator, live_bot.driver
    assert h.report(bot).status == 200
    incident_id = h.only_incident(bot).id or 0
    assert emu.messages("#finance") == []

    departments = h.button_message(bot, ids.ADD_DEPARTMENT)
    ack = driver.select(departments.channel, departments.ts, ids.ADD_DEPARTMENT, "finance", user=h.DECIDER)
    assert ack.status == 200, ack.body_text
    bot.settle()

    posted = emu.messages("#finance")
    assert len(posted) == 1 and "OOPS-1" in h.blocks_text(posted[0])
    [finance] = h.rows(bot, Notice, department="finance")
    assert finance.notified_by == h.DECIDER
    assert any(r.choice == "finance" and r.actor == h.DECIDER for r in h.decision_steps(bot, "notify"))
    told = h.posted(bot, incident_id, "departments")
    assert "Finance" in h.blocks_text(told)

    # The same pick again, from the select as it was shown before (someone's Slack had not refreshed).
    start = len(emu.ephemerals)
    assert h.press(bot, ids.ADD_DEPARTMENT, h.REVIEWER, option="finance").status == 200
    bot.settle()
    notes = h.ephemerals_since(emu, start, h.REVIEWER)
    assert len(notes) == 1 and "already knows" in notes[0], notes
    assert len(h.rows(bot, Notice, department="finance")) == 1
    assert len(emu.messages("#finance")) == 1


def test_changing_the_decision_sets_the_draft_aside_and_moves_to_the_retrospective(
    live_bot: DemoBot,
) -> None:
    bot, emu = live_bot, live_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    draft_message = h.posted(bot, incident_id, "draft")
    assert "draft v1" in h.blocks_text(draft_message)
    assert not h.shows(emu, ids.RETRO_SCHEDULE)

    h.click(bot, ids.CHANGE_DECISION, h.DECIDER)
    incident = h.only_incident(bot)
    assert incident.status == Status.DECIDING and incident.decision is None

    h.decide(bot, "no_action", h.DECIDER, note="Only colleagues noticed in the end.")

    incident = h.only_incident(bot)
    assert incident.status == Status.SCHEDULING
    assert (incident.decision, incident.decided_by) == ("no_action", h.DECIDER)
    draft_now = emu.message(draft_message.channel, draft_message.ts)
    assert draft_now is not None and "Set aside" in h.blocks_text(draft_now)
    assert not h.has_element(draft_now, ids.DRAFT_APPROVE)
    assert h.shows(emu, ids.RETRO_SCHEDULE), "the retrospective scheduling message should appear"
    decided = [(r.choice, r.actor) for r in h.decision_steps(bot, "decide")]
    assert decided == [("correct", h.DECIDER), ("reopened", h.DECIDER), ("no_action", h.DECIDER)]
    assert len(h.drafts(bot)) == 1


def test_editing_the_draft_saves_a_version_by_that_person(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    [v1] = h.drafts(bot)

    h.click(bot, ids.DRAFT_EDIT, h.REVIEWER)
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.EDIT_DRAFT_VIEW
    assert _initial(view, "subject") == v1.subject and _initial(view, "body") == v1.body

    subject, body = "We welcomed you twice, sorry", "You got our welcome email by mistake.\n\nJo"
    ack = bot.driver.submit_view(view["id"], {"subject": subject, "body": body}, user=h.REVIEWER)
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text
    bot.settle()

    versions = h.drafts(bot)
    assert [d.version for d in versions] == [1, 2]
    v2 = versions[-1]
    assert (v2.subject, v2.body, v2.author, v2.source) == (subject, body, h.REVIEWER, "edit")
    shown = h.blocks_text(h.posted(bot, incident_id, "draft"))
    assert "draft v2" in shown and f"edited by <@{h.REVIEWER}>" in shown and subject in shown
    assert any(r.choice == "v2" and r.actor == h.REVIEWER for r in h.decision_steps(bot, "draft")), (
        "the edit should be in the decision log"
    )
