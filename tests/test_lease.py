"""One process runs the reminders, however many `oops serve` processes share the database."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.config import AppConfig
from bot.demo import DemoBot
from bot.scheduling import ApsRetroScheduler, SchedulerLease, build_scheduler, jobs
from bot.scheduling.lease import FOLLOWS, LEASE_KEY, LOST, RUNS
from bot.store import make_engine, migrate
from bot.store.tables import DecisionLog
from slack_emulator import SlackEmulator
from tests import slack_helpers as h


def test_only_one_lease_at_a_time_and_it_passes_on_when_released(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    first, second = SchedulerLease(engine), SchedulerLease(make_engine(database_url))
    try:
        assert first.acquire() is True
        assert second.acquire() is False, "two processes would both run the reminders"
        assert first.acquire() is True, "the holder keeps its lease"
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()
        engine.dispose()


@pytest.fixture
def two_bots(config: AppConfig, database_url: str) -> Iterator[tuple[DemoBot, DemoBot]]:
    """Two bot processes' worth of runtime on one database and one Slack workspace."""
    with h.workspace_emulator(config) as emulator, ExitStack() as stack:
        leader = stack.enter_context(h.serve_bot(config, database_url, emulator))
        follower = stack.enter_context(h.serve_bot(config, database_url, emulator))
        yield leader, follower


def test_the_second_process_schedules_and_the_first_one_reminds_once(
    two_bots: tuple[DemoBot, DemoBot],
) -> None:
    leader, follower = two_bots
    assert leader.runtime.runs_reminders and not follower.runtime.runs_reminders
    # The whole incident is driven through the second process, as a load balancer might.
    incident_id = h.walk_to_retro_scheduled(follower)
    assert follower.runtime.retro_scheduler.scheduled(incident_id) is not None, "job not in the shared table"
    # One test process holds both runtimes, and the job handler is the last one's: use the leader's.
    jobs.set_handler("retro_reminder", leader.runtime.remind)
    h.fire_reminder(leader, incident_id)
    leader.settle()
    # In the thread; each person's direct message has the button too.
    reminders = [
        m
        for m in h.all_messages(leader.emulator)
        if h.has_element(m, h.ids.RETRO_START) and m.channel == h.INCIDENT_CHANNEL
    ]
    assert len(reminders) == 1
    with Session(leader.runtime.engine) as session:
        rows = session.exec(select(DecisionLog).where(DecisionLog.step == "retro_remind")).all()
    assert [r.choice for r in rows] == ["reminded"]


# APScheduler's last pass at shutdown, if it reads the shared table, ends its thread with a traceback.
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_follower_that_stops_leaves_due_reminders_alone(config: AppConfig, database_url: str) -> None:
    """Every process ends its scheduler with shutdown(); one that does not hold the lease must not
    touch the due jobs of the shared table then."""
    engine = make_engine(database_url)
    migrate(engine)
    holder = SchedulerLease(engine)
    try:
        assert holder.acquire()
        with h.workspace_emulator(config) as emulator:
            with h.serve_bot(config, database_url, emulator) as follower:
                assert not follower.runtime.runs_reminders
                incident_id = h.walk_to_retro_scheduled(follower)
                assert follower.runtime.retro_scheduler.run_now(incident_id), "no reminder job is stored"
            assert not h.shows(emulator, h.ids.RETRO_START), "a follower ran a reminder"
        assert f"retro-reminder-{incident_id}" in h.job_ids(engine), "the due reminder was lost"
    finally:
        holder.release()
        engine.dispose()


# ------------------------------------------------------------------------------------ losing the lease


