"""Which process runs the reminders: one at a time, whatever the number of `oops serve` processes.

APScheduler 3 does not support several schedulers running over one job store (its maintainer says
so; duplicate runs are a recurring report). Every process still writes jobs to the shared store; only
the one holding this lease runs them. PostgreSQL: a session advisory lock, held by a connection for
the life of the process. SQLite: an exclusive lock on a file beside the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from typing import IO, Any

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)
# One lease per database and schema, so two teams (or two test schemas) on one server do not collide.
_KEY = "hashtext('oops-scheduler:' || current_database() || '.' || current_schema())"
_LOCK = f"SELECT pg_try_advisory_lock({_KEY})"
_UNLOCK = f"SELECT pg_advisory_unlock({_KEY})"


class SchedulerLease:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held: Any = None

    def acquire(self) -> bool:
        """True when this process may run the reminders; never blocks."""
        if self._held is not None:
            return True
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return self._acquire_advisory()
        if dialect == "sqlite":
            return self._acquire_file()
        log.warning("no scheduler lease for %s: run a single oops process", dialect)
        self._held = True
        return True

    def _acquire_advisory(self) -> bool:
        connection = self.engine.connect()
        got = bool(connection.execute(text(_LOCK)).scalar())
        connection.commit()
        if got:
            self._held = connection
        else:
            connection.close()
        return got

    def _acquire_file(self) -> bool:
        database = self.engine.url.database
        if not database or database == ":memory:":
            self._held = True  # an in-memory database lives in one process only
            return True
        handle: IO[str] = open(f"{database}.scheduler-lock", "a+")  # noqa: SIM115 (held open on purpose)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._held = handle
        return True

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None or held is True:
            return
        with contextlib.suppress(Exception):
            if hasattr(held, "execute"):
                held.execute(text(_UNLOCK))
                held.commit()
            held.close()
