"""`oops report weekly`: the weekly summary in the terminal, as Markdown, or posted to Slack now.

Registered by bot.cli. Like it, only typer is imported up front.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import ConfigOption, TeamOption, console, load_config, workspace_database

if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.runbook.weeks import Week
    from bot.weekly import WeeklySummary

report_app = typer.Typer(
    help="Reports on the history: the weekly summary.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@report_app.command(
    "weekly", short_help="The weekly summary: figures of a week, compared with the four before."
)
def report_weekly(
    week: Annotated[
        str | None, typer.Option(help="The ISO week, e.g. 2026-W47 (default: the last complete week).")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the summary as Markdown to this file.")
    ] = None,
    post: Annotated[
        bool, typer.Option("--post", help="Post it to the digest channel now (needs SLACK_BOT_TOKEN).")
    ] = False,
    config: ConfigOption = None,
    team: TeamOption = None,
) -> None:
    """Print a week's summary: mistakes by scale and runbook, decisions, what was at stake, how fast,
    retrospectives and action items, and a comparison with the four weeks before."""
    from bot.runbook.weeks import Week
    from bot.store.tables import utcnow

    err = console(stderr=True)
    cfg = load_config(config)
    now = utcnow()
    try:
        from bot.usecases.digest import last_complete

        chosen_week = Week.parse(week) if week else last_complete(now, cfg.team.tz)
    except ValueError as exc:
        err.print(f"{exc}.", markup=False, highlight=False)
        raise typer.Exit(2) from None
    if post:
        _post(cfg, chosen_week, team)
        return
    summary = _summary(cfg, config, team, chosen_week, now)
    from bot.weekly_output import markdown as as_markdown
    from bot.weekly_output import table

    console().print(table(summary))
    if markdown is not None:
        try:
            markdown.write_text(as_markdown(summary), encoding="utf-8")
        except OSError as exc:
            err.print(f"Cannot write {markdown}: {exc.strerror or exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
        console().print(f"Markdown written to {markdown}.", markup=False, highlight=False)


def _summary(
    cfg: AppConfig, config: Path | None, team: str | None, week: Week, now: datetime
) -> WeeklySummary:
    from bot.runtime import load_team_runbooks
    from bot.store import Store
    from bot.usecases.digest import summarize_in

    engine, chosen = workspace_database(cfg, config, team)
    try:
        runbooks = load_team_runbooks(cfg)
    except ValueError:
        runbooks = {}  # the figures stand without runbook names
    try:
        with Store(engine).read(chosen) as repo:
            return summarize_in(repo, cfg, runbooks, week, now)
    finally:
        engine.dispose()


def _post(cfg: AppConfig, week: Week, team: str | None) -> None:
    """Post to the digest channel through the bot's own Slack set-up (SLACK_BOT_TOKEN, SLACK_API_URL)."""
    from bot.runtime import Secrets, build_runtime
    from bot.usecases.digest import post_week
    from bot.usecases.ports import Undelivered, UserError

    err = console(stderr=True)
    secrets = Secrets.from_env()
    if not secrets.bot_token:
        err.print(
            "--post needs SLACK_BOT_TOKEN in the environment (the bot's xoxb- token), to post as the bot. "
            "Without --post the summary is printed here.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    if not cfg.digest_channel:
        err.print(
            "No digest_channel is set in app.yaml: set it to the channel the summary goes to.", markup=False
        )
        raise typer.Exit(2)
    try:
        runtime = build_runtime(cfg, secrets)
    except Exception as exc:  # a bad token, Slack or the database unreachable: one line, not a traceback
        err.print(
            f"Cannot reach Slack or the database: {type(exc).__name__}: {exc}", markup=False, soft_wrap=True
        )
        raise typer.Exit(1) from None
    try:
        ref = post_week(runtime.env(team), week)
    except (Undelivered, UserError) as exc:
        err.print(f"Not posted: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        runtime.stop()
    console().print(
        f"Posted the summary of {week.label} to {cfg.digest_channel} ({ref.channel}/{ref.ts}).", markup=False
    )
