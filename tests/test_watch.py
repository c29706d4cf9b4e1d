"""Watching after the apology, over the wire with a clock the test moves: the question comes on the
next working day at the set time (never on a weekend), once; Record the figures keeps them, logs them
and says them in the thread; a figure much higher than at assessment suggests re-assessing; the
figures show in `oops history show`; no apology, no watch; another workspace's click does nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.slack.views import validate_message
from bot.store.tables import DecisionLog, IncidentWatch

try:  # tests/ may or may not become a package; work either way
    from tests import followup_helpers as f
    from tests import slack_helpers as h
    from tests.cli_helpers import oops
except ImportError:
    import followup_helpers as f  # type: ignore[no-redef]
    import slack_helpers as h  # type: ignore[no-redef]
    from cli_helpers import oops  # type: ignore[no-redef]

TZ = ZoneInfo("Europe/London")  # app.yaml's team time zone; watch: next working day at 10:00
ASK = "How has it gone since the apology"


def a_friday_afternoon() -> datetime:
    """15:00 in London on a Friday one to two weeks ago: a draft written now is newer than a decision
    taken then, and the watch is not a scheduler job, so the past is a fine place to start."""
    today = datetime.now(TZ).date()
    friday = today - timedelta(days=(today.weekday() - 4) % 7 + 7)
    return datetime(friday.year, friday.month, friday.day, 15, 0, tzinfo=TZ).astimezone(UTC)


def monday_ten(friday: datetime) -> datetime:
    day = friday.astimezone(TZ).date() + timedelta(days=3)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ).astimezone(UTC)


def submit_figures(bot: DemoBot, user: str, values: dict[str, str]) -> str:
    """Press Record the figures in the thread, fill the modal; returns the ack's body (errors, if any)."""
    message = h.button_message(bot, ids.WATCH_RECORD)
    response = bot.driver.click(message.channel, message.ts, ids.WATCH_RECORD, user=user)
    assert response.status == 200, response.body_text
    bot.settle()
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.WATCH_VIEW
    ack = bot.driver.submit_view(view["id"], values, user=user)
    assert ack.status == 200, ack.body_text
    bot.settle()
    return ack.body_text


def test_the_watch_asks_on_the_next_working_day_once_and_the_figures_are_kept(
    live_bot: DemoBot, database_url: str
) -> None:
    bot, emu = live_bot, live_bot.emulator
    friday = a_friday_afternoon()
    clock = f.with_clock(bot, friday)
    incident_id = f.walk_to_approved(bot)
    [watch] = h.rows(bot, IncidentWatch)
    assert watch.incident_id == incident_id and watch.team_id == h.TEAM_ID
    assert watch.due_at == monday_ten(friday) and watch.asked_at is None

    for when in (
        friday + timedelta(days=1),
        friday + timedelta(days=2),
        monday_ten(friday) - timedelta(minutes=1),
    ):
        clock.at(when)
        f.sweep(bot)
        assert f.saying(bot, ASK) == [], f"asked too early, at {when}"
    clock.at(monday_ten(friday))
    f.sweep(bot)
    f.sweep(bot)
    [asked] = f.saying(bot, ASK)
    assert h.has_element(asked, ids.WATCH_RECORD)
    validate_message(asked.blocks, asked.text)
    [watch] = h.rows(bot, IncidentWatch)
    assert watch.asked_at == monday_ten(friday)

    # Not numbers: the modal says so by each input, and nothing is kept.
    errors = submit_figures(bot, h.REPORTER, {"complaints": "many", "unsubscribes": "-1", "replies": "3"})
    assert "complaints" in errors and "unsubscribes" in errors and "replies" not in errors, errors
    assert h.rows(bot, IncidentWatch)[0].recorded_at is None

    # 40 complaints against 12 at assessment: recorded, logged, said, and a re-assessment suggested.
    clock.move(hours=2)
    assert submit_figures(bot, h.REPORTER, {"complaints": "40", "unsubscribes": "3", "replies": "7"}) == ""
    [watch] = h.rows(bot, IncidentWatch)
    assert (watch.complaints, watch.unsubscribes, watch.replies) == (40, 3, 7)
    assert watch.recorded_by == h.REPORTER and watch.recorded_at == clock.now
    logged = [(r.choice, r.actor, r.note) for r in h.rows(bot, DecisionLog, step="watch")]
    assert logged[-1] == ("recorded", h.REPORTER, "40 complaints, 3 unsubscribes, 7 replies"), logged
    [note] = f.saying(bot, "recorded *40* complaints")
    assert "12 at assessment" in h.blocks_text(note) and h.has_element(note, ids.REASSESS)
    validate_message(note.blocks, note.text)
    redrawn = emu.message(asked.channel, asked.ts)
    assert redrawn is not None and "*40* complaints" in h.blocks_text(redrawn)

    # The suggested re-assessment is the existing one: its modal opens.
    response = bot.driver.click(note.channel, note.ts, ids.REASSESS, user=h.DECIDER)
    assert response.status == 200
    bot.settle()
    assert emu.opened_views[-1]["callback_id"] == ids.REASSESS_VIEW

    # Corrected to 15 (not much more than 12): kept, and no suggestion this time.
    assert submit_figures(bot, h.DECIDER, {"complaints": "15", "unsubscribes": "3", "replies": "7"}) == ""
    [later] = f.saying(bot, "recorded *15* complaints")
    assert not h.has_element(later, ids.REASSESS) and "at assessment" not in h.blocks_text(later)
    assert h.rows(bot, IncidentWatch)[0].complaints == 15

    # A day later the sweep does not ask again.
    clock.move(days=1)
    f.sweep(bot)
    assert len(f.saying(bot, ASK)) == 1

    shown = oops(
        "history", "show", f"OOPS-{incident_id}", "--team", h.TEAM_ID, OOPS_DATABASE_URL=database_url
    )
    assert shown.exit_code == 0, shown.output
    out = " ".join(shown.stdout.split())
    assert "Watching after the apology" in out and "15 complaints, 3 unsubscribes, 7 replies" in out, out


def test_approved_on_a_thursday_it_asks_on_friday(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    friday = a_friday_afternoon()
    f.with_clock(bot, friday - timedelta(days=1))
    f.walk_to_approved(bot)
    [watch] = h.rows(bot, IncidentWatch)
    friday_ten = datetime.combine(friday.astimezone(TZ).date(), time(10, 0), TZ).astimezone(UTC)
    assert watch.due_at == friday_ten


def test_no_action_gets_no_watch(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    f.with_clock(bot, a_friday_afternoon())
    assert h.report(bot).status == 200
    h.decide(bot, "no_action", note="Nobody noticed; nothing to say.")
    assert h.only_incident(bot).status != Status.DRAFTING
    assert h.rows(bot, IncidentWatch) == []


def test_a_crafted_record_click_for_another_workspace_opens_nothing(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    friday = a_friday_afternoon()
    clock = f.with_clock(bot, friday)
    f.walk_to_approved(bot)
    clock.at(monday_ten(friday))
    f.sweep(bot)
    before = h.db_dump(bot.runtime.engine)
    opened = len(emu.opened_views)
    message, version, block, element = h.rendered_control(bot, ids.WATCH_RECORD)
    payload = h.block_actions_payload(bot, message, version, block, element, h.REPORTER)
    response = bot.driver.send(h.payload_body(f.other_workspace(payload)))
    assert response.status == 200, response.body_text
    bot.settle()
    assert len(emu.opened_views) == opened
    assert h.db_dump(bot.runtime.engine) == before
