"""The weekly summary over the wire: the real bot against the Slack emulator, with a clock the test
moves. A week of known incidents (tests/weekly_helpers.py) gives known figures on SQLite and
PostgreSQL; the scheduled job posts once per week, late and saying so after downtime; an empty week
gets a cheerful post; `/oops weekly` answers the person only, and opens no form."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent

import tests.slack_helpers as h
from bot.config import AppConfig
from bot.demo import DemoBot
from bot.runbook.weeks import Week
from bot.scheduling import weekly_job_id
from bot.slack.messenger import EVENT_TYPE
from bot.slack.views import validate_message
from bot.slack.views.digest import weekly_message
from bot.store.runs import Runs
from bot.usecases import digest
from bot.usecases.once import STALE
from bot.usecases.ports import Undelivered
from bot.weekly import Count, WeeklySummary, sparkline
from slack_emulator import Message, SlackEmulator
from tests.weekly_helpers import DUE, WEEK, write_history

DIGEST_ID = "C0WEEKLY"


class Clock:
    """The bot's clock (Deps.clock), moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _emulator(config: AppConfig) -> SlackEmulator:
    channels = {h.INCIDENT_CHANNEL: "oops", DIGEST_ID: "oops-weekly"}
    for dept in config.departments.values():
        name = dept.channel.lstrip("#")
        channels.setdefault(f"C0{name.upper()[:8]}", name)
    return SlackEmulator(channels=channels, users={h.REPORTER: "ailsa", h.DECIDER: "marc", h.REVIEWER: "jo"})


@pytest.fixture
def clock() -> Clock:
    return Clock(DUE + timedelta(minutes=1))


def _bot(config: AppConfig, url: str, clock: Clock) -> Iterator[DemoBot]:
    assert config.digest_channel == "#oops-weekly"  # app.yaml's, which the emulator knows by name
    with _emulator(config) as emulator, h.serve_bot(config, url, emulator) as bot:
        bot.runtime.deps.clock = clock
        yield bot


@pytest.fixture
def weekly_bot(config: AppConfig, database_url: str, clock: Clock) -> Iterator[DemoBot]:
    yield from _bot(config, database_url, clock)


@pytest.fixture
def weekly_sqlite_bot(config: AppConfig, sqlite_url: str, clock: Clock) -> Iterator[DemoBot]:
    yield from _bot(config, sqlite_url, clock)


def _posts(bot: DemoBot) -> list[Message]:
    return bot.emulator.messages(DIGEST_ID)


def _text(message: object) -> str:
    return h.blocks_text(message)


def test_a_week_of_known_incidents_has_its_figures(weekly_bot: DemoBot) -> None:
    bot = weekly_bot
    write_history(bot.runtime.engine)
    summary = digest.summarize(bot.runtime.env(), Week.parse(WEEK), DUE)
    assert summary.mistakes == 4
    assert [(c.key, c.count) for c in summary.by_scale] == [("huge", 1), ("big", 1), ("small", 2)]
    assert [(c.label, c.count) for c in summary.by_runbook] == [
        ("Something else went wrong", 2),
        ("Email campaign gone wrong", 1),
        ("Wrong price or discount", 1),
    ]
    assert {c.key: c.count for c in summary.decisions} == {"correct": 1, "make_it_big": 1, "no_action": 1}
    assert summary.people_affected == 100 + 27463 + 10 + 5
    assert summary.money_at_stake == 250.5 and summary.money_text == "£250.50"
    # Decided in the week: 30 min, 2 h, 10 h (an incident of the week before). Approved: 90 min, 11 h.
    assert (summary.to_decision, summary.decided) == (timedelta(hours=2), 3)
    assert (summary.to_apology, summary.approved) == (timedelta(hours=6, minutes=15), 2)
    assert (summary.retros_held, summary.retros_overdue, summary.retros_coming) == (2, 1, 1)
    assert (summary.actions_done, summary.actions_overdue) == (1, 1)
    assert summary.checklist_new == 3
    assert (summary.watched, summary.complaints, summary.unsubscribes, summary.replies) == (2, 7, 10, 2)
    assert [(c.key, c.count) for c in summary.recurring_causes] == [("process", 3)]
    assert [(c.key, c.count) for c in summary.earlier] == [
        ("2026-W43", 3),
        ("2026-W44", 0),
        ("2026-W45", 1),
        ("2026-W46", 2),
    ]
    assert summary.trend == "▆▁▃▅█"

    assert bot.runtime.weekly(h.TEAM_ID) is True  # the job's body, a minute after it fell due
    (post,) = _posts(bot)
    validate_message(post.blocks, post.text)
    text = _text(post)
    for shown in (
        "Weekly summary 2026-W47 · 16–22 Nov 2026",
        "4 mistakes · by scale: huge 1 · big 1 · small 2",
        "Correct it 1 · Make it big 1 · No action 1",
        "27,578 people affected · £250.50 at stake",
        "median 2 h 00 min from /oops to decision (3 decisions)",
        "6 h 15 min to an approved apology (2 apologies)",
        "2 held · 1 overdue · 1 in the next 7 days",
        "1 done this week · 1 open and overdue",
        "7 complaints · 10 unsubscribes · 2 replies",
        "process 3",
        "▆▁▃▅█  4 this week, more than the average of the 4 weeks before (3, 0, 1, 2)",
    ):
        assert shown in text, shown
    assert "Posted late" not in text
    assert post.metadata["event_type"] == EVENT_TYPE
    assert post.metadata["event_payload"] == {"incident": 0, "part": "weekly:2026-W47"}


