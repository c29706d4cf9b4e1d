"""Which process runs the reminders: one at a time, whatever the number of `oops serve` processes.

APScheduler 3 does not support several schedulers running over one job store (its maintainer says
so; duplicate runs are a recurring report). Every process still writes jobs to the shared store; only
the one holding this lease runs them. PostgreSQL: a session advisory lock, held by a connection of its
own. SQLite: an exclusive lock on a file beside the database.

A lease can end without its holder asking: the holder dies (kill -9, a lost machine), or, on
PostgreSQL, its lock connection drops and the server frees the lock while the process lives on.
`LeaseKeeper` handles both: followers retry every few seconds, and the holder checks every few
seconds that the lease is still its own, pausing its scheduler at once when it is not.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bot.scheduling.scheduler import watch_shared_store

log = logging.getLogger(__name__)
# One lease per database and schema, so two teams (or two test schemas) on one server do not collide.
LEASE_KEY = "hashtext('oops-scheduler:' || current_database() || '.' || current_schema())"
_LOCK = f"SELECT pg_try_advisory_lock({LEASE_KEY})"
_UNLOCK = f"SELECT pg_advisory_unlock({LEASE_KEY})"
# pg_locks shows a one-bigint advisory key split in two: high half in classid, low half in objid.
_STILL_OURS = f"""
SELECT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = pg_backend_pid()
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND ((classid::bigint << 32) | objid::bigint) = ({LEASE_KEY})::bigint
)"""

APPLICATION_NAME = "oops-scheduler-lease"
# A holder whose machine vanishes sends no FIN, so both ends need keepalives to notice. The server
# frees the lock only when it drops the session: its keepalives are set per session (below). The
# holder's next check fails once libpq gives up on unanswered data (tcp_user_timeout).
_CLIENT_ARGS: dict[str, Any] = {
    "application_name": APPLICATION_NAME,
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}
_SERVER_SETTINGS = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "10000",
}

# What a process says about its role, one log line each: operators (and the tests) read them.
RUNS = "scheduler lease: this process runs the reminders"
FOLLOWS = "scheduler lease: another oops process runs the reminders"
LOST = "scheduler lease lost: this process stopped running reminders"

INTERVAL_ENV = "OOPS_LEASE_SECONDS"
DEFAULT_INTERVAL = 5.0


def lease_interval(env: Mapping[str, str] | None = None) -> float:
    """Seconds between a follower's tries and between a holder's checks (``OOPS_LEASE_SECONDS``)."""
    env = os.environ if env is None else env
    raw = env.get(INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        log.warning("%s=%r is not a number of seconds above 0; using %s", INTERVAL_ENV, raw, DEFAULT_INTERVAL)
        return DEFAULT_INTERVAL
    return value


class SchedulerLease:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held: Any = None
        self._lease_engine: Engine | None = None
        self._conn: Connection | None = None  # PostgreSQL: kept between a follower's tries

    @property
    def held(self) -> bool:
        return self._held is not None

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

    def still_held(self) -> bool:
        """Whether the lease is still this process's. When it is not, it is let go here, so that
        acquire() starts afresh; a check that fails (a dead connection) counts as not held."""
        held = self._held
        if held is None:
            return False
        if held is True:
            return True
        try:
            ours = self._advisory_still_ours(held) if isinstance(held, Connection) else _file_still_ours(held)
        except Exception as exc:  # the connection is gone: the server has freed the lock with it
            log.warning("scheduler lease check failed: %s", _first_line(exc))
            ours = False
        if not ours:
            self.release()
        return ours

    def _connect(self) -> Connection:
        if self._lease_engine is None:
            # Its own connection, out of the pool, so pool recycling never closes the lock's session.
            connect_args = dict(_CLIENT_ARGS) if self.engine.dialect.driver == "psycopg" else {}
            self._lease_engine = create_engine(
                self.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args=connect_args
            )
        connection = self._lease_engine.connect()
        for name, value in _SERVER_SETTINGS.items():
            try:
                connection.execute(
                    text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
                )
            except Exception as exc:  # an older server lacks tcp_user_timeout: the keepalives still count
                log.info("scheduler lease: cannot set %s on this server: %s", name, exc)
        return connection

    def _acquire_advisory(self) -> bool:
        if self._conn is None:
            self._conn = self._connect()
        try:
            got = bool(self._conn.execute(text(_LOCK)).scalar())
        except Exception:
            self._close_connection()
            raise
        if got:
            self._held = self._conn
        return got

    @staticmethod
    def _advisory_still_ours(connection: Connection) -> bool:
        return bool(connection.execute(text(_STILL_OURS)).scalar())

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

    def _close_connection(self) -> None:
        connection, self._conn = self._conn, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()

    def release(self) -> None:
        held, self._held = self._held, None
        if isinstance(held, Connection):
            with contextlib.suppress(Exception):
                held.execute(text(_UNLOCK))
        elif held is not None and held is not True:
            with contextlib.suppress(Exception):
                held.close()
        self._close_connection()


def _first_line(exc: BaseException) -> str:
    """A driver error's first line says what failed; the rest is SQL and a link, not for every retry."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _file_still_ours(handle: IO[str]) -> bool:
    """The lock is on the file we opened; if that file was deleted or replaced, a newcomer locks
    another file at the same path, and ours no longer excludes anyone."""
    try:
        on_disk = os.stat(handle.name)
    except FileNotFoundError:
        return False
    mine = os.fstat(handle.fileno())
    if (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino):
        return False
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # already ours: succeeds at once
    return True


