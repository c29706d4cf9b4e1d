"""The weekly summary bench (issue 8): how long the summary of one week takes to compute in a long
history, beside its floor in the same run (one indexed COUNT(*) of that week's incidents), and how
long posting the summary of a week of 500 incidents takes through the Slack emulator, beside a bare
chat.postMessage.

The history is the search bench's (bench/search_build.py, three years of made-up incidents, cached
in .bench-cache/), copied and filled in with what the summary reads and the search bench leaves
empty: answers with people and money, an approved apology per decided incident, watch figures,
action items, causes. The copy is cached too. SQLite only: the embedded default the target is for.

    python -m bench.digest --size 10000 --size 100000
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from bench.history_data import END, SEED, TEAM_ID
from bench.search import percentile
from bench.search_build import CACHE, cache_key, sqlite_database
from bot.config import AppConfig, load_config
from bot.runbook import load_runbooks
from bot.runbook.weeks import Week
from bot.store import Store, make_engine, migrate
from bot.store.digest import DigestRows
from bot.store.tables import Incident
from bot.usecases.digest import summarize_in

ROOT = Path(__file__).resolve().parent.parent
WEEKS = 6  # the last complete weeks of the history, each summarised REPS times
REPS = 3
POST_WEEK_SIZE = 500
POST_REPS = 10
DIGEST_CHANNEL = "C0WEEKLY"


def _at(column: str, shift: str) -> str:
    """SQLite's date arithmetic, written as SQLAlchemy writes times there (microseconds included), so
    range comparisons on the text agree with the bot's own rows."""
    return f"(strftime('%Y-%m-%d %H:%M:%f', {column}, '{shift}') || '000')"


# What the summary reads and the search bench's history leaves empty (SQLite's own SQL, on a copy).
_FILL = (
    "UPDATE incident SET answers = json_object("
    "'people_affected', id % 5000, 'money_at_stake', (id % 300) * 1.5)",
    "UPDATE retrospective SET cause = CASE id % 5 WHEN 0 THEN 'process' WHEN 1 THEN 'communication' "
    "WHEN 2 THEN 'tooling' WHEN 3 THEN 'human_slip' ELSE 'third_party' END",
    "INSERT INTO draft (team_id, incident_id, version, subject, body, author, source, approved_by,"
    " approved_at, created_at) SELECT team_id, id, 1, 'Sorry', 'We are sorry.', 'oops', 'template',"
    f" decided_by, {_at('decided_at', '+50 minutes')}, {_at('decided_at', '+10 minutes')}"
    " FROM incident WHERE decided_at IS NOT NULL AND decision != 'no_action'",
    "INSERT INTO incident_watch (incident_id, team_id, due_at, asked_at, complaints, unsubscribes,"
    f" replies, recorded_by, recorded_at) SELECT id, team_id, {_at('decided_at', '+1 day')},"
    f" {_at('decided_at', '+1 day')}, id % 7, id % 11, id % 5, reporter, {_at('decided_at', '+26 hours')}"
    " FROM incident WHERE decided_at IS NOT NULL AND decision != 'no_action'",
    "INSERT INTO action_item (team_id, incident_id, text, owner, due, created_by, created_at, done_at,"
    " done_by) SELECT team_id, id, 'Fix it', reporter, date(created_at, '+14 days'), reporter, created_at,"
    f" CASE WHEN id % 5 = 0 THEN NULL ELSE {_at('created_at', '+10 days')} END,"
    " CASE WHEN id % 5 = 0 THEN NULL ELSE reporter END FROM incident WHERE status = 'closed'",
)


@dataclass
class DigestRun:
    size: int
    cached: bool = False
    build_seconds: float = 0.0
    per_week: float = 0.0  # incidents in a measured week, on average
    summary: list[float] = field(default_factory=list)  # seconds per summary
    floor: list[float] = field(default_factory=list)  # seconds per COUNT(*) of the week

    def ratio(self) -> float | None:
        s, f = percentile(self.summary, 50), percentile(self.floor, 50)
        return s / f if s and f else None


