"""`make bench` (python -m bench): what the bot costs, each figure beside its floor, in one run.

The floor is a bare Bolt app (bench/bare.py) that only acknowledges /oops and opens a view, served by
the same waitress set-up against the same local Slack emulator; a long history's floor is a short one.
Figures are printed, never asserted in tests: timings on a shared machine make flaky tests, not
information. ``--quick`` is a smoke run at small sizes (its ratios are not issue 6's targets' sizes).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from rich.console import Console

from bench.report import render, to_json, to_markdown
from bench.run import FULL, QUICK, run


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run at small sizes")
    parser.add_argument("--json", type=Path, help="also write every raw figure to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown (for the README)")
    args = parser.parse_args()
    # The in-process bot logs each request at INFO; the bench prints only its table.
    logging.basicConfig(level=logging.WARNING)
    console = Console()
    if not console.is_terminal:  # piped or in CI: wide enough that the table does not wrap
        console = Console(width=132)
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    with console.status(f"benching ({plan.name} plan)…"):
        results = run(plan)
    render(results, console)
    console.print(f"[dim]bench took {time.monotonic() - started:.0f} s[/dim]")
    if args.json:
        args.json.write_text(to_json(results) + "\n")
    if args.markdown:
        args.markdown.write_text(to_markdown(results))


if __name__ == "__main__":
    main()
