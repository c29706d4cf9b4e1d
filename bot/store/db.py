"""Database engine and schema set-up: SQLite (WAL) by default, any SQLAlchemy URL by config.

SQLite detail that bites under concurrent clicks: a deferred transaction that reads and then
writes cannot upgrade its lock and fails with SQLITE_BUSY at once, whatever busy_timeout says.
Following SQLAlchemy's SQLite dialect notes, the driver's own transaction handling is turned off
and every transaction starts with BEGIN IMMEDIATE, so writers queue on busy_timeout instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["team_id"] = team_id
    return config


def migrate(engine: Engine, team_id: str | None = None) -> None:
    """Bring the schema to the newest migration (a no-op when it is already there).

    ``team_id`` is the workspace that rows written before workspaces were recorded belong to.
    """
    command.upgrade(alembic_config(engine, team_id), "head")
