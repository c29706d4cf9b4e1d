"""What the action-item sweep reads as due (``action_item.next_remind_on``): filled in by migration 0011
for items already there, kept when a Snooze lands between the sweep's read and its bookkeeping, and
left due when a reminder's post has an unsure answer (a 5xx) until the DM is found or sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlmodel import select

from bot.demo import DemoBot
from bot.slack import ids
from bot.store import Store, make_engine, migrate
from bot.store.actions import ActionItems
from bot.store.db import alembic_config
from bot.store.tables import ActionItem, JobRun
from bot.usecases import actions

try:
    from tests import history_helpers as past
    from tests import retro_helpers as r
    from tests import slack_helpers as h
    from tests.test_action_items import OWNER, _action_dms, _item, _sweep
except ImportError:
    import history_helpers as past  # type: ignore[no-redef]
    import retro_helpers as r  # type: ignore[no-redef]
    import slack_helpers as h  # type: ignore[no-redef]
    from test_action_items import OWNER, _action_dms, _item, _sweep  # type: ignore[no-redef]

DUE = date(2026, 11, 2)
# name: (snoozed_until, reminded_on, done) → the next_remind_on 0011 gives it
STATES: dict[str, tuple[date | None, date | None, bool, date | None]] = {
    "new": (None, None, False, DUE),
    "reminded": (None, date(2026, 11, 9), False, date(2026, 11, 16)),
    "snoozed": (date(2026, 11, 12), date(2026, 11, 2), False, date(2026, 11, 12)),
    "done": (None, date(2026, 11, 2), True, None),
}


def test_migration_0011_fills_in_the_next_reminder_of_items_already_there(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)  # rows are written by today's models, then taken back to the schema under test
        incident = past.write(engine, past.Past("Wrong price in the welcome email"), index=False)
        with Store(engine).transaction(h.TEAM_ID) as repo:
            for name, (snoozed, reminded, done, _) in STATES.items():
                repo.session.add(
                    ActionItem(
                        team_id=h.TEAM_ID,
                        incident_id=incident,
                        text=name,
                        owner=OWNER,
                        due=DUE,
                        created_at=datetime(2026, 10, 30, tzinfo=UTC),
                        done_at=datetime(2026, 11, 3, tzinfo=UTC) if done else None,
                        snoozed_until=snoozed,
                        reminded_on=reminded,
                        next_remind_on=date(2030, 1, 1),  # what the migration must not keep
                    )
                )
        command.downgrade(alembic_config(engine), "0010")
        migrate(engine)
        with Store(engine).read(h.TEAM_ID) as repo:
            found = {item.text: item.next_remind_on for item in repo.session.exec(select(ActionItem))}
            assert found == {name: state[3] for name, state in STATES.items()}
            due = ActionItems(repo).due(date(2026, 11, 12))
            assert [item.text for item in due] == ["new", "snoozed"], "read in the order they came due"
        command.downgrade(alembic_config(engine), "0010")  # and back: the column and its index go
        migrate(engine)
    finally:
        engine.dispose()


def test_a_snooze_pressed_while_the_sweep_reminds_is_kept(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    due = r.tomorrow(bot)
    item = r.close_with_action(bot, due)
    clock = r.set_clock(bot, r.at_local(bot, due, 10))
    assert _sweep(bot) == 1
    [dm] = _action_dms(bot)
    week = due + timedelta(days=7)
    clock.now = r.at_local(bot, week, 10)
    # The sweep's read and its bookkeeping, with the owner's Snooze (over the wire) in between.
    with bot.runtime.store.read(h.TEAM_ID) as repo:
        assert [i.id for i in ActionItems(repo).due(week)] == [item.id]
    assert bot.driver.click(dm.channel, dm.ts, ids.ACTION_SNOOZE, user=OWNER).status == 200
    bot.settle()
    with bot.runtime.store.transaction(h.TEAM_ID) as repo:
        ActionItems(repo).reminded(item.id or 0, week)
    kept = _item(bot)
    assert kept.snoozed_until == kept.next_remind_on == week + timedelta(days=1)
    assert kept.reminded_on == week
    clock.now = r.at_local(bot, week + timedelta(days=1), 10)
    assert _sweep(bot) == 1, "reminded on the day it was snoozed to"
    assert _item(bot).next_remind_on == week + timedelta(days=8)


def test_an_item_done_while_the_sweep_reminds_is_not_due_again(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    due = r.tomorrow(bot)
    item = r.close_with_action(bot, due)
    clock = r.set_clock(bot, r.at_local(bot, due, 10))
    with bot.runtime.store.read(h.TEAM_ID) as repo:
        assert [i.id for i in ActionItems(repo).due(due)] == [item.id]
    actions.done(bot.runtime.deps.env(h.TEAM_ID), item.id or 0, OWNER)
    with bot.runtime.store.transaction(h.TEAM_ID) as repo:
        ActionItems(repo).reminded(item.id or 0, due)
    assert _item(bot).next_remind_on is None
    clock.now += timedelta(days=7)
    assert _sweep(bot) == 0


def _remind(bot: DemoBot, now: datetime) -> int:
    """The action items' sweeper alone, so a failure set on chat.postMessage is its post's."""
    return actions.remind_due(bot.runtime.deps.env(h.TEAM_ID), now)


def _run(bot: DemoBot) -> JobRun:
    [run] = [row for row in h.rows(bot, JobRun) if row.key.startswith("action-due:")]
    return run


def test_a_reminder_whose_post_failed_unsure_stays_due_until_it_is_sent(live_bot: DemoBot) -> None:
    bot = live_bot
    due = r.tomorrow(bot)
    r.close_with_action(bot, due)
    clock = r.set_clock(bot, r.at_local(bot, due, 9, 1))
    bot.emulator.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=False)
    assert _remind(bot, clock.now) == 0
    clock.now += timedelta(minutes=1)
    assert _remind(bot, clock.now) == 0, "the unsure run's key is still fresh"
    waiting = _item(bot)
    assert waiting.reminded_on is None and waiting.next_remind_on == due, "still due"
    assert _run(bot).finished_at is None and _action_dms(bot) == []
    clock.now += timedelta(minutes=6)
    assert _remind(bot, clock.now) == 1, "once stale, not found in the DM: sent"
    assert len(_action_dms(bot)) == 1 and _run(bot).finished_at is not None
    sent = _item(bot)
    assert sent.reminded_on == due and sent.next_remind_on == due + timedelta(days=7)
    clock.now += timedelta(minutes=10)
    assert _remind(bot, clock.now) == 0 and len(_action_dms(bot)) == 1


def test_a_reminder_posted_with_its_answer_lost_is_found_not_sent_twice(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    due = r.tomorrow(bot)
    r.close_with_action(bot, due)
    clock = r.set_clock(bot, r.at_local(bot, due, 9, 1))
    bot.emulator.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)
    assert _remind(bot, clock.now) == 0
    assert len(_action_dms(bot)) == 1 and _item(bot).next_remind_on == due
    clock.now += timedelta(minutes=6)
    assert _remind(bot, clock.now) == 0, "found in the owner's DM by its marker"
    assert len(_action_dms(bot)) == 1 and _run(bot).finished_at is not None
    assert _item(bot).next_remind_on == due + timedelta(days=7)
