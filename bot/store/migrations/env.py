"""Alembic environment: runs against the engine the bot hands over (see bot.store.db.migrate)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.store.search import made_by_migration

target_metadata = SQLModel.metadata


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """APScheduler owns its job table, and the search index's own objects are made by hand in 0004:
    autogenerate must leave them alone."""
    return not (type_ == "table" and name == "apscheduler_jobs") and not made_by_migration(name, type_)


def run() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations through `oops migrate` or bot.store.db.migrate(engine)")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite rebuilds a table to alter it; with foreign keys on, dropping the old one fails.
            # The pragma is ignored inside a transaction, so it is set on the raw connection first.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=_ours,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


run()
