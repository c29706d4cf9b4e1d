"""The history bench (issue 7): search latency against a naive LIKE scan, similar-incident lookup,
checklist build, database size and recall on the labelled set, at each size, on SQLite and PostgreSQL.

    python -m bench.search --size 100000 --db sqlite [--queries common,prefix] [--no-like]

prints the per-query-kind table for one size and database (the lead's loop while tuning search);
`make bench` runs it at the plan's sizes beside the other sections. One database exists at a time.
Similar incidents are measured through bot.usecases.similar.similar_in (or any callable shaped like it).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import labelled
from bench.history_data import TEAM_ID
from bench.search_build import CACHE, Built, postgres_database, sqlite_database
from bench.search_queries import KINDS, like_in, queries
from bot.config import load_config
from bot.store import Store, make_engine
from bot.usecases.checklists import Query as ChecklistQuery
from bot.usecases.checklists import checklist_of
from bot.usecases.history import search_in
from bot.usecases.similar import similar_in

ROOT = Path(__file__).resolve().parent.parent
Similar = Callable[..., Sequence[Any]]  # similar_in(repo, title, details, runbook_id, *, exclude_id, limit)
RANKS = 10  # a labelled query's target is looked for in the first page (rank known up to 10)


@dataclass
class Recall:
    """Where each labelled item's target came: rank 1.., or 0 when not in the first RANKS."""

    ranks: dict[str, int] = field(default_factory=dict)  # query text (or report title) -> rank

    def at(self, k: int) -> float | None:
        return sum(1 for r in self.ranks.values() if 0 < r <= k) / len(self.ranks) if self.ranks else None

    @property
    def misses(self) -> list[str]:
        return [q for q, r in self.ranks.items() if not 0 < r <= 3]


@dataclass
class SearchRun:
    database: str
    size: int
    skipped: str | None = None
    build_seconds: float = 0.0
    cached: bool = False
    search: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds, one per query
    like: dict[str, list[float]] = field(default_factory=dict)
    similar: list[float] = field(default_factory=list)
    checklist: dict[str, float] = field(default_factory=dict)  # runbook (or "all") -> seconds
    bytes_total: int | None = None
    bytes_search: int | None = None  # of which the search rows and their index
    search_recall: Recall = field(default_factory=Recall)
    similar_recall: Recall = field(default_factory=Recall)

    @property
    def label(self) -> str:
        return f"{self.database} {self.size:,}"

    def all_search(self) -> list[float]:
        return [t for kind, ts in self.search.items() for t in ts]

    def all_like(self) -> list[float]:
        return [t for ts in self.like.values() for t in ts]


@dataclass
class SearchBench:
    runs: list[SearchRun] = field(default_factory=list)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (nearest rank): with 200 queries p95 is the 190th slowest, not a mean."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def result_ids(found: Iterable[Any]) -> list[int]:
    """Incident ids from whatever the similar lookup returns: ids, hits (``.id``), objects holding an
    ``.incident``, or (incident, …) tuples."""
    ids = []
    for item in found:
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, int):
            ids.append(item)
        elif hasattr(item, "id"):
            ids.append(int(item.id))
        else:
            ids.append(int(item.incident.id))
    return ids


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _median_time(fn: Callable[[], Any], reps: int) -> float:
    return statistics.median(_timed(fn)[0] for _ in range(max(1, reps)))


def measure_search(store: Store, run: SearchRun, kinds: Sequence[str], reps: int, like: bool) -> None:
    """Each query once untimed (warm caches), then ``reps`` times: its median is its latency. The same
    query as a LIKE scan once (it reads every row: repeating it would only cost minutes)."""
    chosen = [(k, q) for k, q in queries() if k in kinds]

    def search(q: str) -> Callable[[], Any]:
        def go() -> Any:
            with store.read(TEAM_ID) as repo:
                return search_in(repo, q, UTC, limit=10)

        return go

    def scan(q: str) -> Callable[[], Any]:
        def go() -> Any:
            with store.read(TEAM_ID) as repo:
                return like_in(repo, q, limit=11)

        return go

    for _, q in chosen:
        search(q)()
    for kind, q in chosen:
        run.search.setdefault(kind, []).append(_median_time(search(q), reps))
        if like:
            run.like.setdefault(kind, []).append(_timed(scan(q))[0])


def measure_recall(store: Store, built: Built, run: SearchRun) -> None:
    for q in labelled.QUERIES:
        with store.read(TEAM_ID) as repo:
            ids = [h.id for h in search_in(repo, q.text, UTC, limit=RANKS).hits]
        target = built.planted[q.key]
        run.search_recall.ranks[q.text] = ids.index(target) + 1 if target in ids else 0


def similar_reports(n: int = 80) -> list[tuple[str, str, str]]:
    """Reports for the similar lookup's latency: the labelled ones and made-up ones like the history's."""
    import random

    from bench.history_data import END, record

    rng = random.Random(99)
    made = [record(rng, rng.choice(("email-campaign", "pricing-error", "general")), END) for _ in range(n)]
    return [(r.title, r.details, r.runbook) for r in labelled.REPORTS] + [
        (r.title, r.details, r.runbook) for r in made
    ]


