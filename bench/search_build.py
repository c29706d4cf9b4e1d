"""Write the search bench's history into a database, fast: the made-up incidents (bench.history_data)
with the labelled set's planted ones (bench.labelled) among them, each with its retrospective,
checklist items and search row (bot.store.search_text.document, as the bot writes it; SQLite's
triggers and PostgreSQL's generated column index it).

Batched INSERTs with ids given up front, so where each planted incident lands is known without asking
the database. SQLite files are cached under .bench-cache/ (gitignored), keyed by size, seed and a
digest of everything that decides their bytes (these modules, the schema's migrations, the
normaliser): a second run at 100,000 starts in a second. PostgreSQL is built afresh in a private schema.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

from bench import history_data, labelled
from bench.history_data import END, SPAN, TEAM_ID, Record
from bot.runbook import load_runbooks
from bot.store import make_engine, migrate
from bot.store.db import HEAD
from bot.store.search_text import document
from bot.store.tables import ChecklistItem, Incident, IncidentSearch, Retrospective

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-cache"
BATCH = 2000
CHANNEL = "C0OOPS"
PLANTED = (*labelled.TARGETS, *labelled.NEAR)
_DIGESTED = (
    Path(__file__),
    Path(history_data.__file__),
    Path(labelled.__file__),
    ROOT / "bot" / "store" / "search_text.py",
    ROOT / "bot" / "store" / "tables.py",
    *sorted((ROOT / "bot" / "store" / "migrations" / "versions").glob("*.py")),
)


@dataclass(frozen=True)
class Built:
    url: str
    size: int
    seconds: float  # to build (0 when it came from the cache)
    cached: bool
    planted: dict[str, int]  # planted key -> incident id
    runbooks: tuple[str, ...]


def runbook_ids() -> tuple[str, ...]:
    return tuple(sorted(load_runbooks(ROOT / "runbooks")))


def planted_slots(n: int) -> dict[int, labelled.Planted]:
    """Where each planted incident goes among ``n`` (0-based positions, spread over the three years,
    in a shuffled order so a target and its near-duplicate are not neighbours)."""
    if n < 2 * len(PLANTED):
        raise ValueError(f"the search bench needs at least {2 * len(PLANTED)} incidents, not {n}")
    order = list(PLANTED)
    random.Random(history_data.SEED).shuffle(order)
    return {int((j + 0.5) * n / len(order)): p for j, p in enumerate(order)}


def planted_ids(n: int) -> dict[str, int]:
    return {p.key: slot + 1 for slot, p in planted_slots(n).items()}


def _records(n: int, runbooks: Sequence[str], seed: int) -> Iterator[Record]:
    slots = planted_slots(n)
    background = history_data.history(n - len(slots), runbooks, seed)
    rng = random.Random(seed + 1)
    for k in range(n):
        p = slots.get(k)
        if p is None:
            yield next(background)
            continue
        yield Record(
            runbook=p.runbook,
            lang=p.lang,
            title=p.title,
            details=p.details,
            what_went_wrong=p.title,
            root_cause=p.root_cause,
            what_we_change=p.what_we_change,
            checklist=p.checklist,
            scale=p.scale,
            decision=p.decision,
            status="closed",
            reporter=rng.choice(history_data.REPORTERS),
            created_at=END - SPAN + SPAN * (k / n) + timedelta(minutes=rng.randint(0, 600)),
        )


def _rows(
    k: int, r: Record
) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]], dict[str, Any]]:
    opened, closed = r.created_at, r.status == "closed"
    decided = opened + timedelta(minutes=25) if r.decision else None
    done = opened + timedelta(days=3)
    incident = {
        "id": k + 1,
        "team_id": TEAM_ID,
        "source_key": f"bench-search:{k}",
        "runbook_id": r.runbook,
        "title": r.title,
        "details": r.details,
        "answers": {},
        "reporter": r.reporter,
        "channel": CHANNEL,
        "header_ts": None,
        "status": r.status,
        "scale": r.scale,
        "scale_reasons": [],
        "recommendation": r.decision or "correct",
        "recommendation_reason": "",
        "decision": r.decision,
        "decided_by": r.reporter if r.decision else None,
        "decision_note": "",
        "decided_at": decided,
        "what_was_fixed": "",
        "customer_action": "",
        "offer": "",
        "draft_approved": closed,
        "retro_at": done if closed else None,
        "reminded_at": None,
        "closed_at": done if closed else None,
        "created_at": opened,
        "updated_at": done if closed else opened,
    }
    lessons: list[str] = []
    retro = None
    if closed:
        retro = {
            "team_id": TEAM_ID,
            "incident_id": k + 1,
            "what_went_wrong": r.what_went_wrong,
            "root_cause": r.root_cause,
            "what_we_change": r.what_we_change,
            "submitted_by": r.reporter,
            "created_at": done,
        }
        lessons = [r.what_went_wrong, r.root_cause, r.what_we_change, *r.checklist]
    items = [
        {
            "team_id": TEAM_ID,
            "incident_id": k + 1,
            "runbook_id": r.runbook,
            "text": item,
            "created_by": r.reporter,
            "created_at": done,
        }
        for item in r.checklist
    ]
    title, body = document(r.title, r.details, r.runbook, lessons)
    search = {"incident_id": k + 1, "team_id": TEAM_ID, "title_text": title, "search_text": body}
    return incident, retro, items, search


def build_into(url: str, n: int, seed: int = history_data.SEED) -> Built:
    """Fill the (empty) database at ``url`` with ``n`` incidents; the schema is migrated first."""
    started = time.monotonic()
    runbooks = runbook_ids()
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection: Any, _record: Any) -> None:
            # A throw-away build: no need to wait for the disk at each commit (the bot's own set-up,
            # WAL included, has run before this).
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    try:
        migrate(engine)
        _write(engine, n, runbooks, seed)
    finally:
        engine.dispose()
    return Built(url, n, time.monotonic() - started, False, planted_ids(n), runbooks)


def _write(engine: Engine, n: int, runbooks: Sequence[str], seed: int) -> None:
    records = _records(n, runbooks, seed)
    sqlite = engine.dialect.name == "sqlite"
    for start in range(0, n, BATCH):
        incidents, retros, items, searches = [], [], [], []
        for k in range(start, min(n, start + BATCH)):
            incident, retro, its, search = _rows(k, next(records))
            incidents.append(incident)
            searches.append(search)
            items += its
            if retro:
                retros.append(retro)
        with engine.begin() as conn:
            for table, rows in (
                (Incident, incidents),
                (Retrospective, retros),
                (ChecklistItem, items),
                (IncidentSearch, searches),
            ):
                if rows:
                    conn.execute(insert(table), rows)
    if not sqlite:  # ids were given: move the sequence past them; fresh statistics, as autovacuum would
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('incident', 'id'), :n)"), {"n": n})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def cache_key(n: int, seed: int) -> str:
    digest = hashlib.sha256()
    for path in _DIGESTED:
        digest.update(path.read_bytes())
    return f"search-{n}-s{seed}-{HEAD}-{digest.hexdigest()[:12]}"


def sqlite_database(
    n: int, seed: int = history_data.SEED, cache: Path | None = CACHE, tmp: Path | None = None
) -> Built:
    """A SQLite file (WAL, as the bot opens it) with ``n`` incidents: from the cache when it is there."""
    folder = cache or tmp
    if folder is None:
        raise ValueError("give a cache or a temporary folder")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{cache_key(n, seed)}.db"
    if cache is not None and path.exists():
        return Built(f"sqlite:///{path}", n, 0.0, True, planted_ids(n), runbook_ids())
    for stale in folder.glob(f"search-{n}-s{seed}-*"):
        stale.unlink()  # an older schema or generator: never read again
    building = path.with_suffix(".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    built = build_into(f"sqlite:///{building}", n, seed)
    os.replace(building, path)  # the engine is disposed: its WAL is checkpointed and gone
    return Built(f"sqlite:///{path}", n, built.seconds, False, built.planted, built.runbooks)


@contextmanager
def postgres_database(base: str, n: int, seed: int = history_data.SEED) -> Iterator[Built]:
    """A private schema on the PostgreSQL server at ``base``, filled, then dropped."""
    from bench.incident import private_schema

    with private_schema(base) as url:
        yield build_into(url, n, seed)