def _holder_backends(database_url: str) -> list[int]:
    """PostgreSQL backends holding this schema's lease, read from pg_locks as an operator would."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(_HOLDERS)).scalars())
    finally:
        engine.dispose()


_HOLDERS = f"""
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 1
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND ((classid::bigint << 32) | objid::bigint) = ({LEASE_KEY})::bigint"""


def _take_lock_away(database_url: str) -> None:
    """What can end a lease while its holder lives: on PostgreSQL its lock connection drops (here the
    server is told to end that backend); on SQLite the lock file is deleted from under it."""
    if database_url.startswith("sqlite"):
        os.remove(database_url.split("///", 1)[1] + ".scheduler-lock")
        return
    holders = _holder_backends(database_url)
    assert len(holders) == 1, f"expected one lease holder, pg_locks shows {holders}"
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holders[0]}).scalar()
    finally:
        engine.dispose()


def test_a_holder_notices_when_its_lease_is_taken_from_under_it(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    holder, other = SchedulerLease(engine), SchedulerLease(make_engine(database_url))
    try:
        assert holder.acquire() is True
        assert holder.still_held() is True
        _take_lock_away(database_url)
        assert other.acquire() is True, "the lock should be free once its connection or file is gone"
        assert holder.still_held() is False, "the holder would go on running reminders beside the new one"
        assert holder.acquire() is False, "the former holder must become a follower"
        assert other.still_held() is True
    finally:
        holder.release()
        other.release()
        engine.dispose()


# ------------------------------------------------------------------------------- real processes failing

ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")
TAKEOVER_BOUND = 60.0  # the feature's promise: seconds from a holder's death to a reminder run elsewhere


class Served:
    """One `oops serve --http` process, its output collected line by line with arrival order kept."""

    def __init__(self, name: str, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.died_at: datetime | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return f"--- {self.name} ---\n" + "\n".join(self.lines[-60:])

    def saying(self, words: str) -> list[str]:
        return [line for line in list(self.lines) if words in line]

    def wait_for(self, words: str, deadline: float, count: int = 1) -> str:
        """The ``count``-th line containing ``words``; polls until ``deadline`` (time.monotonic)."""
        while time.monotonic() < deadline:
            found = self.saying(words)
            if len(found) >= count:
                return found[count - 1]
            assert self.process.poll() is None or len(self.saying(words)) >= count, (
                f"{self.name} exited\n{self.output()}"
            )
            time.sleep(0.1)
        pytest.fail(f"{self.name} never said {words!r} (x{count})\n{self.output()}")

    def kill9(self) -> None:
        self.process.kill()  # SIGKILL: no atexit, no release of anything
        self.process.wait(timeout=10)
        self.died_at = datetime.now()

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)


def _stamp(line: str) -> datetime:
    match = STAMP.match(line)
    assert match, f"log line without a time: {line!r}"
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")


def _leading_spans(served: Served) -> list[tuple[datetime, datetime | None]]:
    """When this process ran the reminders, from its own log lines: from RUNS to LOST (or its death)."""
    spans: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for line in list(served.lines):
        if RUNS in line:
            assert start is None, f"{served.name} said it runs the reminders twice in a row"
            start = _stamp(line)
        elif LOST in line:
            assert start is not None, f"{served.name} lost a lease it did not say it had"
            spans.append((start, _stamp(line)))
            start = None
    if start is not None:
        spans.append((start, served.died_at))
    return spans


def _assert_one_runner_at_a_time(*processes: Served) -> None:
    spans = sorted((s, e, p.name) for p in processes for s, e in _leading_spans(p))
    for (_, end, name), (next_start, _, next_name) in itertools.pairwise(spans):
        assert end is not None and end < next_start, (
            f"{name} and {next_name} ran the reminders at the same time: {spans}\n"
            + "\n".join(p.output() for p in processes)
        )


@pytest.fixture
def fleet(config: AppConfig, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    with h.workspace_emulator(config) as emulator:
        fleet = Fleet(config, database_url, emulator, tmp_path)
        try:
            yield fleet
        finally:
            fleet.end()


class Fleet:
    """Several `oops serve` processes on one database and one emulated Slack workspace."""

    def __init__(self, config: AppConfig, database_url: str, emulator: SlackEmulator, tmp_path: Path) -> None:
        self.config, self.database_url = config, database_url
        self.emulator, self.tmp_path = emulator, tmp_path
        self.processes: list[Served] = []

    def scheduled_incident(self) -> int:
        """An incident waiting for its retrospective reminder, walked through by a bot that then stops."""
        with h.serve_bot(self.config, self.database_url, self.emulator) as bot:
            incident_id = h.walk_to_retro_scheduled(bot)
        assert not h.shows(self.emulator, h.ids.RETRO_START), "the reminder is already out"
        return incident_id

    def serve(self, name: str) -> Served:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OOPS_"))}
        env.update(
            {
                "SLACK_BOT_TOKEN": self.emulator.bot_token,
                "SLACK_SIGNING_SECRET": "lease-test-signing-secret",
                "SLACK_API_URL": self.emulator.base_url,
                "OOPS_CONFIG": str(ROOT / "app.yaml"),
                "OOPS_DATABASE_URL": self.database_url,
                "OOPS_LEASE_SECONDS": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        served = Served(name, env, self.tmp_path)
        self.processes.append(served)
        return served

    def serve_two(self) -> tuple[Served, Served]:
        """Two processes started together; returned as (the one that took the lease, the other)."""
        processes = [self.serve("one"), self.serve("two")]
        deadline = time.monotonic() + 60
        roles: dict[str, Served] = {}
        while len(roles) < 2 and time.monotonic() < deadline:
            for served in processes:
                assert served.process.poll() is None, f"{served.name} exited\n{served.output()}"
                for role in (RUNS, FOLLOWS):
                    if served.saying(role) and served not in roles.values():
                        assert role not in roles, "both processes say the same about the lease"
                        roles[role] = served
            time.sleep(0.1)
        assert len(roles) == 2, "\n".join(p.output() for p in processes)
        roles[RUNS].name, roles[FOLLOWS].name = "first (holder)", "second (follower)"
        return roles[RUNS], roles[FOLLOWS]

    def make_due(self, incident_id: int) -> None:
        """Two working days pass: bring the stored reminder forward in the shared job table. The
        scheduler used for that is never let run a job, so only an `oops serve` process can run it."""
        engine = make_engine(self.database_url)
        scheduler = build_scheduler(engine)
        scheduler.start(paused=True)
        try:
            assert ApsRetroScheduler(scheduler).run_now(incident_id), "no reminder job is stored"
        finally:
            scheduler.shutdown(wait=False)
            engine.dispose()

    def wait_for_reminder(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        try:
            self.emulator.wait_for(lambda e: h.shows(e, h.ids.RETRO_START), timeout=max(remaining, 0.1))
        except TimeoutError:
            pytest.fail("no reminder was posted in time\n" + "\n".join(p.output() for p in self.processes))

    def reminders(self) -> tuple[int, list[str]]:
        posted = [  # in the thread; each person's direct message has the button too
            m
            for m in h.all_messages(self.emulator)
            if h.has_element(m, h.ids.RETRO_START) and m.channel == h.INCIDENT_CHANNEL
        ]
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                rows = session.exec(select(DecisionLog).where(DecisionLog.step == "retro_remind")).all()
        finally:
            engine.dispose()
        return len(posted), [r.choice for r in rows]

    def end(self) -> None:
        for served in self.processes:
            served.end()


RAN_REMINDER = 'Running job "retro_reminder'


def test_a_follower_runs_the_reminders_within_60_s_of_the_holder_being_killed(fleet: Fleet) -> None:
    incident_id = fleet.scheduled_incident()
    first, second = fleet.serve_two()

    first.kill9()
    deadline = time.monotonic() + TAKEOVER_BOUND
    fleet.make_due(incident_id)
    second.wait_for(RUNS, deadline)
    fleet.wait_for_reminder(deadline)

    assert second.saying(RAN_REMINDER), second.output()
    assert fleet.reminders() == (1, ["reminded"])
    _assert_one_runner_at_a_time(first, second)


def test_a_holder_that_loses_its_lock_stops_before_another_process_starts(fleet: Fleet) -> None:
    incident_id = fleet.scheduled_incident()
    first, second = fleet.serve_two()

    _take_lock_away(fleet.database_url)
    deadline = time.monotonic() + TAKEOVER_BOUND
    first.wait_for(LOST, deadline)
    # The reminder falls due now: the new holder runs it, the former one does not.
    fleet.make_due(incident_id)
    second.wait_for(RUNS, deadline)
    assert first.process.poll() is None, "losing the lease must not end the process"
    _assert_one_runner_at_a_time(first, second)
    fleet.wait_for_reminder(deadline)
    assert second.saying(RAN_REMINDER), second.output()
    assert not first.saying(RAN_REMINDER), first.output()
    assert fleet.reminders() == (1, ["reminded"])

    # The former holder became a follower that keeps trying: it takes over when the new one dies.
    assert len(first.saying(RUNS)) == 1, first.output()
    second.kill9()
    first.wait_for(RUNS, time.monotonic() + TAKEOVER_BOUND, count=2)
    _assert_one_runner_at_a_time(first, second)
