"""Can the database be opened? Said in one line: what failed, and what to check.

`oops serve` asks before anything else touches the database, and `oops check` asks too, so an
unreachable server or a malformed URL is one sentence instead of a traceback of hundreds of lines.
Nothing here writes: no migration, no new SQLite file. A password in the URL is never shown.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONNECT_TIMEOUT_SECONDS = 5
_SECRET_PARAMS = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)


class DatabaseUnavailable(Exception):
    """The database cannot be used; ``str()`` is the one line to show."""


@dataclass(frozen=True)
class DatabaseState:
    """What `oops check` reports: where the database is and whether its schema is current."""

    url: str  # with no password
    exists: bool
    revision: str | None  # alembic's, None for an empty database

    @property
    def heads(self) -> tuple[str, ...]:
        """The newest revisions this version of oops knows."""
        return _heads()

    @property
    def current(self) -> bool:
        return self.revision is not None and self.revision in self.heads

    @property
    def known(self) -> bool:
        """False when the database was migrated by a version of oops newer than this one."""
        return self.revision is None or self.revision in _all_revisions()

    def summary(self) -> str:
        if not self.exists:
            return f"{self.url}: no database yet; `oops serve` will create it"
        if self.revision is None:
            return f"{self.url}: reachable, no tables yet; `oops serve` will create them"
        if self.current:
            return f"{self.url}: reachable, schema current ({self.revision})"
        if not self.known:
            return (
                f"{self.url}: schema at {self.revision}, which this version of oops does not know "
                f"(was it migrated by a newer one?)"
            )
        newest = ", ".join(self.heads)
        return f"{self.url}: reachable, schema at {self.revision}; `oops serve` will migrate it to {newest}"


def safe_url(url: str) -> str:
    """The URL with any password (in the authority or the query) left out, even when malformed."""
    from sqlalchemy.engine import URL, make_url

    try:
        parsed = make_url(url)
    except Exception:  # malformed: strip the authority's password and the whole query by hand
        head, sep, _query = url.partition("?")
        head = re.sub(r"^([^:/]+://[^:/@]*):[^/]*@", r"\1@", head)
        return head + ("?…" if sep else "")
    query = {k: v for k, v in parsed.query.items() if not _SECRET_PARAMS.search(k)}
    # URL.set(password=None) would keep the password: None there means "unchanged".
    bare = URL.create(
        parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database, query
    )
    return bare.render_as_string(hide_password=False)


def probe(url: str, where: str) -> DatabaseState:
    """Connect (read only) and read the schema's revision; raise DatabaseUnavailable in one line.

    ``where`` names the setting the URL came from, for the message ("OOPS_DATABASE_URL", say).
    """
    shown = safe_url(url)
    try:
        from sqlalchemy.engine import make_url

        from bot.store.db import normalise_url

        parsed = make_url(normalise_url(url))
    except Exception as exc:
        reason = "the port is not a number" if "int()" in str(exc) else _first_line(exc, url)
        raise DatabaseUnavailable(
            f"The database URL {shown} is malformed ({reason}): "
            f"write it as dialect+driver://user:password@host:port/database. Check {where}."
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _probe_sqlite(parsed.database or "", shown, where)
    return _probe_server(parsed, url, shown, where)


def _probe_sqlite(path: str, shown: str, where: str) -> DatabaseState:
    if path in ("", ":memory:"):
        return DatabaseState(shown, exists=True, revision=None)
    file = Path(path)
    if not file.exists():
        ancestor = next(p for p in file.parents if p.exists())
        if not ancestor.is_dir():
            problem = f"{ancestor} is a file, not a directory"
        elif not os.access(ancestor, os.W_OK | os.X_OK):
            problem = f"no permission to create files in {ancestor}"
        else:
            return DatabaseState(shown, exists=False, revision=None)
        raise DatabaseUnavailable(
            f"Cannot create the SQLite database at {file} ({problem}): choose a path in a directory "
            f"this user may write to. Check {where}."
        )
    try:
        conn = sqlite3.connect(f"file:{urllib.parse.quote(str(file))}?mode=ro", uri=True, timeout=2)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = _revision(conn.execute, tables)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(
            f"Cannot open the SQLite database at {file} ({exc}): is it an oops database, and may this "
            f"user read it? Check {where}."
        ) from None
    return DatabaseState(shown, exists=True, revision=revision)


def _probe_server(parsed: Any, url: str, shown: str, where: str) -> DatabaseState:
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.pool import NullPool

    connect_args = (
        {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if parsed.get_backend_name() == "postgresql" else {}
    )
    try:
        engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except ImportError as exc:
        raise DatabaseUnavailable(
            f"Cannot open the database at {shown} (no driver for {parsed.drivername}: {exc}): "
            f"install it (for PostgreSQL: pip install 'oops-bot[postgres]'), or check {where}."
        ) from None
    except Exception as exc:  # an unknown dialect, a bad option
        raise DatabaseUnavailable(
            f"The database URL {shown} cannot be used ({_first_line(exc, url)}). Check {where}."
        ) from None
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())

            def run(sql: str) -> Any:
                return conn.execute(text(sql))

            revision = _revision(run, tables)
    except Exception as exc:
        reason, hint = _explain(_first_line(getattr(exc, "orig", None) or exc, url))
        raise DatabaseUnavailable(
            f"Cannot open the database at {shown} ({reason}): {hint}Check {where}."
        ) from None
    finally:
        engine.dispose()
    return DatabaseState(shown, exists=True, revision=revision)


def _revision(run: Any, tables: set[str]) -> str | None:
    if "alembic_version" not in tables:
        return None
    row = run("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


# (pattern in the driver's message, what to say it was, what to check)
_HINTS: tuple[tuple[str, str, str], ...] = (
    ("connection refused", "connection refused", "is the server running, on that host and port? "),
    ("timeout expired", "no answer", "is the host reachable from here (a firewall)? "),
    ("timed out", "no answer", "is the host reachable from here (a firewall)? "),
    ("resolve host", "unknown host", "is the host name right? "),
    ("name or service not known", "unknown host", "is the host name right? "),
    ("password authentication failed", "", "are the user and password right? "),
    ('role "', "", "are the user and password right? "),
    ("does not exist", "", "does the database exist on that server? "),
)


def _explain(message: str) -> tuple[str, str]:
    lowered = message.lower()
    for pattern, reason, hint in _HINTS:
        if pattern in lowered:
            return reason or message, hint
    return message, ""


def _first_line(exc: BaseException, url: str) -> str:
    """The error's first line without the driver's prefixes, and never the URL's password."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    line = re.sub(r"^(connection failed: |\(\S+\) )", "", line)
    line = re.sub(r"connection to server at .*? failed: ", "", line)
    line = re.sub(r"FATAL:\s+", "", line)
    try:
        password = urllib.parse.urlsplit(url).password
    except ValueError:
        password = None
    if password and len(password) >= 3:
        line = line.replace(password, "***")
    return line[:200]


@functools.cache
def _heads() -> tuple[str, ...]:
    return tuple(sorted(_script().get_heads()))


@functools.cache
def _all_revisions() -> frozenset[str]:
    return frozenset(rev.revision for rev in _script().walk_revisions())


def _script() -> Any:
    from alembic.script import ScriptDirectory

    from bot.store.db import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS))