class LeaseKeeper:
    """Runs the scheduler in whichever process holds the lease, as holders come and go.

    The scheduler is always started (every process writes jobs) but paused unless this process holds
    the lease. A follower tries to take the lease every ``interval`` seconds; the holder checks every
    ``interval`` seconds that it still has it and pauses its scheduler as soon as it has not. A
    follower that takes the lease over waits two intervals before running jobs: a holder whose lock
    connection dropped may run jobs until its next check, and that wait outlasts it. So after a
    holder dies, another process runs the reminders within about three intervals.
    """

    def __init__(
        self,
        lease: SchedulerLease,
        scheduler: BaseScheduler,
        *,
        on_acquired: Callable[[], object] | None = None,
        on_lost: Callable[[], object] | None = None,
        interval: float | None = None,
    ) -> None:
        self.lease = lease
        self.scheduler = scheduler
        self.on_acquired = on_acquired
        self.on_lost = on_lost
        self.interval = interval if interval is not None else lease_interval()
        self.grace = 2 * self.interval
        self._leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lease_lock = threading.Lock()  # the keeper thread and stop() both use the lease
        self._retry_failing = False

    @property
    def leading(self) -> bool:
        """Whether this process runs the reminders now."""
        return self._leading

    def start(self) -> bool:
        """Try the lease once now (no wait when it is free), then keep trying or checking."""
        if not self.scheduler.running:
            self.scheduler.start(paused=True)
        else:
            self.scheduler.pause()  # runs nothing until the lease is ours
        with self._lease_lock:
            got = self.lease.acquire()
        if got:
            self._lead()
        else:
            log.info(
                "%s; this one only schedules them and tries to take over every %s s", FOLLOWS, self.interval
            )
        self._thread = threading.Thread(target=self._loop, name="oops-lease", daemon=True)
        self._thread.start()
        return got

    def stop(self) -> None:
        """Stop running jobs and let the lease go, so a follower takes over at its next try."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._leading:
            self._pause()
        with self._lease_lock:
            self.lease.release()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self._leading:
                    self._check()
                else:
                    self._try_take()
            except Exception:
                log.exception("scheduler lease keeper: unexpected error; trying again in %s s", self.interval)

    def _check(self) -> None:
        with self._lease_lock:
            if self._stop.is_set() or self.lease.still_held():
                return
        self._pause()  # before the log line, so the line's time is after the last job could start
        log.warning("%s; it tries to take over every %s s", LOST, self.interval)
        self._call(self.on_lost, "on_lost")

    def _try_take(self) -> None:
        with self._lease_lock:
            if self._stop.is_set():
                return
            try:
                got = self.lease.acquire()
            except Exception as exc:
                if not self._retry_failing:  # one line per outage, not one every interval
                    log.warning("scheduler lease: cannot try the lease (%s); trying again", _first_line(exc))
                self._retry_failing = True
                return
        self._retry_failing = False
        if not got:
            return
        log.info(
            "scheduler lease taken over: running reminders in %s s, once any former holder has stopped",
            self.grace,
        )
        if self._stop.wait(self.grace):
            return  # stopping: stop() lets the lease go
        with self._lease_lock:
            if self._stop.is_set() or not self.lease.still_held():
                return
        self._lead()

    def _lead(self) -> None:
        log.info(RUNS)  # before resuming, so the line's time is before any job runs
        self._leading = True
        watch_shared_store(self.scheduler)
        self.scheduler.resume()  # wakes it: it reads the shared job table now
        self._call(self.on_acquired, "on_acquired")

    def _pause(self) -> None:
        self._leading = False
        if self.scheduler.running:
            self.scheduler.pause()

    @staticmethod
    def _call(callback: Callable[[], object] | None, name: str) -> None:
        if callback is None:
            return
        try:
            callback()
        except Exception:
            log.exception("scheduler lease: %s callback failed", name)
