"""Shared fixtures: a database (SQLite file, and PostgreSQL when OOPS_TEST_DATABASE_URL is set),
the team's real app.yaml and runbooks, and the whole bot served over HTTP against the emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.incident import private_schema
from bot.config import AppConfig, load_config
from bot.demo import DemoBot, demo_bot

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "OOPS_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def config() -> AppConfig:
    return load_config(ROOT / "app.yaml", env={})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, then a private schema in the PostgreSQL test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'oops.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (.ci/run sets it when pg_isready answers on 127.0.0.1)")
    with private_schema(base, prefix="t") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'oops.db'}"


@pytest.fixture
def live_bot(config: AppConfig, database_url: str) -> Iterator[DemoBot]:
    """The real bot (HTTP, Bolt, store, scheduler, template drafter) against the Slack emulator."""
    with demo_bot(config, database_url) as bot:
        yield bot


@pytest.fixture
def sqlite_bot(config: AppConfig, sqlite_url: str) -> Iterator[DemoBot]:
    with demo_bot(config, sqlite_url) as bot:
        yield bot
