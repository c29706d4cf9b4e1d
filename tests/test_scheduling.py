"""The retrospective reminder: stored in the bot's database, so it survives a restart, fires on demand,
can be cancelled, and is posted once however many times it fires."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, text

from bot.demo import ANSWERS, DETAILS, INCIDENT_CHANNEL, SUMMARY, DemoBot
from bot.runbook.incident import Status, Step
from bot.runbook.model import Decision
from bot.scheduling import ApsRetroScheduler, build_scheduler, jobs
from bot.slack import ids
from bot.store import make_engine, migrate
from bot.usecases import decide, queries, report, retrospective

REPORTER, DECIDER = "U0AILSA", "U0MARC"


@dataclass
class Recorder:
    calls: list[int] = field(default_factory=list)
    fired: threading.Event = field(default_factory=threading.Event)

    def __call__(self, incident_id: int) -> None:
        self.calls.append(incident_id)
        self.fired.set()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """Record reminder calls; put back whatever handler the process had (a running bot's) afterwards."""
    saved = dict(jobs._handlers)
    recorder = Recorder()
    jobs.set_handler("retro_reminder", recorder)
    yield recorder
    jobs._handlers.clear()
    jobs._handlers.update(saved)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _started(engine: Engine, *, paused: bool = False) -> BackgroundScheduler:
    scheduler = build_scheduler(engine)
    scheduler.start(paused=paused)
    return scheduler


def _job_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id")).scalars())


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


# the job store -------------------------------------------------------------------------------------


def test_a_reminder_survives_a_restart(sqlite_url: str, recorder: Recorder) -> None:
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    first_engine = make_engine(sqlite_url)
    migrate(first_engine)
    first = _started(first_engine)
    ApsRetroScheduler(first).schedule(7, when)
    assert ApsRetroScheduler(first).scheduled(7) == when
    first.shutdown(wait=True)
    first_engine.dispose()

    # A new process: a new engine and a new scheduler on the same file.
    second_engine = make_engine(sqlite_url)
    second = _started(second_engine)
    try:
        retro = ApsRetroScheduler(second)
        assert retro.scheduled(7) == when
        assert _job_rows(second_engine) == ["retro-reminder-7"]
        # ...and it still runs there: the stored job names a function the new process can import.
        assert retro.run_now(7) is True
        assert recorder.fired.wait(10), "the reminder stored before the restart did not fire"
        assert recorder.calls == [7]
        # Let the scheduler finish with the job (it removes a date job after handing it over) before
        # shutting down: APScheduler cannot remove a job from a stopped scheduler.
        assert _wait(lambda: _job_rows(second_engine) == [])
    finally:
        second.shutdown(wait=True)
        second_engine.dispose()


def test_run_now_fires_the_job_once(engine: Engine, recorder: Recorder) -> None:
    scheduler = _started(engine)
    retro = ApsRetroScheduler(scheduler)
    try:
        retro.schedule(3, datetime.now(UTC) + timedelta(days=1))
        assert recorder.calls == []
        assert retro.run_now(3) is True
        assert recorder.fired.wait(10), "run_now did not make the reminder fire"
        assert recorder.calls == [3]
        # A date job runs once and then leaves the store.
        assert _wait(lambda: retro.scheduled(3) is None)
        assert _job_rows(engine) == []
        assert retro.run_now(3) is False
        time.sleep(0.2)
        assert recorder.calls == [3]
    finally:
        scheduler.shutdown(wait=True)


def test_run_now_without_a_job_says_so(engine: Engine, recorder: Recorder) -> None:
    scheduler = _started(engine)
    try:
        assert ApsRetroScheduler(scheduler).run_now(404) is False
        assert not recorder.fired.wait(0.3)
    finally:
        scheduler.shutdown(wait=True)


def test_cancel_removes_the_job(engine: Engine, recorder: Recorder) -> None:
    scheduler = _started(engine)
    retro = ApsRetroScheduler(scheduler)
    try:
        when = datetime.now(UTC) + timedelta(hours=5)
        retro.schedule(11, when)
        retro.schedule(12, when)
        assert _job_rows(engine) == ["retro-reminder-11", "retro-reminder-12"]
        retro.cancel(11)
        assert retro.scheduled(11) is None
        assert retro.scheduled(12) is not None
        assert _job_rows(engine) == ["retro-reminder-12"]
        retro.cancel(11)  # cancelling twice, or a job that never was, is not an error
        retro.cancel(999)
        assert retro.run_now(11) is False
        assert not recorder.fired.wait(0.3)
    finally:
        scheduler.shutdown(wait=True)


def test_rescheduling_replaces_the_job(engine: Engine, recorder: Recorder) -> None:
    scheduler = _started(engine)
    retro = ApsRetroScheduler(scheduler)
    try:
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        retro.schedule(5, first)
        retro.schedule(5, first + timedelta(hours=3))
        assert _job_rows(engine) == ["retro-reminder-5"]
        assert retro.scheduled(5) == first + timedelta(hours=3)
    finally:
        scheduler.shutdown(wait=True)


def test_a_reminder_that_fires_before_the_bot_is_wired_is_logged_not_lost_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    saved = dict(jobs._handlers)
    jobs._handlers.clear()
    try:
        with caplog.at_level(logging.ERROR, logger=jobs.__name__):
            jobs.retro_reminder(9)
        assert "OOPS-9" in caplog.text
    finally:
        jobs._handlers.update(saved)


# one reminder, however many times it fires -----------------------------------------------------------


def _retro_scheduled_incident(bot: DemoBot) -> int:
    env = bot.runtime.env()
    valid, errors = report.validate_report(bot.runtime.runbooks, "email-campaign", SUMMARY, DETAILS, ANSWERS)
    assert valid is not None, errors
    snap = report.open_incident(env, valid, REPORTER, INCIDENT_CHANNEL, "test:report")
    decide.decide(env, snap.id, Decision.no_action, DECIDER, "test:decide", note="Nobody noticed.")
    retrospective.schedule(env, snap.id, datetime.now(UTC) + timedelta(days=2), DECIDER, "test:schedule")
    assert queries.snapshot(env, snap.id).status is Status.RETRO_SCHEDULED
    return snap.id


def _reminders(bot: DemoBot) -> int:
    posted = [
        call
        for call in bot.emulator.calls_to("chat.postMessage")
        # In the thread: each person's direct message has the button too.
        if call.args.get("channel") == INCIDENT_CHANNEL
        and (
            any(
                element.get("action_id") == ids.RETRO_START
                for block in (call.args.get("blocks") or [])
                if isinstance(block, dict)
                for element in block.get("elements", [])
            )
            or "time for the retrospective" in (call.args.get("text") or "")
        )
    ]
    return len(posted)


def test_two_reminders_at_once_post_one(live_bot: DemoBot) -> None:
    bot = live_bot
    incident_id = _retro_scheduled_incident(bot)
    assert _reminders(bot) == 0
    barrier = threading.Barrier(2, timeout=10)
    results: list[bool] = []
    errors: list[BaseException] = []

    def remind() -> None:
        try:
            barrier.wait()
            results.append(bot.runtime.remind(incident_id))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=remind) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False, True], results
    bot.settle()

    assert _reminders(bot) == 1
    log = queries.decision_log(bot.runtime.env(), incident_id)
    assert [row.step for row in log].count(Step.RETRO_REMIND) == 1
    snap = queries.snapshot(bot.runtime.env(), incident_id)
    assert snap.status is Status.RETRO_DUE
    # A late third firing (the stored job, say) changes nothing either.
    assert bot.runtime.remind(incident_id) is False
    assert _reminders(bot) == 1