def test_running_the_job_twice_posts_once(weekly_sqlite_bot: DemoBot, clock: Clock) -> None:
    bot = weekly_sqlite_bot
    assert bot.runtime.weekly(h.TEAM_ID) is True
    clock.now += timedelta(minutes=5)
    assert bot.runtime.weekly(h.TEAM_ID) is False
    assert len(_posts(bot)) == 1
    # The next week's run posts the next week.
    clock.now += timedelta(days=7)
    assert bot.runtime.weekly(h.TEAM_ID) is True
    assert [p.metadata["event_payload"]["part"] for p in _posts(bot)] == [
        "weekly:2026-W47",
        "weekly:2026-W48",
    ]


def test_a_run_that_failed_is_finished_by_the_sweep_once_stale(
    weekly_sqlite_bot: DemoBot, clock: Clock
) -> None:
    """The cron job runs once a week: when Slack refuses its post, or answers 500, the minute sweep
    tries again once the run is stale (not every minute), and the week is posted once."""
    bot, emu = weekly_sqlite_bot, weekly_sqlite_bot.emulator
    emu.fail_next("chat.postMessage", status=200, error="not_in_channel")
    with pytest.raises(Undelivered):
        bot.runtime.weekly(h.TEAM_ID)
    assert _posts(bot) == []
    clock.now += timedelta(minutes=1)
    assert bot.runtime.sweep().get("weekly") == 0, "not every minute"
    emu.fail_next("chat.postMessage", status=500, error="internal_error")
    clock.now += STALE + timedelta(seconds=1)
    assert bot.runtime.sweep().get("weekly") == 0 and _posts(bot) == []  # the 500: not posted
    clock.now += STALE + timedelta(seconds=1)
    assert bot.runtime.sweep().get("weekly") == 1
    clock.now += STALE + timedelta(seconds=1)
    assert bot.runtime.sweep().get("weekly") == 0
    assert bot.runtime.weekly(h.TEAM_ID) is False
    assert [p.metadata["event_payload"]["part"] for p in _posts(bot)] == ["weekly:2026-W47"]


def test_an_empty_week_gets_a_short_cheerful_post(weekly_sqlite_bot: DemoBot) -> None:
    bot = weekly_sqlite_bot
    assert bot.runtime.weekly(h.TEAM_ID) is True
    (post,) = _posts(bot)
    validate_message(post.blocks, post.text)
    assert "No mistakes reported in 2026-W47 (16–22 Nov 2026)" in post.text
    assert "well done" in post.text
    assert "by scale" not in _text(post)
    assert len(post.blocks) <= 5


def test_a_summary_missed_during_a_day_of_downtime_is_posted_once_late(
    weekly_sqlite_bot: DemoBot, clock: Clock
) -> None:
    """The bot was down on Monday; it comes back on Tuesday and its stored weekly job, overdue, runs
    at once (APScheduler: misfire grace None, coalesced into one run); a second run posts nothing."""
    bot = weekly_sqlite_bot
    write_history(bot.runtime.engine)
    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 10:00 London
    outcome = _run_weekly_job(bot, h.TEAM_ID)
    assert outcome.exception is None, repr(outcome.exception)
    (post,) = _posts(bot)
    expected = (
        "Posted late: the bot was not running on Monday 09:00; this covers week 2026-W47, 16–22 Nov 2026."
    )
    assert expected in _text(post)
    assert "4 mistakes" in _text(post)
    clock.now += timedelta(hours=3)
    assert _run_weekly_job(bot, h.TEAM_ID).exception is None
    assert len(_posts(bot)) == 1


