"""`oops`: run the bot, print its Slack manifest, check the team's files, print the checklist, or
watch a demo incident. `oops history …` lives in bot.cli_history, what the commands share in
bot.cli_common.

Only typer is imported up front: each command imports what it needs when it runs, so `oops --help`
and `oops manifest` answer at once instead of loading Bolt, SQLAlchemy and langchain first.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_common import (
    ConfigOption,
    TeamOption,
    console,
    database,
    database_setting,
    load_config,
    workspace_database,
)
from bot.cli_history import history_app
from bot.cli_report import report_app

if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.runtime import Runtime, Secrets

app = typer.Typer(
    help="oops: a Slack bot that walks your team through its own business mistakes.\n\n"
    "New here? Run `oops demo` to watch one incident from /oops to its retrospective, no Slack needed.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help: typer's rich help imports rich.markdown and markdown-it, which alone take longer than
    # the 0.4 s `oops --help` may take.
    rich_markup_mode=None,
)


def command(fn: Callable[..., None]) -> Callable[..., None]:
    """Register a command; `oops --help` shows its docstring's whole first line (click would cut it)."""
    return app.command(short_help=(fn.__doc__ or "").strip().splitlines()[0])(fn)


NO_TOKENS = """[bold]oops needs a Slack app before it can serve.[/bold]

1. Print the app manifest:        [cyan]{oops} manifest > manifest.yaml[/cyan]
2. Create the app from it:        https://api.slack.com/apps → Create New App → From a manifest
3. Install it to your workspace, then set, in the environment (never in app.yaml):
     [cyan]SLACK_BOT_TOKEN[/cyan]   xoxb-…  (OAuth & Permissions → Bot User OAuth Token)
     [cyan]SLACK_APP_TOKEN[/cyan]   xapp-…  (Basic Information → App-Level Tokens, scope connections:write)
     [cyan]SLACK_SIGNING_SECRET[/cyan]      (Basic Information → App Credentials; only for --http)
4. Run [cyan]make run[/cyan] (or [cyan]{oops} serve[/cyan]) again.

Meanwhile, [bold]make demo[/bold] (or [bold]{oops} demo[/bold]) runs a whole incident against a local Slack
emulator: no account, no key."""


def _oops() -> str:
    """How to call this program from here: `oops` when it is on PATH, else the virtualenv's copy."""
    if shutil.which("oops"):
        return "oops"
    beside = Path(sys.executable).parent / "oops"
    if not beside.exists():
        return f"{sys.executable} -m bot"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


@command
def serve(
    config: ConfigOption = None,
    http: Annotated[
        bool, typer.Option("--http", help="Serve Slack's requests over HTTP instead of Socket Mode.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on, with --http.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port to listen on, with --http.")] = 3000,
) -> None:
    """Run the bot: Socket Mode by default (no public URL), or HTTP at /slack/events with --http."""
    import logging
    import signal

    from bot.runtime import Secrets

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg = load_config(config)
    secrets = Secrets.from_env()
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", secrets.bot_token),
            (
                "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN",
                secrets.signing_secret if http else secrets.app_token,
            ),
        )
        if not value
    ]
    if missing:
        err = console(stderr=True)
        err.print(f"Not set: {', '.join(missing)}.\n")
        err.print(NO_TOKENS.format(oops=_oops()), soft_wrap=True)
        raise typer.Exit(2)
    database(cfg, config)
    runtime = _build_runtime(cfg, secrets, config)
    runtime.start()
    # SIGTERM (systemd, docker, a load balancer's rollout) ends like Ctrl-C: finish the work in flight.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Plain print: these lines need no rich, and importing it would delay the first acknowledgement.
    try:
        if http:
            from bot.http import make_server

            server = make_server(runtime.app, secrets.signing_secret or "", host=host, port=port)
            print(f"oops is listening on http://{host}:{port}/slack/events", flush=True)
            server.run()
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            print("oops is connected to Slack in Socket Mode. Type /oops in a channel.", flush=True)
            SocketModeHandler(runtime.app, secrets.app_token).start()
    except KeyboardInterrupt:
        pass
    finally:
        print("oops is stopping: finishing the work in flight…", flush=True)
        runtime.stop()


