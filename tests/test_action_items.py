"""Action items over time, over the wire with a clock the test moves: the owner's DM on the due date
(once, however often the sweep runs), Done from the DM or the thread (edits both; twice is harmless),
Snooze, the weekly repeat of an overdue item, `/oops actions [mine]`, and a crafted Done from another
workspace that changes nothing."""

from __future__ import annotations

from datetime import timedelta

from bot.demo import DemoBot
from bot.slack import ids
from bot.store.tables import ActionItem, DecisionLog, JobRun

try:
    from tests import retro_helpers as r
    from tests import slack_helpers as h
except ImportError:
    import retro_helpers as r  # type: ignore[no-redef]
    import slack_helpers as h  # type: ignore[no-redef]

OWNER = h.DECIDER


def _item(bot: DemoBot) -> ActionItem:
    [item] = h.rows(bot, ActionItem)
    return item


def _action_dms(bot: DemoBot) -> list[h.Message]:
    """The owner's direct messages about action items (the retrospective's reminders reach them too)."""
    return [
        m
        for m in h.dms(bot.emulator, OWNER)
        if str(((m.metadata or {}).get("event_payload") or {}).get("part", "")).startswith("action")
    ]


def _reminders(bot: DemoBot) -> list[h.Message]:
    return [m for m in _action_dms(bot) if h.has_element(m, ids.ACTION_DONE) or "Done" in m.text]


def _sweep(bot: DemoBot) -> int:
    return bot.runtime.sweep().get("action_items", 0)


def test_on_its_due_date_the_owner_gets_one_dm_and_done_edits_it_and_the_thread(live_bot: DemoBot) -> None:
    bot = live_bot
    due = r.local_today(bot) + timedelta(days=2)
    item = r.close_with_action(bot, due)
    incident_id = item.incident_id

    clock = r.set_clock(bot, r.at_local(bot, due, 8, 59))
    assert _sweep(bot) == 0 and _action_dms(bot) == [], "nothing before remind_at"
    clock.now = r.at_local(bot, due, 9, 1)
    assert _sweep(bot) == 1
    assert _sweep(bot) == 0, "a second sweep the same day sends nothing"
    [dm] = _action_dms(bot)
    assert r.ACTION in dm.text and h.has_element(dm, ids.ACTION_DONE) and h.has_element(dm, ids.ACTION_SNOOZE)
    assert _item(bot).reminded_on == due
    [run] = [row for row in h.rows(bot, JobRun) if row.key.startswith("action-due:")]
    assert run.key == f"action-due:{item.id}:{due.isoformat()}" and run.ref == f"{dm.channel}/{dm.ts}"

    # jo (not the owner) marks it done from the thread: noted, the DM and the thread say so.
    summary = h.posted(bot, incident_id, "summary")
    assert bot.driver.click(
        summary.channel, summary.ts, ids.ACTION_DONE, user=h.REVIEWER, value=str(item.id)
    ).ok
    bot.settle()
    done = _item(bot)
    assert done.done_by == h.REVIEWER and done.done_at == clock.now
    edited = bot.emulator.message(dm.channel, dm.ts)
    assert edited is not None and "Done" in edited.text and not h.has_element(edited, ids.ACTION_DONE)
    thread = h.blocks_text(h.posted(bot, incident_id, "summary"))
    assert "✅" in thread and f"done by <@{h.REVIEWER}>" in thread and ids.ACTION_DONE not in thread

    # A second Done (the owner, from the old DM) changes nothing.
    assert edited is not None
    old = next(v for v in reversed(edited.edits) if h.has_element(v, ids.ACTION_DONE))
    block = next(b for b in old.blocks if any(e.get("action_id") == ids.ACTION_DONE for e in h.elements(b)))
    element = next(e for e in h.elements(block) if e.get("action_id") == ids.ACTION_DONE)
    payload = h.block_actions_payload(bot, edited, old, block, element, OWNER)
    assert bot.driver.send(h.payload_body(payload)).status == 200
    bot.settle()
    assert _item(bot).done_by == h.REVIEWER
    assert [row.choice for row in h.rows(bot, DecisionLog, step="action")] == ["done"]
    clock.now += timedelta(days=8)
    assert _sweep(bot) == 0, "a done item is never reminded again"