def test_weeks_an_outage_skipped_are_posted_oldest_first_once_each(
    weekly_sqlite_bot: DemoBot, clock: Clock
) -> None:
    """W47 was posted; the bot was then down for two Mondays. Back on a Wednesday, its one coalesced
    run posts W48 and W49, each saying it is late and which week it covers; nothing twice after."""
    bot = weekly_sqlite_bot
    assert bot.runtime.weekly(h.TEAM_ID) is True  # W47, on time
    clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # Wednesday of W50
    assert bot.runtime.weekly(h.TEAM_ID) is True
    parts = [p.metadata["event_payload"]["part"] for p in _posts(bot)]
    assert parts == ["weekly:2026-W47", "weekly:2026-W48", "weekly:2026-W49"]
    assert "this covers week 2026-W48, 23–29 Nov 2026" in _text(_posts(bot)[1])
    assert "this covers week 2026-W49, 30 Nov – 6 Dec 2026" in _text(_posts(bot)[2])
    assert "Posted late: the bot was not running on Monday 09:00" in _text(_posts(bot)[1])
    assert bot.runtime.weekly(h.TEAM_ID) is False and len(_posts(bot)) == 3


def test_a_new_workspace_gets_only_the_week_due_not_a_month_of_them(
    weekly_sqlite_bot: DemoBot, clock: Clock
) -> None:
    bot = weekly_sqlite_bot
    clock.now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    assert bot.runtime.weekly(h.TEAM_ID) is True
    assert [p.metadata["event_payload"]["part"] for p in _posts(bot)] == ["weekly:2026-W49"]


def _run_weekly_job(bot: DemoBot, team: str) -> JobExecutionEvent:
    """Bring the stored weekly job forward to a moment that has passed (as after downtime) and wait
    for the scheduler to run it (its job-executed event: a public APScheduler hook)."""
    scheduler = bot.runtime.scheduler
    job = scheduler.get_job(weekly_job_id(team))
    assert job is not None, "the lease holder installed no weekly job"
    outcomes: list[JobExecutionEvent] = []
    finished = threading.Event()

    def on_job(event: JobExecutionEvent) -> None:
        if event.job_id == job.id:
            outcomes.append(event)
            finished.set()

    scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        job.modify(next_run_time=datetime.now(UTC) - timedelta(days=1))
        scheduler.wakeup()
        assert finished.wait(timeout=15), "the weekly job did not run"
    finally:
        scheduler.remove_listener(on_job)
    return outcomes[0]