def _build_runtime(cfg: AppConfig, secrets: Secrets, path: Path | None) -> Runtime:
    """build_runtime, with what can go wrong at start said in one line."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.datafile import DataFileError
    from bot.drafting import DrafterSetupError, PromptError
    from bot.runtime import build_runtime
    from bot.store.check import safe_url

    try:
        return build_runtime(cfg, secrets)
    except (DataFileError, PromptError, DrafterSetupError) as exc:
        console(stderr=True).print(f"[red]Cannot start:[/red] {exc}")
    except (SQLAlchemyError, CommandError) as exc:
        # The database answered the read-only probe but failed while being prepared (migrations).
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        url = safe_url(cfg.resolved_database_url())
        console(stderr=True).print(
            f"✗ Cannot prepare the database at {url} ({reason[:200]}). Check {database_setting(path)}.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    raise typer.Exit(1)


@command
def manifest(
    http_url: Annotated[
        str | None,
        typer.Option(help="Public URL of /slack/events for HTTP mode; leave out for Socket Mode."),
    ] = None,
    name: Annotated[str, typer.Option(help="The app's name in Slack.")] = "oops",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Print the Slack app manifest: paste it at api.slack.com/apps → Create New App → From a manifest."""
    from bot.manifest import build_manifest

    data = build_manifest(name=name, http_url=http_url)
    if as_json:
        import json

        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


@command
def check(config: ConfigOption = None) -> None:
    """Validate app.yaml, the runbooks and the prompts, and try the database; say exactly what is wrong."""
    from rich.markup import escape
    from rich.table import Table

    from bot.datafile import DataFileError
    from bot.drafting import DrafterSetupError, PromptError, build_drafter, load_prompts
    from bot.drafting.summary import load_summary_template
    from bot.runtime import load_team_runbooks

    out, err = console(), console(stderr=True)
    cfg = load_config(config)
    try:
        runbooks = load_team_runbooks(cfg)
        build_drafter(cfg.drafting, load_prompts(cfg.prompts_path))
        load_summary_template(cfg.prompts_path)
    except (DataFileError, PromptError, DrafterSetupError) as exc:
        err.print(f"[red]✗[/red] {exc}")
        raise typer.Exit(1) from None
    table = Table(title=f"Runbooks for {cfg.team.name}", show_lines=False)
    for column in ("runbook", "name", "questions", "scale levels", "may notify"):
        table.add_column(column)
    for rb in runbooks.values():
        depts = sorted({rule.department for rule in rb.departments})
        table.add_row(rb.id, rb.name, str(len(rb.questions)), " < ".join(rb.scale.levels), ", ".join(depts))
    out.print(table)
    out.print(
        f"[green]✓[/green] app.yaml, {len(runbooks)} runbook(s) and the prompts are valid. "
        f"Drafting with: {cfg.drafting.provider}."
    )
    state = database(cfg, config)
    if not state.known:
        err.print(f"[red]✗[/red] Database: {escape(state.summary())}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    out.print(f"[green]✓[/green] Database: {escape(state.summary())}", highlight=False, soft_wrap=True)


@command
def checklist(
    config: ConfigOption = None,
    runbook: Annotated[str | None, typer.Option("--runbook", "-r", help="Only this runbook's items.")] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print Markdown (for a wiki or a campaign tool), not a table.")
    ] = False,
    team: TeamOption = None,
) -> None:
    """Print the pre-flight checklist past retrospectives taught, most often learnt first."""
    from bot.checklist_output import markdown as as_markdown
    from bot.checklist_output import table
    from bot.store import Store
    from bot.usecases.checklists import Query, checklist_of

    cfg = load_config(config)
    engine, chosen = workspace_database(cfg, config, team)
    try:
        with Store(engine).read(chosen) as repo:
            found = checklist_of(repo, Query(runbook=runbook), cfg.checklists.merge_threshold)
    finally:
        engine.dispose()
    if markdown:
        sys.stdout.write(as_markdown(found, cfg.team.tz))
        return
    out = console()
    out.print(table(found, cfg.team.tz))
    if not found.items:
        out.print("Nothing learnt yet: each retrospective's checklist items land here.")


app.add_typer(history_app, name="history", short_help="Past incidents: search, show, export, import.")
app.add_typer(report_app, name="report", short_help="Reports: the weekly summary.")


@command
def demo(
    config: ConfigOption = None,
    keep: Annotated[
        Path | None, typer.Option(help="Keep the demo's SQLite database at this path (default: a temp file).")
    ] = None,
) -> None:
    """Run one realistic incident through the real bot against a local Slack emulator, and print it."""
    from bot.demo import run_demo

    cfg = load_config(config)
    run_demo(cfg, console(), keep=keep)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
