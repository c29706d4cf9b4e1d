"""Running the `oops` CLI in-process (typer's CliRunner), as a person would from a checkout."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli import app

ROOT = Path(__file__).resolve().parent.parent


def cli_env(**extra: str) -> dict[str, str | None]:
    """No Slack or oops settings from the caller's environment; wide enough that rich never folds."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("SLACK_", "OOPS_"))}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    env.update(extra)
    return env


def oops(*args: str, **env: str) -> Result:
    """Run `oops ARGS` from the repository root with ``env`` (e.g. OOPS_DATABASE_URL=…)."""
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        return CliRunner().invoke(app, list(args), env=cli_env(**env), prog_name="oops")
    finally:
        os.chdir(here)