def measure_similar(
    store: Store, built: Built, run: SearchRun, similar: Similar = similar_in, reps: int = 3
) -> None:
    """Latency over labelled and made-up reports, and recall on the labelled ones."""

    def lookup(title: str, details: str, runbook: str, limit: int) -> Callable[[], list[int]]:
        def go() -> list[int]:
            with store.read(TEAM_ID) as repo:
                return result_ids(similar(repo, title, details, runbook, exclude_id=None, limit=limit))

        return go

    reports = similar_reports()
    for report in reports:
        lookup(*report, 3)()
    run.similar = [_median_time(lookup(*report, 3), reps) for report in reports]
    for r in labelled.REPORTS:
        ids = lookup(r.title, r.details, r.runbook, 3)()
        target = built.planted[r.key]
        run.similar_recall.ranks[r.title] = ids.index(target) + 1 if target in ids else 0


def measure_checklists(store: Store, built: Built, run: SearchRun, reps: int = 3) -> None:
    threshold = load_config(ROOT / "app.yaml", env={}).checklists.merge_threshold
    for runbook in (*built.runbooks, None):

        def build(runbook: str | None = runbook) -> Any:
            with store.read(TEAM_ID) as repo:
                return checklist_of(repo, ChecklistQuery(runbook=runbook), threshold)

        build()
        run.checklist[runbook or "all"] = _median_time(build, reps)


def measure_size(store: Store, built: Built, run: SearchRun) -> None:
    engine = store.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            path = Path(built.url.split("///", 1)[1])
            run.bytes_total = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
            try:
                run.bytes_search = conn.execute(
                    text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'incident_search%'")
                ).scalar()
            except Exception:  # dbstat is a compile-time option of SQLite
                run.bytes_search = None
        else:
            run.bytes_total = int(
                conn.execute(
                    text(
                        "SELECT sum(pg_total_relation_size(format('%I.%I', schemaname, tablename)::regclass))"
                        " FROM pg_tables WHERE schemaname = current_schema()"
                    )
                ).scalar()
                or 0
            )
            search = conn.execute(text("SELECT pg_total_relation_size('incident_search')")).scalar()
            run.bytes_search = int(search or 0)


def measure(
    built: Built,
    database: str,
    *,
    kinds: Sequence[str] = KINDS,
    reps: int = 3,
    like: bool = True,
    similar: Similar = similar_in,
) -> SearchRun:
    """Every figure of one database at one size."""
    run = SearchRun(database, built.size, build_seconds=built.seconds, cached=built.cached)
    engine = make_engine(built.url)
    store = Store(engine)
    try:
        measure_search(store, run, kinds, reps, like)
        measure_recall(store, built, run)
        measure_similar(store, built, run, similar)
        measure_checklists(store, built, run)
        measure_size(store, built, run)
    finally:
        engine.dispose()
    return run


def run_search(
    sizes: Sequence[int],
    *,
    databases: Sequence[str] = ("sqlite", "postgresql"),
    postgres_max: int | None = None,
    cache: Path | None = CACHE,
    tmp: Path | None = None,
    kinds: Sequence[str] = KINDS,
    reps: int = 3,
    like: bool = True,
    similar: Similar = similar_in,
    progress: Callable[[str], None] | None = None,
) -> SearchBench:
    """Each database, each size, one after the other (the previous one's schema is gone first)."""
    from bench.incident import postgres_url

    bench = SearchBench()
    say = progress or (lambda _msg: None)
    for database in databases:
        for size in sizes:
            if database == "sqlite":
                say(f"search bench: SQLite {size:,} (building or from the cache)")
                built = sqlite_database(size, cache=cache, tmp=tmp)
                say(f"search bench: SQLite {size:,} measuring")
                bench.runs.append(
                    measure(built, "SQLite", kinds=kinds, reps=reps, like=like, similar=similar)
                )
                continue
            base, why = postgres_url()
            if base is None:
                bench.runs.append(SearchRun("PostgreSQL", size, skipped=why))
            elif postgres_max is not None and size > postgres_max:
                bench.runs.append(SearchRun("PostgreSQL", size, skipped="over this plan's PostgreSQL size"))
            else:
                say(f"search bench: PostgreSQL {size:,} building")
                try:
                    with postgres_database(base, size) as built:
                        say(f"search bench: PostgreSQL {size:,} measuring")
                        bench.runs.append(
                            measure(built, "PostgreSQL", kinds=kinds, reps=reps, like=like, similar=similar)
                        )
                except Exception as exc:  # an unreachable server is a skip with its reason, not a crash
                    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    bench.runs.append(SearchRun("PostgreSQL", size, skipped=f"{why}: {first}"))
    return bench


def main(argv: Sequence[str] | None = None) -> None:
    from rich.console import Console

    from bench.search_report import render_search

    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, action="append", help="incidents (repeat for several); 10000")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--queries", default="", help=f"kinds to run, comma-separated: {', '.join(KINDS)}")
    parser.add_argument("--reps", type=int, default=3, help="timed runs of each query (its median counts)")
    parser.add_argument("--no-like", action="store_true", help="skip the LIKE scan (the slow half)")
    parser.add_argument(
        "--no-cache", action="store_true", help="rebuild the SQLite file in a temporary folder"
    )
    args = parser.parse_args(argv)
    kinds = [
        k
        for k in KINDS
        if not args.queries or any(w.strip() and w.strip() in k for w in args.queries.split(","))
    ]
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    console = Console() if Console().is_terminal else Console(width=200)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="oops-search-") as tmp:
        bench = run_search(
            args.size or [10_000],
            databases=databases,
            cache=None if args.no_cache else CACHE,
            tmp=Path(tmp),
            kinds=kinds,
            reps=args.reps,
            like=not args.no_like,
            progress=lambda msg: console.print(f"[dim]{msg}[/dim]"),
        )
    render_search(bench, console, by_kind=True)


if __name__ == "__main__":
    main()
