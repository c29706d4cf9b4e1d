"""The store: migrations match the models, SQLite is set up for concurrent clicks, claims and times.

Backend-neutral tests take ``database_url`` and so run on PostgreSQL too when OOPS_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError, StatementError
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (the tables on SQLModel.metadata)
from bot.store import Store, make_engine, migrate
from bot.store.db import SQLITE_BUSY_TIMEOUT_MS, alembic_config
from bot.store.fleet import Fleet
from bot.store.search import made_by_migration
from bot.store.tables import Incident, UTCDateTime

try:  # tests/ may or may not become a package; work either way
    from tests.together import at_once
except ImportError:
    from together import at_once  # type: ignore[no-redef]

TEAM = "T0WHEY"  # the emulator's workspace: rows are always written for one

JOB_TABLE = "apscheduler_jobs"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _not_apscheduler(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if made_by_migration(name, type_):
        return False  # the search index's own objects (SQLite FTS5 tables, PostgreSQL tsvector column)
    return not (type_ == "table" and name == JOB_TABLE) and not (
        type_ in ("index", "column", "unique_constraint", "foreign_key_constraint")
        and getattr(getattr(obj, "table", None), "name", None) == JOB_TABLE
    )


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"include_object": _not_apscheduler, "compare_type": True, "compare_server_default": True},
        )
        return compare_metadata(context, SQLModel.metadata)


def _incident(**values: Any) -> Incident:
    base: dict[str, Any] = {
        "team_id": TEAM,
        "runbook_id": "general",
        "title": "Wrong price on the cheddar kit",
        "reporter": "U0AILSA",
        "channel": "C0OOPS",
        "status": "deciding",
        "scale": "small",
        "recommendation": "correct",
    }
    base.update(values)
    return Incident(**base)


# migrations ---------------------------------------------------------------------------------------


def test_migrations_match_the_models(engine: Engine) -> None:
    migrate(engine)
    differences = _differences(engine)
    assert differences == [], "a model changed without a migration:\n" + "\n".join(map(str, differences))


def test_migrations_match_the_models_with_the_scheduler_table_present(engine: Engine) -> None:
    """APScheduler's job table lives in the same database; autogenerate must not see it as ours."""
    from bot.scheduling import build_scheduler

    migrate(engine)
    scheduler = build_scheduler(engine)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)
    assert JOB_TABLE in inspect(engine).get_table_names()
    assert _differences(engine) == []


def test_the_comparison_can_see_a_missing_index(engine: Engine) -> None:
    """The check above is able to fail: drop an index the model declares and it is reported."""
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX IF EXISTS ix_decisionlog_incident_id"))
    differences = _differences(engine)
    assert any("ix_decisionlog_incident_id" in str(d) for d in differences), differences


def _old_incident(conn: Any, title: str) -> None:
    """A row as the bot wrote it before workspaces were recorded (schema 0001)."""
    conn.execute(
        text(
            "INSERT INTO incident (runbook_id, title, details, answers, reporter, channel, status, scale,"
            " scale_reasons, recommendation, recommendation_reason, decision_note, what_was_fixed,"
            " customer_action, offer, draft_approved, created_at, updated_at)"
            " VALUES ('general', :title, '', '{}', 'U1', 'C1', 'deciding', 'small', '[]', 'correct',"
            " '', '', '', '', '', false, :now, :now)"
        ),
        {"now": datetime(2026, 1, 1), "title": title},
    )


