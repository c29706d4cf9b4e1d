"""The bench's results as rows beside their floor, with issue 6's targets met or not, printed with rich."""

from __future__ import annotations

import dataclasses
import json
import statistics
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.digest import digest_lines
from bench.run import BenchResults
from bench.search_report import render_search, search_markdown
from bench.sweep import lines as sweep_lines

ACK_P99_RATIO = 1.5  # bot's p99 at the highest concurrency / bare app's
HISTORY_RATIO = 1.2  # resume and opening at the large history / at the small one
HELP_SECONDS = 0.4
FIRST_ACK_SECONDS = 0.6
MEMORY_GROWTH_MB = 10.0


@dataclass
class Row:
    section: str
    measure: str
    value: float | None  # the bot's figure (for history rows: at the large size)
    floor: float | None = None  # what it is compared with (the bare app, or the small history)
    unit: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _n(count: int) -> str:
    return f"{count:,}"


def _ack_rows(results: BenchResults) -> list[Row]:
    bot, bare = results.acks.get("oops"), results.acks.get("bare")
    if bot is None or bare is None:
        return []
    section = (
        f"/oops acknowledged over HTTP, {results.plan.ack_per_level} requests a level (floor: bare Bolt)"
    )
    rows: list[Row] = []
    top = max(bot.levels)
    for level in sorted(bot.levels):
        rows.append(
            Row(section, f"p50 at {level} concurrent", bot.levels[level].p50, bare.levels[level].p50, "ms")
        )
        row = Row(section, f"p99 at {level} concurrent", bot.levels[level].p99, bare.levels[level].p99, "ms")
        if level == top:
            row.target = f"≤ {ACK_P99_RATIO}× bare"
            row.met = row.ratio is not None and row.ratio <= ACK_P99_RATIO
        rows.append(row)
    rows.append(
        Row(section, "CPU per /oops (ack + modal), server process", bot.cpu_per_ack, bare.cpu_per_ack, "ms")
    )
    rows.append(
        Row(
            section,
            "CPU per /oops of the stand-in (emulator + load generator)",
            bot.stand_in_cpu_per_ack,
            bare.stand_in_cpu_per_ack,
            "ms",
        )
    )
    return rows


def _startup_rows(results: BenchResults) -> list[Row]:
    s = results.startup
    section = f"Start-up, median of {results.plan.startup_runs - 1} restarts (floor: bare Python / bare Bolt)"
    help_wall = _median(s.help.wall)
    first = _median(s.first_ack["oops"].wall)
    return [
        Row(
            section,
            "oops --help, wall",
            help_wall,
            _median(s.python.wall),
            "s",
            f"< {HELP_SECONDS} s",
            help_wall is not None and help_wall < HELP_SECONDS,
        ),
        Row(section, "oops --help, CPU", _median(s.help.cpu), _median(s.python.cpu), "s"),
        Row(
            section,
            "serve --http (restart) → first signed ack, wall",
            first,
            _median(s.first_ack["bare"].wall),
            "s",
            f"< {FIRST_ACK_SECONDS} s",
            first is not None and first < FIRST_ACK_SECONDS,
        ),
        Row(
            section,
            "serve --http (restart) → first signed ack, CPU",
            _median(s.first_ack["oops"].cpu),
            _median(s.first_ack["bare"].cpu),
            "s",
        ),
        Row(
            section,
            "serve --http (first start: creates the database) → first ack, wall",
            _median(s.first_ack_new["oops"].wall),
            _median(s.first_ack_new["bare"].wall),
            "s",
        ),
    ]


def _history_rows(results: BenchResults) -> list[Row]:
    small, big = results.plan.history_sizes
    h = results.history
    if small not in h.resume or big not in h.resume:
        return []
    section = f"History (SQLite), median of {results.plan.history_reps}: {_n(big)} incidents vs {_n(small)}"
    rows = []
    for name, samples in (
        ("/oops resume OOPS-N", h.resume),
        ("opening (report → decision prompt)", h.opening),
    ):
        for kind in ("wall", "CPU"):
            attr = "wall_median" if kind == "wall" else "cpu_median"
            row = Row(
                section, f"{name}, {kind}", getattr(samples[big], attr), getattr(samples[small], attr), "ms"
            )
            row.target = f"≤ {HISTORY_RATIO}× at {_n(small)}"
            row.met = row.ratio is not None and row.ratio <= HISTORY_RATIO
            rows.append(row)
    return rows


def _walk_rows(results: BenchResults) -> list[Row]:
    section = f"Whole incident (the demo's story), /oops to closed, median of {results.plan.walks}"
    rows = []
    for walk in results.walks:
        if walk.skipped:
            rows.append(Row(section, f"{walk.backend}: skipped ({walk.skipped})", None))
            continue
        rows.append(Row(section, f"{walk.backend}, wall", _median(walk.wall), unit="s"))
        rows.append(Row(section, f"{walk.backend}, CPU (bot threads)", _median(walk.cpu), unit="s"))
    return rows