def test_snooze_moves_the_reminder_to_the_day_it_was_snoozed_to(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    due = r.tomorrow(bot)
    item = r.close_with_action(bot, due)
    clock = r.set_clock(bot, r.at_local(bot, due, 10))
    assert _sweep(bot) == 1
    [dm] = _action_dms(bot)
    assert bot.driver.click(dm.channel, dm.ts, ids.ACTION_SNOOZE_WEEK, user=OWNER).status == 200
    bot.settle()
    assert _item(bot).snoozed_until == due + timedelta(days=7)
    shown = bot.emulator.message(dm.channel, dm.ts)
    assert shown is not None and "Snoozed until" in h.blocks_text(shown)

    for days in (1, 6):
        clock.now = r.at_local(bot, due + timedelta(days=days), 10)
        assert _sweep(bot) == 0, f"reminded {days} day(s) into a week's snooze"
    clock.now = r.at_local(bot, due + timedelta(days=7), 9, 30)
    assert _sweep(bot) == 1
    assert len(_action_dms(bot)) == 2
    again = _item(bot)
    assert again.reminded_on == due + timedelta(days=7) and again.snoozed_until is None
    assert item.id is not None


def test_a_crafted_snooze_naming_another_message_redraws_nothing(sqlite_bot: DemoBot) -> None:
    """Snooze redraws the reminder it was pressed in; a payload pointing it at the incident's header
    snoozes the item (anyone may) but leaves that message as it was."""
    bot = sqlite_bot
    due = r.tomorrow(bot)
    r.close_with_action(bot, due)
    r.set_clock(bot, r.at_local(bot, due, 10))
    assert _sweep(bot) == 1
    [dm] = _action_dms(bot)
    header = h.posted(bot, h.only_incident(bot).id or 0, "header")
    before = h.blocks_text(header)
    message, version, block, element = h.rendered_control(bot, ids.ACTION_SNOOZE)
    assert message.ts == dm.ts, "the owner's reminder carries the Snooze button"
    payload = h.block_actions_payload(bot, message, version, block, element, OWNER)
    payload["container"].update({"channel_id": header.channel, "message_ts": header.ts})
    assert bot.driver.send(h.payload_body(payload)).ok
    bot.settle()
    assert _item(bot).snoozed_until is not None
    after = bot.emulator.message(header.channel, header.ts)
    assert after is not None and h.blocks_text(after) == before


def test_an_overdue_item_is_repeated_a_week_later_not_before(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    due = r.tomorrow(bot)
    r.close_with_action(bot, due)
    clock = r.set_clock(bot, r.at_local(bot, due, 9, 5))
    assert _sweep(bot) == 1
    for days in range(1, 7):
        clock.now = r.at_local(bot, due + timedelta(days=days), 12)
        assert _sweep(bot) == 0, f"repeated after {days} day(s)"
    clock.now = r.at_local(bot, due + timedelta(days=7), 9)
    assert _sweep(bot) == 1
    dms = _action_dms(bot)
    assert len(dms) == 2 and "Overdue since" in h.blocks_text(dms[-1])


def test_a_bot_down_on_the_due_day_sends_the_reminder_once_when_back(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    due = r.tomorrow(bot)
    r.close_with_action(bot, due)
    # Down all of the due day; back the next morning before remind_at: the owed reminder goes out, once.
    r.set_clock(bot, r.at_local(bot, due + timedelta(days=1), 7))
    assert _sweep(bot) == 1 and _sweep(bot) == 0
    assert len(_action_dms(bot)) == 1


def test_oops_actions_lists_open_items_to_the_caller_only(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    due = r.tomorrow(bot)
    item = r.close_with_action(bot, due)
    r.set_clock(bot, r.at_local(bot, due + timedelta(days=2), 12))

    start = len(emu.ephemerals)
    assert bot.driver.slash("/oops", "actions", user=h.REVIEWER, channel=h.INCIDENT_CHANNEL).status == 200
    bot.settle()
    [answer] = [e for e in emu.ephemerals[start:] if e.user == h.REVIEWER]
    text = h.blocks_text(answer)
    assert r.ACTION in text and f"<@{OWNER}>" in text and f"OOPS-{item.incident_id}" in text
    assert "overdue since" in text
    assert not any("Open action items" in h.blocks_text(m) for m in h.all_messages(emu)), "caller only"

    start = len(emu.ephemerals)
    bot.driver.slash("/oops", "actions mine", user=h.REVIEWER, channel=h.INCIDENT_CHANNEL)
    bot.settle()
    [mine] = [e for e in emu.ephemerals[start:] if e.user == h.REVIEWER]
    assert "no open action items" in h.blocks_text(mine)

    start = len(emu.ephemerals)
    bot.driver.slash("/oops", "actions mine", user=OWNER, channel=h.INCIDENT_CHANNEL)
    bot.settle()
    [owners] = [e for e in emu.ephemerals[start:] if e.user == OWNER]
    assert r.ACTION in h.blocks_text(owners) and "Your open action items" in h.blocks_text(owners)

    helped = bot.driver.slash("/oops", "help", user=OWNER, channel=h.INCIDENT_CHANNEL)
    assert "/oops actions" in helped.body_text


def test_a_crafted_done_from_another_workspace_changes_nothing(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    item = r.close_with_action(bot, r.tomorrow(bot))
    before = h.db_dump(bot.runtime.engine)
    message, version, block, element = h.rendered_control(bot, ids.ACTION_DONE, value=str(item.id))
    payload = h.block_actions_payload(bot, message, version, block, element, h.REVIEWER)
    payload["team"] = {"id": "T0OTHER", "domain": "other"}
    payload["user"]["team_id"] = "T0OTHER"
    assert bot.driver.send(h.payload_body(payload)).status == 200
    bot.settle()
    assert h.db_dump(bot.runtime.engine) == before
    assert _item(bot).done_at is None
