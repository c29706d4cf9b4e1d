"""A whole incident (``oops demo``'s story) on SQLite and on PostgreSQL, and what one /oops submission
costs in round trips: database transactions and statements, and Slack Web API calls."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, event, text

from bench.harness import BotThreadsCPU
from bench.history import open_incident, report_values
from bot.config import AppConfig
from bot.demo import INCIDENT_CHANNEL, REPORTER, SUMMARY, demo_bot, walk_incident
from bot.store.db import normalise_url

PG_ENVS = ("OOPS_BENCH_DATABASE_URL", "OOPS_TEST_DATABASE_URL")


@dataclass
class WalkResult:
    """Whole incidents, /oops to closed: wall and bot-thread CPU seconds per incident."""

    backend: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    skipped: str | None = None


def postgres_url() -> tuple[str | None, str]:
    """The PostgreSQL server to bench on, or None and why not."""
    for name in PG_ENVS:
        if os.environ.get(name):
            return os.environ[name], name
    return None, f"set {' or '.join(PG_ENVS)} to a PostgreSQL URL to bench it"


@contextmanager
def private_schema(base: str, prefix: str = "bench") -> Iterator[str]:
    """A throw-away schema on the PostgreSQL server, dropped afterwards: the bench (and the tests)
    never touch data."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{normalise_url(base)}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure_walks(config: AppConfig, backend: str, database_url: str, incidents: int) -> WalkResult:
    """``incidents`` whole incidents after one warm-up, each timed from /oops to the incident closed."""
    result = WalkResult(backend)
    with demo_bot(config, database_url) as bot:
        walk_incident(bot)
        for _ in range(incidents):
            cpu = BotThreadsCPU()
            started = time.monotonic()
            walk_incident(bot)
            result.wall.append(time.monotonic() - started)
            result.cpu.append(cpu.seconds())
    return result


# ---------------------------------------------------------------------------------------- round trips


@dataclass
class RoundTrips:
    """Mean per request: transactions begun, statements by verb, Slack Web API calls by method."""

    what: str
    samples: int
    transactions: float
    statements: dict[str, float]
    slack_calls: dict[str, float]
    repeated_calls: float  # calls identical (method and arguments) to one made earlier for the same request

    @property
    def selects(self) -> float:
        return self.statements.get("SELECT", 0.0)

    @property
    def slack_total(self) -> float:
        return sum(self.slack_calls.values())


class EngineCounter:
    """Counts transactions (``begin``) and statements (``before_cursor_execute``) on an engine."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.transactions = 0
        self.statements: Counter[str] = Counter()
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)

    def _begin(self, _conn: Any) -> None:
        self.transactions += 1

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        self.statements[verb] += 1

    def snapshot(self) -> tuple[int, Counter[str]]:
        return self.transactions, Counter(self.statements)

    def close(self) -> None:
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine, "before_cursor_execute", self._statement)


def _calls_since(bot: Any, start: int) -> list[Any]:
    return bot.emulator.calls[start:]


def _repeats(calls: list[Any]) -> int:
    seen: set[str] = set()
    repeated = 0
    for call in calls:
        key = call.method + json.dumps(call.args, sort_keys=True, default=str)
        repeated += key in seen
        seen.add(key)
    return repeated


def measure_round_trips(config: AppConfig, database_url: str, samples: int) -> list[RoundTrips]:
    """Counts for the /oops command (ack and modal) and for the report's submission (to the decision
    prompt posted), averaged over ``samples`` after one warm-up incident."""
    totals: dict[str, dict[str, Any]] = {
        what: {"tx": 0, "stmts": Counter(), "calls": Counter(), "repeats": 0}
        for what in ("/oops (ack + modal)", "/oops submission (report → decision prompt)")
    }
    with demo_bot(config, database_url) as bot:
        open_incident(bot)
        counter = EngineCounter(bot.runtime.engine)
        try:
            for _ in range(samples):
                for what in totals:
                    start_calls = len(bot.emulator.calls)
                    tx0, st0 = counter.snapshot()
                    if what.startswith("/oops ("):
                        bot.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
                    else:
                        view = bot.emulator.opened_views[-1]
                        bot.driver.submit_view(view["id"], report_values(view), user=REPORTER)
                    bot.settle()
                    tx1, st1 = counter.snapshot()
                    calls = _calls_since(bot, start_calls)
                    total = totals[what]
                    total["tx"] += tx1 - tx0
                    total["stmts"].update(st1 - st0)
                    total["calls"].update(c.method for c in calls)
                    total["repeats"] += _repeats(calls)
        finally:
            counter.close()
    return [
        RoundTrips(
            what,
            samples,
            t["tx"] / samples,
            {verb: n / samples for verb, n in sorted(t["stmts"].items())},
            {method: n / samples for method, n in sorted(t["calls"].items())},
            t["repeats"] / samples,
        )
        for what, t in totals.items()
    ]
