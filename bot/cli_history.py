"""`oops history …`: search past incidents.

Registered by bot.cli. Like it, only typer is imported up front.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli_common import ConfigOption, TeamOption, console, load_config, workspace_database

history_app = typer.Typer(
    help="Look through past incidents.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@history_app.command("search")
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
    out.print(table(results, cfg.team.tz, text))
    if results.more:
        out.print(f"Showing the best {len(results.hits)}; narrow the search or raise --limit.")