@dataclass
class PostRun:
    incidents: int
    post: list[float] = field(default_factory=list)  # seconds: compute, draw and post the summary
    bare: list[float] = field(default_factory=list)  # seconds: a bare chat.postMessage

    def ratio(self) -> float | None:
        p, b = percentile(self.post, 50), percentile(self.bare, 50)
        return p / b if p and b else None


def _config() -> AppConfig:
    config = load_config(ROOT / "app.yaml", env={})
    return config.model_copy(update={"digest_channel": DIGEST_CHANNEL})


def _fill(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in _FILL:
            conn.exec_driver_sql(statement)


def digest_database(n: int, cache: Path = CACHE) -> tuple[str, bool, float]:
    """A copy of the search bench's history at ``n``, filled in (cached beside it)."""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    path = cache / f"digest-{cache_key(n, SEED)}-{digest}.db"
    if path.exists():
        return f"sqlite:///{path}", True, 0.0
    started = time.monotonic()
    for stale in cache.glob(f"digest-search-{n}-*"):
        stale.unlink()
    source = Path(sqlite_database(n, cache=cache).url.removeprefix("sqlite:///"))
    building = path.with_suffix(".building")
    shutil.copyfile(source, building)
    engine = make_engine(f"sqlite:///{building}")
    try:
        _fill(engine)
    finally:
        engine.dispose()
    building.replace(path)
    return f"sqlite:///{path}", False, time.monotonic() - started


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure_summary(url: str, size: int, *, weeks: int = WEEKS, reps: int = REPS) -> DigestRun:
    """Each of the history's last ``weeks`` complete weeks summarised ``reps`` times, each beside
    the COUNT(*) of its incidents (the floor: the least any summary of that week must read)."""
    config = _config()
    runbooks = load_runbooks(ROOT / "runbooks")
    tz = config.team.tz
    run = DigestRun(size)
    store = Store(make_engine(url))
    last = Week.of(END.astimezone(tz).date()).shift(-1)
    counted = []
    try:
        for k in range(weeks):
            week = last.shift(-k)
            now = week.bounds(tz)[1] + timedelta(hours=9)
            start, end = week.bounds(tz)
            with store.read(TEAM_ID) as repo:
                rows = DigestRows(repo)
                counted.append(rows.mistakes(start, end))
                for _ in range(reps):
                    run.floor.append(_timed(lambda rows=rows, s=start, e=end: rows.mistakes(s, e)))
                    run.summary.append(
                        _timed(lambda repo=repo, w=week, n=now: summarize_in(repo, config, runbooks, w, n))
                    )
    finally:
        store.engine.dispose()
    run.per_week = statistics.fmean(counted) if counted else 0.0
    return run


def _week_of(engine: Engine, week: Week, n: int, config: AppConfig) -> None:
    """``n`` incidents spread over ``week``, filled in like the long history."""
    start, _ = week.bounds(config.team.tz)
    step = timedelta(days=7) / n
    rows = []
    for k in range(n):
        opened = start + step * k
        rows.append(
            {
                "team_id": TEAM_ID,
                "runbook_id": ("general", "email-campaign", "pricing-error")[k % 3],
                "title": f"Mistake {k}",
                "details": "",
                "answers": {},
                "reporter": "U0AILSA",
                "channel": "C0OOPS",
                "status": "retro_scheduled",
                "scale": ("tiny", "small", "big", "huge")[k % 4],
                "scale_reasons": [],
                "recommendation": "correct",
                "recommendation_reason": "",
                "decision": ("correct", "no_action", "make_it_big")[k % 3],
                "decided_by": "U0MARC",
                "decision_note": "",
                "decided_at": opened + timedelta(minutes=20 + k % 90),
                "what_was_fixed": "",
                "customer_action": "",
                "offer": "",
                "draft_approved": False,
                "retro_at": opened + timedelta(days=3),
                "created_at": opened,
                "updated_at": opened,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Incident), rows)
    _fill(engine)


def measure_post(incidents: int = POST_WEEK_SIZE, reps: int = POST_REPS) -> PostRun:
    """The summary of a week of ``incidents`` posted through the emulator (computed, drawn, sent),
    beside a bare chat.postMessage to the same channel."""
    from bot.runtime import Secrets, build_runtime
    from bot.usecases.digest import post_week
    from slack_emulator import SlackEmulator

    config = _config()
    week = Week.parse("2026-W47")
    run = PostRun(incidents)
    with tempfile.TemporaryDirectory(prefix="oops-digest-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'week.db'}"
        engine = make_engine(url)
        migrate(engine, TEAM_ID)
        _week_of(engine, week, incidents, config)
        engine.dispose()
        with SlackEmulator(channels={DIGEST_CHANNEL: "oops-weekly", "C0OOPS": "oops"}) as emulator:
            secrets = Secrets(emulator.bot_token, None, None, emulator.base_url)
            runtime = build_runtime(config.model_copy(update={"database_url": url}), secrets)
            try:
                env = runtime.env(TEAM_ID)
                client = runtime.client
                post_week(env, week)  # warm: imports, connections
                client.chat_postMessage(channel=DIGEST_CHANNEL, text="warm")
                for _ in range(reps):
                    run.post.append(_timed(lambda: post_week(env, week)))
                    run.bare.append(
                        _timed(
                            lambda: client.chat_postMessage(channel=DIGEST_CHANNEL, text="A bare message.")
                        )
                    )
            finally:
                runtime.stop()
    return run


def run_digest(
    sizes: Sequence[int], *, cache: Path = CACHE, post: bool = True
) -> tuple[list[DigestRun], PostRun | None]:
    runs = []
    for size in sizes:
        url, cached, seconds = digest_database(size, cache)
        run = measure_summary(url, size)
        run.cached, run.build_seconds = cached, seconds
        runs.append(run)
    return runs, (measure_post() if post else None)


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:,.1f} ms"


def digest_lines(runs: Sequence[DigestRun], posting: PostRun | None) -> list[str]:
    """The bench's figures as Markdown table rows (also what the terminal prints)."""
    out = ["| weekly summary (SQLite) | " + " | ".join(f"{r.size:,} incidents" for r in runs) + " |"]
    out.append("|---|" + "---|" * len(runs))
    cells: list[tuple[str, Callable[[DigestRun], str]]] = [
        ("incidents in a week (mean)", lambda r: f"{r.per_week:,.0f}"),
        (
            "summary p50 / p95",
            lambda r: f"{_ms(percentile(r.summary, 50))} / {_ms(percentile(r.summary, 95))}",
        ),
        ("floor: COUNT(*) of the week p50", lambda r: _ms(percentile(r.floor, 50))),
        ("summary ÷ floor (p50)", lambda r: f"{r.ratio():.0f}×" if r.ratio() else ""),
    ]
    for name, cell in cells:
        out.append(f"| {name} | " + " | ".join(cell(r) for r in runs) + " |")
    if posting is not None:
        out += [
            "",
            f"| posting a week of {posting.incidents} incidents (emulator) | p50 |",
            "|---|---|",
            f"| summary computed, drawn and posted | {_ms(percentile(posting.post, 50))} |",
            f"| bare chat.postMessage | {_ms(percentile(posting.bare, 50))} |",
            f"| ratio | {posting.ratio():.1f}× |" if posting.ratio() else "| ratio | |",
        ]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    from bench.machine import describe_machine

    parser = argparse.ArgumentParser(prog="python -m bench.digest", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, action="append", help="incidents (repeat for several); 10000")
    parser.add_argument("--no-post", action="store_true", help="skip the posting half")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    runs, posting = run_digest(args.size or [10_000], post=not args.no_post)
    print(describe_machine().line())
    for line in digest_lines(runs, posting):
        print(line)
    built = [f"{r.size:,}: {'cached' if r.cached else f'built in {r.build_seconds:.0f} s'}" for r in runs]
    print(f"\nhistories {', '.join(built)}; bench took {(datetime.now(UTC) - started).total_seconds():.0f} s")


if __name__ == "__main__":
    main()