def _memory_rows(results: BenchResults) -> list[Row]:
    m = results.memory
    small, big = results.plan.memory_sizes
    if small not in m.by_size or big not in m.by_size:
        return []
    each = m.touched[big] // 2
    section = f"Resident memory of oops serve (at each size: {each} resumed, {each} opened)"
    growth = m.by_size[big] - m.by_size[small]
    return [
        Row(section, "no history yet (after the ack bench and one incident)", m.idle_mb, unit="MB"),
        Row(section, f"with {_n(small)} closed incidents", m.by_size[small], unit="MB"),
        Row(section, f"with {_n(big)} closed incidents", m.by_size[big], unit="MB"),
        Row(
            section,
            f"growth {_n(small)} → {_n(big)}",
            growth,
            unit="MB",
            target=f"≤ {MEMORY_GROWTH_MB:.0f} MB",
            met=growth <= MEMORY_GROWTH_MB,
        ),
    ]


def _trip_rows(results: BenchResults) -> list[Row]:
    rows = []
    for trips in results.round_trips:
        section = f"Round trips per {trips.what}, mean of {trips.samples}"
        others = ", ".join(
            f"{verb} {n:g}" for verb, n in trips.statements.items() if verb not in ("SELECT", "BEGIN")
        )
        calls = ", ".join(f"{method} {n:g}" for method, n in trips.slack_calls.items())
        rows += [
            Row(section, "database transactions", trips.transactions),
            Row(section, "SELECT statements", trips.selects),
            Row(
                section,
                f"other statements ({others or 'none'})",
                sum(n for verb, n in trips.statements.items() if verb not in ("SELECT", "BEGIN")),
            ),
            Row(section, f"Slack Web API calls ({calls or 'none'})", trips.slack_total),
            Row(section, "of which repeat an earlier call exactly", trips.repeated_calls),
        ]
    return rows


def rows(results: BenchResults) -> list[Row]:
    return [
        *_ack_rows(results),
        *_startup_rows(results),
        *_history_rows(results),
        *_walk_rows(results),
        *_memory_rows(results),
        *_trip_rows(results),
    ]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    match unit:
        case "ms":
            return f"{value * 1000:,.1f} ms"
        case "s":
            return f"{value:.2f} s"
        case "MB":
            return f"{value:,.1f} MB"
        case _:
            return f"{value:g}"


def render(results: BenchResults, console: Console) -> None:
    plan = results.plan
    console.print(f"[bold]oops bench[/bold] ({plan.name} plan)")
    console.print(f"machine: {results.machine.line()}")
    console.print(
        "set-up: the bot over HTTP (waitress + Bolt, signed requests) ↔ local Slack emulator, template "
        "drafter; floor: a bare Bolt app (bench/bare.py) served the same way."
    )
    table = Table(show_lines=False, expand=False)
    for column, justify in (
        ("measure", "left"),
        ("oops", "right"),
        ("floor", "right"),
        ("ratio", "right"),
        ("target", "left"),
        ("met?", "left"),
    ):
        table.add_column(column, justify=justify, no_wrap=column != "measure")  # type: ignore[arg-type]
    section = None
    for row in rows(results):
        if row.section != section:
            if section is not None:
                table.add_section()
            table.add_row(row.section, style="bold")
            section = row.section
        ratio = row.ratio
        verdict = "" if row.met is None else ("[green]met[/green]" if row.met else "[red]not met[/red]")
        table.add_row(
            "  " + row.measure,
            _fmt(row.value, row.unit),
            _fmt(row.floor, row.unit),
            f"{ratio:.2f}×" if ratio is not None else "",
            row.target,
            verdict,
        )
    console.print(table)
    render_search(results.search, console)
    if results.digest:
        console.print("\n".join(digest_lines(results.digest, results.digest_post)), markup=False)
    if results.sweeps:
        title = ["", "The minute sweep, nothing due"]
        console.print("\n".join([*title, *sweep_lines(results.sweeps)]), markup=False)
    console.print(
        "[dim]CPU: the served process's own (from /proc) for acks and start-up; the bot's threads only "
        "(waitress, Bolt listeners, scheduler) when it runs beside the emulator. Latency and wall times "
        "depend on what else the machine runs: see the load above.[/dim]"
    )


def to_markdown(results: BenchResults) -> str:
    """The same table as Markdown, with its machine line, for the README."""
    lines = [
        f"Machine: {results.machine.line()}. Plan: {results.plan.name}.",
        "",
        "| measure | oops | floor | ratio | target | met? |",
        "|---|--:|--:|--:|---|---|",
    ]
    section = None
    for row in rows(results):
        if row.section != section:
            lines.append(f"| **{row.section}** | | | | | |")
            section = row.section
        ratio = row.ratio
        verdict = "" if row.met is None else ("met" if row.met else "**not met**")
        lines.append(
            f"| {row.measure} | {_fmt(row.value, row.unit)} | {_fmt(row.floor, row.unit)} | "
            f"{f'{ratio:.2f}×' if ratio is not None else ''} | {row.target} | {verdict} |"
        )
    digest = (
        "\n" + "\n".join(digest_lines(results.digest, results.digest_post)) + "\n" if results.digest else ""
    )
    sweeps = "\n" + "\n".join(sweep_lines(results.sweeps)) + "\n" if results.sweeps else ""
    return "\n".join(lines) + "\n" + search_markdown(results.search) + digest + sweeps


def to_json(results: BenchResults) -> str:
    def default(value: Any) -> Any:
        return str(value)

    return json.dumps(dataclasses.asdict(results), indent=2, default=default)
