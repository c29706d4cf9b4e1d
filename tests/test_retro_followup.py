"""Retrospective reminders that are not missed, over the wire with a clock the test moves: each person
gets a direct message whose button opens the form; not held, one more reminder after the delay, then
it is marked overdue in the thread and the App Home; Move it starts the cycle again; a reminder late
after downtime goes out once; a click naming another workspace's incident does nothing."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.demo import DemoBot
from bot.runbook.calendar import default_retro_time
from bot.runbook.incident import Status
from bot.slack import ids
from bot.slack.views import validate_message
from bot.store.tables import DecisionLog, Incident, Retrospective

try:  # tests/ may or may not become a package; work either way
    from tests import followup_helpers as f
    from tests import slack_helpers as h
except ImportError:
    import followup_helpers as f  # type: ignore[no-redef]
    import slack_helpers as h  # type: ignore[no-redef]

TZ = ZoneInfo("Europe/London")  # app.yaml's team time zone
DELAY = timedelta(hours=24)  # app.yaml's retrospective.remind_again_after_hours
STILL = "Still to do: the retrospective"
OVERDUE = "is overdue since"


def shown(when: datetime) -> str:
    """A time as the thread shows it (bot.slack.views.common.when)."""
    return when.astimezone(TZ).strftime("%a %d %b %Y, %H:%M %Z")


def test_the_reminder_reaches_each_person_once_and_the_form_opens_from_the_direct_message(
    live_bot: DemoBot,
) -> None:
    bot, emu = live_bot, live_bot.emulator
    clock = f.with_clock(bot)
    incident_id = f.walk_to_scheduled(bot)
    assert f.dm_counts(bot) == {user: 0 for user in f.PEOPLE}

    f.remind_at_its_time(bot, clock, incident_id)
    reminder = h.posted(bot, incident_id, "reminder")
    assert h.has_element(reminder, ids.RETRO_START) and h.has_element(reminder, ids.RETRO_MOVE)
    assert f.dm_counts(bot) == {user: 1 for user in f.PEOPLE}, "reporter, decider and approver, once each"
    for user in f.PEOPLE:
        [dm] = f.dms(bot, user)
        assert h.has_element(dm, ids.RETRO_START) and h.has_element(dm, ids.RETRO_MOVE)
        assert f"OOPS-{incident_id}" in h.blocks_text(dm) and user in h.blocks_text(dm)
        validate_message(dm.blocks, dm.text)

    # The sweep sends nothing more, however often it runs (and the real minute job may run too).
    f.sweep(bot)
    f.sweep(bot)
    assert f.dm_counts(bot) == {user: 1 for user in f.PEOPLE}

    # The approver opens the form from the direct message, and holds the retrospective.
    [dm] = f.dms(bot, h.REVIEWER)
    opened = len(emu.opened_views)
    response = bot.driver.click(dm.channel, dm.ts, ids.RETRO_START, user=h.REVIEWER)
    assert response.status == 200, response.body_text
    bot.settle()
    assert len(emu.opened_views) == opened + 1
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.RETRO_VIEW
    assert json.loads(view["private_metadata"])["incident"] == incident_id
    ack = bot.driver.submit_view(view["id"], h.RETRO_VALUES, user=h.REVIEWER)
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text
    bot.settle()
    assert h.only_incident(bot).status == Status.CLOSED
    [retro] = h.rows(bot, Retrospective)
    assert retro.submitted_by == h.REVIEWER
    # Every reminder people got now says it was held: no button offers a retrospective done.
    assert not h.shows(emu, ids.RETRO_START) and not h.shows(emu, ids.RETRO_MOVE)
    for user in f.PEOPLE:
        [dm] = f.dms(bot, user)
        assert "held, thank you" in h.blocks_text(dm), h.blocks_text(dm)

    # Held: the sweep has nothing more to say, even days later.
    clock.move(days=3)
    f.sweep(bot)
    assert f.saying(bot, STILL) == [] and f.saying(bot, OVERDUE) == []
    assert f.dm_counts(bot) == {user: 1 for user in f.PEOPLE}


def test_not_held_it_is_reminded_once_more_after_the_delay_then_marked_overdue_once(
    live_bot: DemoBot,
) -> None:
    bot = live_bot
    clock = f.with_clock(bot)
    incident_id = f.walk_to_scheduled(bot)
    reminded_at = f.remind_at_its_time(bot, clock, incident_id)

    clock.at(reminded_at + DELAY - timedelta(minutes=1))
    f.sweep(bot)
    assert f.saying(bot, STILL) == [], "not before the delay"
    assert f.dm_counts(bot) == {user: 1 for user in f.PEOPLE}

    clock.at(reminded_at + DELAY)
    f.sweep(bot)
    f.sweep(bot)
    [again] = f.saying(bot, STILL)
    assert h.has_element(again, ids.RETRO_START) and h.has_element(again, ids.RETRO_MOVE)
    assert f.dm_counts(bot) == {user: 2 for user in f.PEOPLE}, "one more direct message each"
    for user in f.PEOPLE:
        assert STILL in h.blocks_text(f.dms(bot, user)[-1])
    assert f.saying(bot, OVERDUE) == []

    home = f.open_home(bot)
    assert "overdue" not in json.dumps(home["blocks"]), "not overdue yet"

    clock.at(reminded_at + 2 * DELAY - timedelta(minutes=1))
    f.sweep(bot)
    assert f.saying(bot, OVERDUE) == []

    clock.at(reminded_at + 2 * DELAY)
    f.sweep(bot)
    f.sweep(bot)
    [line] = f.saying(bot, OVERDUE)
    assert f"OOPS-{incident_id}" in line.text
    since = shown(reminded_at + 2 * DELAY)
    assert since in h.blocks_text(line), h.blocks_text(line)
    header = h.posted(bot, incident_id, "header")
    assert f"overdue since {since}" in h.blocks_text(header), h.blocks_text(header)
    reminder = h.posted(bot, incident_id, "reminder")
    assert f"Overdue since {since}" in h.blocks_text(reminder) and h.has_element(reminder, ids.RETRO_START)
    assert f.dm_counts(bot) == {user: 2 for user in f.PEOPLE}, "no third direct message"
    logged = [r.choice for r in h.rows(bot, DecisionLog, step="retro_remind")]
    assert logged == ["reminded", "again", "overdue"], logged

    home = f.open_home(bot)
    open_text = json.dumps([b for b in home["blocks"] if b.get("block_id") == f"open:{incident_id}"])
    retro_text = json.dumps([b for b in home["blocks"] if b.get("block_id") == f"retro:{incident_id}"])
    assert (
        "overdue since " + (reminded_at + 2 * DELAY).astimezone(TZ).strftime("%a %d %b, %H:%M") in open_text
    )
    assert f"overdue since {since}" in retro_text, retro_text

    # Days later still one line, one second reminder.
    clock.move(days=2)
    f.sweep(bot)
    assert len(f.saying(bot, OVERDUE)) == 1 and len(f.saying(bot, STILL)) == 1


def test_move_it_from_a_direct_message_reschedules_and_the_cycle_starts_again(live_bot: DemoBot) -> None:
    bot, emu, driver = live_bot, live_bot.emulator, live_bot.driver
    clock = f.with_clock(bot)
    incident_id = f.walk_to_scheduled(bot)
    first_at = f.remind_at_its_time(bot, clock, incident_id)
    clock.at(first_at + DELAY)
    f.sweep(bot)
    [first_again] = f.saying(bot, STILL)
    assert f.dm_counts(bot) == {user: 2 for user in f.PEOPLE}

    # The decider moves it to a week later from the direct message they got.
    new_at = (first_at + timedelta(days=7, hours=4)).replace(microsecond=0)
    dm = f.dms(bot, h.DECIDER)[-1]
    assert driver.set_value(dm.channel, dm.ts, ids.RETRO_MOVE_WHEN, int(new_at.timestamp()), user=h.DECIDER)
    response = driver.click(dm.channel, dm.ts, ids.RETRO_MOVE, user=h.DECIDER)
    assert response.status == 200, response.body_text
    bot.settle()

    incident = h.only_incident(bot)
    assert incident.status == Status.RETRO_SCHEDULED and incident.retro_at == new_at
    assert incident.reminded_at is None
    assert bot.runtime.retro_scheduler.scheduled(incident_id) == new_at
    # The old reminders (thread and people) say it moved, and offer nothing any more.
    assert not h.shows(emu, ids.RETRO_START) and not h.shows(emu, ids.RETRO_MOVE)
    for user in f.PEOPLE:
        assert all(f"was moved to {shown(new_at)}" in h.blocks_text(m) for m in f.dms(bot, user))
    assert "Moved the retrospective" in " ".join(e.text for e in emu.ephemerals if e.user == h.DECIDER)

    # Until the new time, the sweep is quiet; then a fresh cycle: reminder, people, once more.
    clock.at(new_at - timedelta(minutes=1))
    f.sweep(bot)
    assert f.dm_counts(bot) == {user: 2 for user in f.PEOPLE}
    clock.at(new_at)
    h.fire_reminder(bot, incident_id)
    assert f.dm_counts(bot) == {user: 3 for user in f.PEOPLE}
    assert all(h.has_element(f.dms(bot, user)[-1], ids.RETRO_START) for user in f.PEOPLE)
    clock.at(new_at + DELAY)
    f.sweep(bot)
    [again] = f.saying(bot, STILL)
    assert again.ts != first_again.ts, "the moved retrospective gets its own second reminder"
    assert "was moved" in h.blocks_text(f.saying(bot, "was moved")[0])
    assert f.dm_counts(bot) == {user: 4 for user in f.PEOPLE}
    assert f.saying(bot, OVERDUE) == []


def test_move_it_from_the_thread_reminder_with_the_picker_untouched_takes_the_default(
    sqlite_bot: DemoBot,
) -> None:
    bot = sqlite_bot
    clock = f.with_clock(bot)
    incident_id = f.walk_to_scheduled(bot)
    f.remind_at_its_time(bot, clock, incident_id)
    reminder = h.posted(bot, incident_id, "reminder")
    clock.move(hours=1)
    default = default_retro_time(clock.now, TZ, 2, time(10, 0))  # app.yaml: 2 working days, 10:00
    response = bot.driver.click(reminder.channel, reminder.ts, ids.RETRO_MOVE, user=h.REPORTER)
    assert response.status == 200, response.body_text
    bot.settle()
    incident = h.only_incident(bot)
    assert incident.status == Status.RETRO_SCHEDULED
    assert incident.retro_at == default, (incident.retro_at, default)
    moved = bot.emulator.message(reminder.channel, reminder.ts)
    assert moved is not None and "moved" in h.blocks_text(moved) and not h.has_element(moved, ids.RETRO_MOVE)


def test_a_reminder_late_after_a_day_of_downtime_is_sent_once_and_the_delay_counts_from_it(
    live_bot: DemoBot,
) -> None:
    bot = live_bot
    clock = f.with_clock(bot)
    incident_id = f.walk_to_scheduled(bot)
    retro_at = h.only_incident(bot).retro_at
    assert retro_at is not None
    # The bot was down for a day: when it is back, the stored job runs late (misfire grace: none).
    clock.at(retro_at + timedelta(days=1))
    f.sweep(bot)  # nothing is reminded yet: the sweep does not post the first reminder
    assert f.dm_counts(bot) == {user: 0 for user in f.PEOPLE}
    h.fire_reminder(bot, incident_id)
    f.sweep(bot)
    f.sweep(bot)
    reminders = [m for m in h.all_messages(bot.emulator) if "Time for the retrospective" in h.blocks_text(m)]
    assert len(reminders) == 1
    assert f.dm_counts(bot) == {user: 1 for user in f.PEOPLE}
    assert h.only_incident(bot).reminded_at == clock.now
    assert f.saying(bot, STILL) == [], "the second reminder waits a full delay after the late first one"
    # A second run of the job (a retry, another process) posts nothing.
    assert not bot.runtime.remind(incident_id)
    bot.settle()
    assert f.dm_counts(bot) == {user: 1 for user in f.PEOPLE}


def test_a_crafted_click_naming_another_workspace_does_nothing(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    clock = f.with_clock(bot)
    incident_id = f.walk_to_scheduled(bot)
    f.remind_at_its_time(bot, clock, incident_id)
    before = h.db_dump(bot.runtime.engine)
    opened = len(emu.opened_views)
    for action_id in (ids.RETRO_START, ids.RETRO_MOVE):
        message, version, block, element = h.rendered_control(bot, action_id)
        payload = h.block_actions_payload(bot, message, version, block, element, h.REPORTER)
        response = bot.driver.send(h.payload_body(f.other_workspace(payload)))
        assert response.status == 200, response.body_text
        bot.settle()
    assert len(emu.opened_views) == opened, "no form opens for another workspace's incident"
    after = h.db_dump(bot.runtime.engine)
    assert after == before
    incident = h.only_incident(bot)
    assert incident.status == Status.RETRO_DUE and h.rows(bot, Incident)[0].team_id == h.TEAM_ID


def test_a_person_slack_will_not_reach_is_skipped_and_the_others_are_told_once(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    ghost = "U0GONE"  # approved the apology, then left the workspace: Slack has no DM with them
    clock = f.with_clock(bot)
    h.walk_to_drafting(bot)
    h.click(bot, ids.DRAFT_APPROVE, ghost)
    h.click(bot, ids.RETRO_SCHEDULE, h.DECIDER)
    incident_id = h.only_incident(bot).id
    assert incident_id is not None
    f.remind_at_its_time(bot, clock, incident_id)
    f.sweep(bot)
    f.sweep(bot)
    assert [len(f.dms(bot, user)) for user in (h.REPORTER, h.DECIDER)] == [1, 1]
    refused = [c for c in emu.calls_to("chat.postMessage") if c.args.get("channel") == ghost]
    assert refused and not any(c.response.get("ok") for c in refused), "the ghost was tried, and refused"
    assert h.has_element(h.posted(bot, incident_id, "reminder"), ids.RETRO_START), "the thread has it"
