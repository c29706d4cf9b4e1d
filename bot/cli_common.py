"""What the `oops` commands share: options, the configuration, the database and the workspace to read.

Only typer is imported up front (see bot.cli): the rest is imported by the function that needs it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from bot.config import AppConfig
    from bot.store.check import DatabaseState

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Path of app.yaml (default: $OOPS_CONFIG, else ./app.yaml)."),
]
TeamOption = Annotated[
    str | None,
    typer.Option(help="The Slack workspace (team id); default: the only one in the database."),
]


def console(stderr: bool = False) -> Console:
    """rich's console, imported on first use (rich costs tens of milliseconds to import)."""
    from rich.console import Console

    return Console(stderr=stderr)


def load_config(path: Path | None) -> AppConfig:
    from bot.config import load_config
    from bot.datafile import DataFileError

    try:
        return load_config(path)
    except DataFileError as exc:
        console(stderr=True).print(f"[red]Cannot use the configuration:[/red] {exc}")
        raise typer.Exit(1) from None


def database_setting(path: Path | None) -> str:
    """Where the database URL came from, for messages that say what to check."""
    if os.environ.get("OOPS_DATABASE_URL"):
        return "OOPS_DATABASE_URL (set in the environment)"
    return f"database_url in {path or os.environ.get('OOPS_CONFIG') or 'app.yaml'}"


def database(cfg: AppConfig, path: Path | None) -> DatabaseState:
    """Open the database read-only, or say in one line why not and exit 1."""
    from bot.store.check import DatabaseUnavailable, probe

    try:
        return probe(cfg.resolved_database_url(), database_setting(path))
    except DatabaseUnavailable as exc:
        from rich.markup import escape

        console(stderr=True).print(f"[red]✗[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def workspace_database(
    cfg: AppConfig, path: Path | None, team: str | None, *, prepare: bool = False
) -> tuple[Engine, str]:
    """The database (at the newest schema) and the workspace to read: --team, else the only one ("" in
    an empty database). ``prepare`` (a command that writes) creates or migrates the schema first."""
    from bot.store import make_engine, migrate
    from bot.store.fleet import Fleet

    err = console(stderr=True)
    state = database(cfg, path)
    if prepare and state.known and not state.current:
        setup = make_engine(cfg.resolved_database_url())
        try:
            migrate(setup, team)
        finally:
            setup.dispose()
        state = database(cfg, path)
    if not state.current:
        err.print(f"✗ Database: {state.summary()}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
    engine = make_engine(cfg.resolved_database_url())
    teams = Fleet(engine).teams()
    if team is None and len(teams) > 1:
        engine.dispose()
        err.print(
            f"This database holds several workspaces ({', '.join(teams)}): pick one with --team.",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(2)
    return engine, team or (teams[0] if teams else "")
