"""The retrospective over the wire: a refused reminder is tried again and said, a moved retrospective edits
its reminder, and Hold it now holds it before the reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Post, Retrospective

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


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
    assert h.eventually(lambda: h.job_ids(bot.runtime.engine) == []), h.job_ids(bot.runtime.engine)


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


def test_a_reminder_slack_keeps_refusing_stops_after_six_tries_and_says_how_to_go_on(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_retro_scheduled(bot)
    tries = 6
    for attempt in range(tries):
        # Each firing: the reminder is refused, then the warning goes to the thread.
        emu.fail_next("chat.postMessage", status=200, error="not_in_channel", times=1)
        assert bot.runtime.retro_scheduler.scheduled(incident_id) is not None, (
            f"no job before try {attempt + 1}"
        )
        assert h.run_reminder_job(bot, incident_id).exception is None
        bot.settle()
    assert bot.runtime.retro_scheduler.scheduled(incident_id) is None, "it should stop re-arming"
    incident = h.only_incident(bot)
    warnings = [
        m.text for m in emu.thread(h.INCIDENT_CHANNEL, incident.header_ts or "") if "could not post" in m.text
    ]
    assert len(warnings) == tries
    assert "try again at" in warnings[0] and f"/oops resume OOPS-{incident_id}" in warnings[-1], warnings[-1]
    failed = [r for r in h.decision_steps(bot, "retro_remind") if r.choice == "failed"]
    assert len(failed) == tries and failed[-1].note == f"not_in_channel; stopped after {tries} tries"

    # Fixed, and resumed: the reminder goes out at once.
    bot.driver.slash("/oops", f"resume OOPS-{incident_id}", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
    bot.settle()
    assert bot.runtime.retro_scheduler.scheduled(incident_id) is not None, "resume re-arms the reminder"
    h.fire_reminder(bot, incident_id)
    assert h.shows(emu, ids.RETRO_START)
