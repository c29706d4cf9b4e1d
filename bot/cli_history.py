"""`oops history …`: search past incidents, show one whole, export the history, import one.

Registered by bot.cli. Like it, only typer is imported up front.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_common import ConfigOption, TeamOption, console, load_config, workspace_database

history_app = typer.Typer(
    help="Look through past incidents: search, show one, export the history, import one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@history_app.command("search", short_help="Find past incidents by their words, lessons and filters.")
def history_search(
    words: Annotated[list[str], typer.Argument(help='Words, "a phrase", welc*, runbook:ID, status:open, …')],
    config: ConfigOption = None,
    team: TeamOption = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many incidents to show.")] = 10,
) -> None:
    """Find past incidents by their words and lessons: words, "phrases", prefix*, filters."""
    from bot.history_output import table
    from bot.store import Store
    from bot.store.search_query import parse
    from bot.usecases.history import search_in

    cfg = load_config(config)
    text = " ".join(words)
    if parse(text).empty:
        console(stderr=True).print(
            "Give some words or a filter (runbook:, scale:, decision:, status:, since:, before:, by:)."
        )
        raise typer.Exit(2)
    engine, chosen = workspace_database(cfg, config, team)
    try:
        with Store(engine).read(chosen) as repo:
            results = search_in(repo, text, cfg.team.tz, limit=limit)
    finally:
        engine.dispose()
    out = console()
    if not results.hits:
        out.print(
            f"No past incident matches {text!r}. Try fewer words, a prefix such as welc*, or no filters."
        )
        return
    if results.partial:
        out.print("No past incident has all of those words; these have some of them, most first.")
    out.print(table(results, cfg.team.tz, text))
    if results.more:
        out.print(f"Showing the best {len(results.hits)}; narrow the search or raise --limit.")


@history_app.command("show", short_help="Print one incident whole, with its decision log.")
def history_show(
    ref: Annotated[str, typer.Argument(help="The incident: OOPS-7, or 7.")],
    config: ConfigOption = None,
    team: TeamOption = None,
) -> None:
    """Print one incident whole: what happened, the scale, who was told, the decision, the apology,
    the retrospective and its decision log."""
    from bot.record_output import render
    from bot.runtime import load_team_runbooks
    from bot.store import Store
    from bot.usecases.archive import record

    cfg = load_config(config)
    engine, chosen = workspace_database(cfg, config, team)
    try:
        with Store(engine).read(chosen) as repo:
            found = record(repo, ref)
    finally:
        engine.dispose()
    if found is None:
        console(stderr=True).print(
            f"No incident {ref!r} in this workspace. `oops history search WORDS` finds one by its words.",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    try:
        runbooks = load_team_runbooks(cfg)
    except ValueError:
        runbooks = {}  # the record is shown all the same, with answers by question id
    console().print(render(found, cfg.team.tz, runbooks))


@history_app.command("export", short_help="Write the history as JSON Lines (everything) or CSV (a summary).")
def history_export(
    config: ConfigOption = None,
    team: TeamOption = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="jsonl: everything, for `oops history import`; csv: a summary."),
    ] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write this file (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output when it exists.")] = False,
) -> None:
    """Write the workspace's history: JSON Lines (every record whole) or CSV (one summary row each)."""
    from bot.store import Store
    from bot.usecases.archive import jsonl, write_csv

    if fmt not in ("jsonl", "csv"):
        console(stderr=True).print(f"--format is jsonl or csv, not {fmt!r}.", markup=False)
        raise typer.Exit(2)
    if output is not None and output.exists() and not force:
        console(stderr=True).print(f"{output} exists: add --force to overwrite it.", markup=False)
        raise typer.Exit(1)
    cfg = load_config(config)
    engine, chosen = workspace_database(cfg, config, team)
    partial = output.with_name(output.name + ".partial") if output is not None else None
    try:
        with Store(engine).read(chosen) as repo:
            # A file is written beside its place and moved there whole: never half an export.
            out = partial.open("w", encoding="utf-8", newline="") if partial is not None else sys.stdout
            try:
                if fmt == "csv":
                    write_csv(repo, out)
                else:
                    out.writelines(jsonl(repo))
            finally:
                if out is not sys.stdout:
                    out.close()
        if partial is not None and output is not None:
            partial.replace(output)
    finally:
        engine.dispose()
        if partial is not None:
            partial.unlink(missing_ok=True)


@history_app.command("import", short_help="Add a JSON Lines history; what is already there is left alone.")
def history_import(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file from `oops history export`.")],
    config: ConfigOption = None,
    team: TeamOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count, write nothing.")] = False,
) -> None:
    """Add a history exported by `oops history export` (JSON Lines) to this workspace; what is
    already there is left alone, so importing a file twice adds nothing."""
    from bot.store import Store
    from bot.usecases.archive import ArchiveError, import_records, read

    err = console(stderr=True)
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            records = read(handle, file.name)
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"Cannot read {file}: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except ArchiveError as exc:
        err.print(f"{exc}\nNothing was imported.", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if not records:
        console().print(f"{file} holds no incidents: nothing to import.", markup=False, highlight=False)
        return
    cfg = load_config(config)
    engine, chosen = workspace_database(cfg, config, team, prepare=not dry_run)
    teams = sorted({r.team for r in records})
    if not chosen and len(teams) == 1:
        chosen = teams[0]  # an empty database: the file's own workspace
    elif not chosen:
        engine.dispose()
        err.print(
            "The database holds no workspace yet: name the one to import into with --team.", markup=False
        )
        raise typer.Exit(2)
    try:
        with Store(engine).transaction(chosen) as repo:
            summary = import_records(repo, records, dry_run=dry_run)
    finally:
        engine.dispose()
    out = console()
    for line in summary.lines():
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if dry_run:
        out.print("Dry run: nothing was written.")
