"""The minute sweep (issue 8): what one sweep costs when nothing is due, on a long history, beside its
floor in the same run (one indexed COUNT(*) of the incidents waiting for their retrospective).

The lease holder sweeps every minute, forever: its cost must not grow with the history. The history
is the weekly-summary bench's (bench/digest.py: three years of made-up incidents with action items,
watches and retrospectives), copied and put in its steady state: every open action item reminded
today, every watch asked. A sweep then reads what is due and finds nothing to post.

    python -m bench.sweep --size 10 --size 10000 --size 100000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bench._slack import SlackEmulator
from bench.digest import _config, _week_of, digest_database
from bench.history_data import END, TEAM_ID
from bench.search import percentile
from bot.runbook.weeks import Week
from bot.runtime import Secrets, build_runtime
from bot.store import make_engine, migrate
from bot.usecases import sweep

REPS = 30
SHORT = 90  # below this the search bench's generator cannot plant its targets: a week is written
NOW = END + timedelta(days=2, hours=3)  # a working day after the history ends, mid-morning


@dataclass
class SweepRun:
    size: int
    sweep: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    open_items: int = 0
    waiting: int = 0

    def ratio(self) -> float | None:
        base = percentile(self.floor, 50)
        return percentile(self.sweep, 50) / base if base else None


def _steady(url: str) -> tuple[int, int]:
    """Everything already reminded or asked: a sweep finds nothing to post, as most minutes."""
    engine = make_engine(url)
    config = _config()
    try:
        with engine.begin() as conn:
            day = NOW.astimezone(config.team.tz).date()  # NOW is after action_items.remind_at
            remind = text(
                "UPDATE action_item SET reminded_on = :day, snoozed_until = NULL, next_remind_on = :next"
                " WHERE done_at IS NULL"
            )
            conn.execute(remind, {"day": day, "next": day + timedelta(days=7)})
            conn.execute(text("UPDATE incident_watch SET asked_at = due_at WHERE asked_at IS NULL"))
            open_items = conn.execute(text("SELECT count(*) FROM action_item WHERE done_at IS NULL")).scalar()
            waiting = conn.execute(
                text("SELECT count(*) FROM incident WHERE status IN ('retro_scheduled', 'retro_due')")
            ).scalar()
    finally:
        engine.dispose()
    return int(open_items or 0), int(waiting or 0)


def _short(url: str, size: int) -> None:
    """A history too short for the search bench's generator: ``size`` incidents of last week."""
    engine = make_engine(url)
    try:
        migrate(engine, TEAM_ID)
        _week_of(engine, Week.of(NOW.date()).shift(-1), size, _config())
    finally:
        engine.dispose()


def measure(size: int, reps: int = REPS) -> SweepRun:
    run = SweepRun(size)
    with tempfile.TemporaryDirectory(prefix="oops-bench-sweep-") as tmp:
        path = Path(tmp) / "sweep.db"
        url = f"sqlite:///{path}"
        if size < SHORT:
            _short(url, size)
        else:
            shutil.copyfile(digest_database(size)[0].removeprefix("sqlite:///"), path)
        run.open_items, run.waiting = _steady(url)
        with SlackEmulator(channels={"C0OOPS": "oops", "C0WEEKLY": "oops-weekly"}) as emulator:
            secrets = Secrets(emulator.bot_token, None, None, emulator.base_url)
            config = _config().model_copy(update={"database_url": url})
            runtime = build_runtime(config, secrets, clock=lambda: NOW)
            try:
                sweep.sweep(runtime.deps, [TEAM_ID])  # warm: caches, first connections
                for _ in range(reps):
                    started = time.perf_counter()
                    with runtime.store.read(TEAM_ID) as repo:
                        repo.session.execute(
                            text(
                                "SELECT count(*) FROM incident WHERE team_id = :team AND status = 'retro_due'"
                            ),
                            {"team": TEAM_ID},
                        ).scalar()
                    run.floor.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    posted = sweep.sweep(runtime.deps, [TEAM_ID])
                    run.sweep.append(time.perf_counter() - started)
                    if any(posted.values()):
                        raise RuntimeError(f"the steady-state sweep posted something: {posted}")
            finally:
                runtime.engine.dispose()
    return run


def lines(runs: Sequence[SweepRun]) -> list[str]:
    out = [
        "| incidents | open action items | retros waiting | sweep p50 | p95 | floor p50 | ratio p50 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        ratio = r.ratio()
        out.append(
            f"| {r.size:,} | {r.open_items:,} | {r.waiting:,} | {percentile(r.sweep, 50) * 1000:.2f} ms"
            f" | {percentile(r.sweep, 95) * 1000:.2f} ms | {percentile(r.floor, 50) * 1000:.3f} ms"
            f" | {ratio:.1f}× |"
            if ratio
            else f"| {r.size:,} | – | – | – | – | – | – |"
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    from bench.machine import describe_machine

    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, action="append", help="incidents (repeat for several)")
    args = parser.parse_args(argv)
    runs = [measure(n) for n in (args.size or [10, 10_000])]
    print(describe_machine().line())
    for line in lines(runs):
        print(line)
    mean = statistics.fmean(percentile(r.sweep, 50) for r in runs)
    print(f"\nmean sweep p50 over the sizes: {mean * 1000:.2f} ms")


if __name__ == "__main__":
    main()
