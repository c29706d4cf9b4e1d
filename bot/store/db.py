"""Database engine and schema set-up: SQLite (WAL) by default, any SQLAlchemy URL by config.

SQLite detail that bites under concurrent clicks: a deferred transaction that reads and then
writes cannot upgrade its lock and fails with SQLITE_BUSY at once, whatever busy_timeout says.
Following SQLAlchemy's SQLite dialect notes, the driver's own transaction handling is turned off
and every transaction starts with BEGIN IMMEDIATE, so writers queue on busy_timeout instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. A database already there is not handed to alembic at start-up (alembic
# takes a fifth of a second to import); tests/test_store.py checks this is alembic's head.
HEAD = "0012"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "oops_read_only"  # execution option: a transaction that only reads


def normalise_url(url: str) -> str:
    """``postgresql://`` would pick psycopg2, which we do not ship; use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, **kwargs)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if not memory:
        path = url.split("///", 1)[-1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        poolclass=StaticPool if memory else None,
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Reads (Store.read) need no write lock: they must not queue behind a writer while a
        # modal's 3-second trigger_id runs out.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def alembic_config(engine: Engine, team_id: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["team_id"] = team_id
    return config


def migrate(engine: Engine, team_id: str | None = None) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there).

    ``team_id`` is the workspace that rows written before workspaces were recorded belong to.
    """
    # PostgreSQL answers the common case (already there) without a lock. A new SQLite file is looked
    # at only under the lock: its first connections switch it to WAL, which another migrator's open
    # write transaction would refuse ("database is locked").
    if engine.dialect.name != "sqlite" and current_revision(engine) == HEAD:
        return
    with one_migrator(engine):
        if current_revision(engine) == HEAD:  # already there, or another process migrated meanwhile
            return
        from alembic import command  # a fifth of a second to import: only when there is work

        command.upgrade(alembic_config(engine, team_id), "head")


# PostgreSQL: one migrator per database and schema (its own key, not the scheduler lease's).
_MIGRATION_KEY = "hashtext('oops-migrate:' || current_database() || '.' || current_schema())"


@contextmanager
def one_migrator(engine: Engine) -> Iterator[None]:
    """Several replicas starting together on a new database would each create the same tables, and
    all but one fail. The first takes this lock and migrates; the others wait, then find it done."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_KEY})"))
            try:
                yield
            finally:
                conn.execute(text(f"SELECT pg_advisory_unlock({_MIGRATION_KEY})"))
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    path = f"{database}.migrate-lock"
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the file closes
        try:
            yield
        finally:
            # Removed while still held: whoever opened it before waits on this file and then finds
            # the schema done; whoever comes after finds the schema done before looking for a lock.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def current_revision(engine: Engine) -> str | None:
    """The schema's migration (alembic's version table), or None for a database not set up yet."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