def test_rows_from_before_workspaces_belong_to_the_workspace_the_bot_serves(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        _old_incident(conn, "from last month")
        conn.execute(
            text(
                "INSERT INTO decisionlog (incident_id, step, choice, actor, note, at)"
                " VALUES (1, 'report', 'general', 'U1', '', :now)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
    migrate(engine, "T0WHEY")
    with Store(engine).read("T0WHEY") as repo:
        assert [i.title for i in repo.incidents()] == ["from last month"]
        assert [row.step for row in repo.decision_log(1)] == ["report"]
    with Store(engine).read("T0OTHER") as repo:
        assert repo.incidents() == [] and repo.incident(1) is None and repo.decision_log(1) == []


def test_a_migration_run_without_a_workspace_leaves_old_rows_for_the_bot_to_adopt(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as conn:
        _old_incident(conn, "orphan")
    migrate(engine)  # `alembic upgrade` by hand: nobody asked Slack which workspace this is
    assert Fleet(engine).team_of(1) == ""
    assert Fleet(engine).adopt("T0WHEY") == 1
    assert Fleet(engine).team_of(1) == "T0WHEY"
    assert Fleet(engine).adopt("T0WHEY") == 0


def test_head_is_alembics_newest_migration() -> None:
    """Start-up skips alembic for a database at HEAD, so HEAD must be the newest migration."""
    from alembic.script import ScriptDirectory

    from bot.store.db import HEAD, MIGRATIONS

    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD


def test_migrate_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incident (team_id, runbook_id, title, details, answers, reporter, channel,"
                " status, scale, scale_reasons, recommendation, recommendation_reason, decision_note,"
                " what_was_fixed, customer_action, offer, draft_approved, created_at, updated_at)"
                " VALUES ('T1', 'general', 'kept', '', '{}', 'U1', 'C1', 'deciding', 'small', '[]',"
                " 'correct', '', '', '', '', '', false, :now, :now)"
            ),
            {"now": datetime(2026, 1, 1)},
        )
    inspector = inspect(engine)
    before = {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in inspector.get_table_names()}
    migrate(engine)
    inspector = inspect(engine)
    after = {t: sorted(c["name"] for c in inspector.get_columns(t)) for t in inspector.get_table_names()}
    assert before == after
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
        assert conn.execute(text("SELECT title FROM incident")).scalars().all() == ["kept"]
    assert _differences(engine) == []


def test_replicas_starting_together_on_a_new_database_migrate_it_once(database_url: str) -> None:
    """Two processes (here threads, each with its own engine and connections) start on an empty
    database at the same moment: one migrates, the other waits and finds it done; neither fails."""
    engines = [make_engine(database_url) for _ in range(3)]
    _, errors = at_once(migrate, engines)
    try:
        assert errors == [], errors
        assert _differences(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


# SQLite set-up -------------------------------------------------------------------------------------


def test_sqlite_file_uses_wal_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
    # WAL is a property of the file: a plain connection sees it too.
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _deferred_engine(url: str) -> Engine:
    """The set-up the fix replaces: WAL and busy_timeout, but transactions begun with a plain BEGIN."""
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def _read_then_write_in_two_threads(store: Store, incident_id: int) -> list[BaseException]:
    """Both threads read the incident, meet (when the database lets them), then write and commit.

    With deferred transactions both reads happen before either write, and the second writer cannot
    upgrade its lock. With BEGIN IMMEDIATE the second thread waits at BEGIN, so the first one's wait
    at the barrier times out and the two run one after the other: both must commit.
    """
    barrier = threading.Barrier(2, timeout=1.0)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with store.transaction(TEAM) as repo:
                incident = repo.incident(incident_id)
                assert incident is not None
                seen = incident.details
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
                incident.details = seen + f"[{name}]"
                repo.touch(incident)
                repo.log(incident_id, "assess", name, "U0TEST")
        except BaseException as exc:  # collected and asserted on in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a writer hung"
    return errors


def _one_incident(store: Store) -> int:
    with store.transaction(TEAM) as repo:
        incident = repo.add_incident(_incident())
        assert incident.id is not None
        return incident.id


def test_two_read_then_write_transactions_on_one_sqlite_file_both_commit(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    store = Store(engine)
    incident_id = _one_incident(store)
    errors = _read_then_write_in_two_threads(store, incident_id)
    assert errors == []
    with store.transaction(TEAM) as repo:
        incident = repo.incident(incident_id)
        assert incident is not None
        # Neither update was lost: each thread read what the other had written.
        assert sorted(incident.details.replace("][", "] [").split()) == ["[a]", "[b]"]
        assert sorted(row.choice for row in repo.decision_log(incident_id)) == ["a", "b"]
    engine.dispose()


def test_deferred_transactions_would_fail_the_same_way(sqlite_url: str) -> None:
    """The control: without BEGIN IMMEDIATE the same two threads give 'database is locked'."""
    migrate(make_engine(sqlite_url))
    engine = _deferred_engine(sqlite_url)
    store = Store(engine)
    incident_id = _one_incident(store)
    errors = _read_then_write_in_two_threads(store, incident_id)
    assert any(isinstance(e, OperationalError) and "locked" in str(e) for e in errors), errors
    engine.dispose()


# claims and times -----------------------------------------------------------------------------------


def test_claim_is_true_once_then_false(engine: Engine) -> None:
    migrate(engine)
    store = Store(engine)
    with store.transaction(TEAM) as repo:
        assert repo.claim("view:V1:submit") is True
        assert repo.claim("view:V1:submit") is False  # a re-delivery within the same transaction
        assert repo.claim("action:A1") is True
    with store.transaction(TEAM) as repo:
        assert repo.claim("view:V1:submit") is False  # and after the commit
        assert repo.claim("action:A1") is False
        assert repo.claim("action:A2") is True


def test_a_claim_rolled_back_with_its_transaction_can_be_claimed_again(engine: Engine) -> None:
    """A use case that fails after claiming must not swallow the retry Slack sends."""
    migrate(engine)
    store = Store(engine)
    with pytest.raises(RuntimeError), store.transaction(TEAM) as repo:
        assert repo.claim("action:boom") is True
        raise RuntimeError("the use case failed")
    with store.transaction(TEAM) as repo:
        assert repo.claim("action:boom") is True


def test_utc_datetime_refuses_naive_datetimes(engine: Engine) -> None:
    migrate(engine)
    store = Store(engine)
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 3, 29, 1, 30), engine.dialect)
    with pytest.raises(StatementError, match="naive"), store.transaction(TEAM) as repo:
        repo.add_incident(_incident(created_at=datetime(2026, 3, 29, 1, 30)))


def test_utc_datetime_returns_aware_utc(engine: Engine) -> None:
    migrate(engine)
    store = Store(engine)
    paris = timezone(timedelta(hours=2), "CEST")
    when = datetime(2026, 6, 1, 12, 0, 30, 123456, tzinfo=paris)
    with store.transaction(TEAM) as repo:
        incident = repo.add_incident(_incident(created_at=when, retro_at=when + timedelta(days=2)))
        incident_id = incident.id
    assert incident_id is not None
    with store.transaction(TEAM) as repo:
        loaded = repo.incident(incident_id)
        assert loaded is not None
        assert loaded.created_at == when
        assert loaded.created_at.tzinfo is UTC or loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at.hour == 10  # 12:00 at +02:00 is 10:00 UTC
        assert loaded.retro_at == datetime(2026, 6, 3, 10, 0, 30, 123456, tzinfo=UTC)
        assert loaded.closed_at is None
    assert UTCDateTime().process_result_value(datetime(2026, 1, 1, 9), engine.dialect) == datetime(
        2026, 1, 1, 9, tzinfo=UTC
    )


def test_the_database_file_is_created_with_its_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'oops.db'}"
    engine = make_engine(url)
    migrate(engine)
    assert (tmp_path / "deep" / "er" / "oops.db").exists()
    assert "incident" in inspect(engine).get_table_names()
    engine.dispose()
