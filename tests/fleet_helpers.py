"""Several real `oops serve` processes on one database and one emulated workspace: started, killed
with SIGKILL, and read through their log lines (the lease tests and the weekly-summary fleet test)."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.config import AppConfig
from bot.scheduling import ApsRetroScheduler, build_scheduler
from bot.scheduling.lease import FOLLOWS, LOST, RUNS
from bot.store import make_engine
from bot.store.tables import DecisionLog
from slack_emulator import SlackEmulator

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]

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


def stamp(line: str) -> datetime:
    match = STAMP.match(line)
    assert match, f"log line without a time: {line!r}"
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")


def leading_spans(served: Served) -> list[tuple[datetime, datetime | None]]:
    """When this process ran the reminders, from its own log lines: from RUNS to LOST (or its death)."""
    spans: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    for line in list(served.lines):
        if RUNS in line:
            assert start is None, f"{served.name} said it runs the reminders twice in a row"
            start = stamp(line)
        elif LOST in line:
            assert start is not None, f"{served.name} lost a lease it did not say it had"
            spans.append((start, stamp(line)))
            start = None
    if start is not None:
        spans.append((start, served.died_at))
    return spans


def assert_one_runner_at_a_time(*processes: Served) -> None:
    spans = sorted((s, e, p.name) for p in processes for s, e in leading_spans(p))
    for (_, end, name), (next_start, _, next_name) in itertools.pairwise(spans):
        assert end is not None and end < next_start, (
            f"{name} and {next_name} ran the reminders at the same time: {spans}\n"
            + "\n".join(p.output() for p in processes)
        )


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