def test_nothing_is_posted_when_turned_off_or_without_a_channel(
    weekly_sqlite_bot: DemoBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = weekly_sqlite_bot
    config = bot.runtime.deps.config
    caplog.set_level(logging.INFO, logger="bot.usecases.digest")
    try:
        off = config.weekly_summary.model_copy(update={"enabled": False})
        bot.runtime.deps.config = config.model_copy(update={"weekly_summary": off})
        assert bot.runtime.weekly(h.TEAM_ID) is False
        bot.runtime.deps.config = config.model_copy(update={"digest_channel": None})
        assert bot.runtime.weekly(h.TEAM_ID) is False
    finally:
        bot.runtime.deps.config = config
    assert not _posts(bot)
    assert "turned off in app.yaml" in caplog.text and "no digest_channel in app.yaml" in caplog.text
    assert bot.runtime.weekly(h.TEAM_ID) is True  # and the week is still owed once it is on


def _ask(bot: DemoBot, text: str) -> list[object]:
    start, views = len(bot.emulator.ephemerals), len(bot.emulator.opened_views)
    response = bot.driver.slash("/oops", text, user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
    assert response.status == 200, response.body_text
    bot.settle()
    assert len(bot.emulator.opened_views) == views, "/oops weekly opened a form"
    return [e for e in bot.emulator.ephemerals[start:] if e.user == h.REPORTER]


def test_oops_weekly_shows_the_summary_to_the_person_only(weekly_sqlite_bot: DemoBot) -> None:
    bot = weekly_sqlite_bot
    write_history(bot.runtime.engine)
    (answer,) = _ask(bot, "weekly")  # the last complete week, by the bot's clock: 2026-W47
    validate_message(answer.blocks, answer.text)  # type: ignore[attr-defined]
    assert "Weekly summary 2026-W47" in _text(answer) and "4 mistakes" in _text(answer)
    (older,) = _ask(bot, "weekly 2026-W43")
    assert "Weekly summary 2026-W43 · 19–25 Oct 2026" in _text(older) and "3 mistakes" in _text(older)
    (bad,) = _ask(bot, "weekly 2026-W60")
    assert "2026 has no week 60" in _text(bad) and "/oops weekly" in _text(bad)
    assert not _posts(bot), "nothing goes to the digest channel"
    # Help names the command; a report that merely starts with the word still opens the form.
    assert "/oops weekly" in bot.driver.slash("/oops", "help").body_text
    views = len(bot.emulator.opened_views)
    bot.driver.slash("/oops", "weekly newsletter", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
    bot.settle()
    assert len(bot.emulator.opened_views) == views + 1


def test_sparkline_scales_to_the_largest_week() -> None:
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([1, 8]) == "▂█"
    assert sparkline([]) == ""


def test_the_longest_summary_fits_slacks_limits() -> None:
    many = tuple(Count(f"k{i}", "A very long runbook name " * 4, 10_000 + i) for i in range(200))
    summary = WeeklySummary(
        team="T" * 80,
        week="2026-W47",
        span="16–22 Nov 2026",
        mistakes=10**9,
        by_scale=many,
        by_runbook=many,
        decisions=many,
        people_affected=10**12,
        money_at_stake=10.0**12,
        money_text="£1,000,000,000,000",
        to_decision=timedelta(days=400),
        decided=10**6,
        to_apology=timedelta(minutes=3),
        approved=1,
        retros_held=1,
        retros_overdue=2,
        retros_coming=3,
        actions_done=4,
        actions_overdue=5,
        checklist_new=6,
        watched=7,
        complaints=8,
        unsubscribes=9,
        replies=10,
        recurring_causes=many,
        earlier=many[:4],
        late="Posted late: " + "x" * 5000,
    )
    text, blocks = weekly_message(summary)
    validate_message(blocks, text)


def test_two_processes_on_one_database_post_one_summary(
    config: AppConfig, database_url: str, clock: Clock
) -> None:
    """Two `oops serve` processes (here two whole bots on one database and one workspace) run the
    weekly job at the same moment, as after a double start: one summary is posted, not two."""
    with (
        _emulator(config) as emulator,
        h.serve_bot(config, database_url, emulator) as first,
        h.serve_bot(config, database_url, emulator) as second,
    ):
        first.runtime.deps.clock = second.runtime.deps.clock = clock
        barrier = threading.Barrier(2)
        posted: list[bool] = []

        def run(bot: DemoBot) -> None:
            barrier.wait()
            posted.append(bot.runtime.weekly(h.TEAM_ID))

        threads = [threading.Thread(target=run, args=(bot,)) for bot in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(posted) == [False, True]
        assert len(emulator.messages(DIGEST_ID)) == 1


def test_a_run_that_died_mid_post_is_found_in_slack_not_posted_again(
    weekly_sqlite_bot: DemoBot, clock: Clock
) -> None:
    """A process recorded the week's run, posted, and died before noting it (kill -9): the next run,
    once that record is stale, finds the post by its marker in the channel and posts nothing. A run
    that died before posting leaves nothing to find: the next run posts it, once."""
    bot = weekly_sqlite_bot
    env = bot.runtime.env()
    week = Week.parse(WEEK)
    digest.post_week(env, week)  # the post the dead run made
    _dead_run(bot, "weekly:2026-W47", clock.now - timedelta(minutes=10))
    assert bot.runtime.weekly(h.TEAM_ID) is False
    assert len(_posts(bot)) == 1
    with bot.runtime.store.read(h.TEAM_ID) as repo:
        row = Runs(repo).get("weekly:2026-W47")
        assert row is not None and row.finished_at is not None and row.ref.endswith(_posts(bot)[0].ts)

    clock.now += timedelta(days=7)
    _dead_run(bot, "weekly:2026-W48", clock.now - timedelta(minutes=1))
    assert bot.runtime.weekly(h.TEAM_ID) is False  # not stale yet: it may still be posting
    clock.now += timedelta(minutes=10)
    assert bot.runtime.weekly(h.TEAM_ID) is True
    assert bot.runtime.weekly(h.TEAM_ID) is False
    assert len(_posts(bot)) == 2


def _dead_run(bot: DemoBot, key: str, started: datetime) -> None:
    with bot.runtime.store.transaction(h.TEAM_ID) as repo:
        assert Runs(repo).claim(key, started).fresh
