"""The history bench's tables: one column per database and size, each of issue 7's targets judged on
the largest SQLite history (the embedded default); then p50/p95 by query kind, and the labelled queries
the search missed, so the slow kinds and the weak spots are in sight."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from bench.search import SearchBench, SearchRun, percentile
from bench.search_queries import KINDS

SEARCH_P95_MS = 20.0
LIKE_RATIO = 10.0
RECALL_AT_3 = 0.9

Cell = Callable[[SearchRun], str]


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:,.1f} ms"


def _ratio(run: SearchRun, p: float) -> float | None:
    s, like = percentile(run.all_search(), p), percentile(run.all_like(), p)
    return like / s if s and like is not None else None


def _recall(run: SearchRun, which: str) -> str:
    recall = run.search_recall if which == "search" else run.similar_recall
    r1, r3 = recall.at(1), recall.at(3)
    return "" if r1 is None or r3 is None else f"{r1:.2f} / {r3:.2f} (n={len(recall.ranks)})"


def _size(run: SearchRun) -> str:
    if not run.bytes_total:
        return ""
    per = run.bytes_total / run.size * 1000 / 1e6
    search = f" ({run.bytes_search / run.size * 1000 / 1e6:.2f})" if run.bytes_search else ""
    return f"{per:.2f}{search}"


def _checklist(run: SearchRun) -> str:
    if not run.checklist:
        return ""
    slowest = max(v for k, v in run.checklist.items() if k != "all")
    return f"{_ms(slowest)} / {_ms(run.checklist.get('all'))}"


ROWS: tuple[tuple[str, Cell], ...] = (
    ("build (s)", lambda r: "cached" if r.cached else f"{r.build_seconds:.0f} s"),
    (
        "search p50 / p95",
        lambda r: f"{_ms(percentile(r.all_search(), 50))} / {_ms(percentile(r.all_search(), 95))}",
    ),
    (
        "LIKE scan p50 / p95",
        lambda r: (
            f"{_ms(percentile(r.all_like(), 50))} / {_ms(percentile(r.all_like(), 95))}"
            if r.like
            else "not run"
        ),
    ),
    (
        "LIKE ÷ search, p50 / p95",
        lambda r: f"{_ratio(r, 50) or 0:.1f}× / {_ratio(r, 95) or 0:.1f}×" if r.like else "",
    ),
    ("similar lookup p95", lambda r: _ms(percentile(r.similar, 95))),
    ("checklist: slowest runbook / all", _checklist),
    ("MB per 1,000 incidents (search)", _size),
    ("search recall@1 / @3", lambda r: _recall(r, "search")),
    ("similar recall@1 / @3", lambda r: _recall(r, "similar")),
)


def _verdicts(run: SearchRun | None) -> dict[str, tuple[str, bool | None]]:
    if run is None:
        return {}
    p95 = percentile(run.all_search(), 95)
    ratio = _ratio(run, 95)
    s3, m3 = run.search_recall.at(3), run.similar_recall.at(3)
    at = f", {run.size:,}"
    return {
        "search p50 / p95": (
            f"p95 < {SEARCH_P95_MS:.0f} ms{at}",
            None if p95 is None else p95 * 1000 < SEARCH_P95_MS,
        ),
        "LIKE ÷ search, p50 / p95": (
            f"p95 ≥ {LIKE_RATIO:.0f}×{at}",
            None if ratio is None else ratio >= LIKE_RATIO,
        ),
        "search recall@1 / @3": (f"@3 ≥ {RECALL_AT_3}", None if s3 is None else s3 >= RECALL_AT_3),
        "similar recall@1 / @3": (
            f"@3 ≥ {RECALL_AT_3}",
            None if m3 is None else m3 >= RECALL_AT_3,
        ),
    }


def _judged(bench: SearchBench) -> SearchRun | None:
    sqlite = [r for r in bench.runs if r.database == "SQLite" and not r.skipped]
    return max(sqlite, key=lambda r: r.size) if sqlite else None


def _largest_each(bench: SearchBench) -> list[SearchRun]:
    """Each database's largest history: where the labelled misses are listed."""
    largest: dict[str, SearchRun] = {}
    for run in bench.runs:
        if not run.skipped and run.size >= largest.get(run.database, run).size:
            largest[run.database] = run
    return list(largest.values())


def _misses(run: SearchRun) -> list[str]:
    notes = []
    ranks = run.search_recall.ranks
    if run.search_recall.misses:
        missed = "; ".join(
            f"“{q}” ({'rank ' + str(ranks[q]) if ranks[q] else 'not in top 10'})"
            for q in run.search_recall.misses
        )
        notes.append(f"labelled queries not in the top 3 at {run.label}: {missed}")
    if run.similar_recall.misses:
        notes.append(
            f"similar reports not in the top 3 at {run.label}: "
            + "; ".join(f"“{q}”" for q in run.similar_recall.misses)
        )
    return notes


def _by_kind(run: SearchRun, kind: str) -> str:
    s = run.search.get(kind)
    if not s:
        return ""
    like = run.like.get(kind)
    tail = f" ({_ms(percentile(like, 95))})" if like else ""
    return f"{_ms(percentile(s, 50))} / {_ms(percentile(s, 95))}{tail}"


def tables(bench: SearchBench) -> tuple[list[str], list[list[str]], list[list[str]], list[str]]:
    """Header, summary rows (measure, one cell a run, target, met?), kind rows, and notes."""
    shown = [r for r in bench.runs if not r.skipped]
    verdicts = _verdicts(_judged(bench))
    header = ["measure", *(r.label for r in shown), "target", "met?"]
    summary = []
    for name, cell in ROWS:
        target, met = verdicts.get(name, ("", None))
        summary.append(
            [name, *(cell(r) for r in shown), target, "" if met is None else ("met" if met else "not met")]
        )
    kinds = []
    for kind in KINDS:
        counts = {len(r.search.get(kind, [])) for r in shown}
        if counts - {0}:
            kinds.append([f"{kind} ({max(counts)})", *(_by_kind(r, kind) for r in shown)])
    notes = [f"{r.label}: skipped ({r.skipped})" for r in bench.runs if r.skipped]
    for run in _largest_each(bench):
        notes += _misses(run)
    return header, summary, kinds, notes


def render_search(bench: SearchBench, console: Console, *, by_kind: bool = True) -> None:
    if not bench.runs:
        return
    header, summary, kinds, notes = tables(bench)
    table = Table(title="History search (bench/search.py)", title_justify="left")
    for n, name in enumerate(header):
        table.add_column(name, justify="left" if n == 0 or n >= len(header) - 2 else "right")
    for row in summary:
        met = row[-1]
        row[-1] = {"met": "[green]met[/green]", "not met": "[red]not met[/red]"}.get(met, met)
        table.add_row(*row)
    console.print(table)
    if by_kind and kinds:
        per = Table(title="Search p50 / p95 by query kind (LIKE p95)", title_justify="left")
        for n, name in enumerate(header[:-2]):
            per.add_column("kind (queries)" if n == 0 else name, justify="left" if n == 0 else "right")
        for row in kinds:
            per.add_row(*row)
        console.print(per)
    for note in notes:
        console.print(f"[dim]{note}[/dim]")


def search_markdown(bench: SearchBench) -> str:
    if not bench.runs:
        return ""
    header, summary, kinds, notes = tables(bench)
    lines = [
        "",
        "History search (bench/search.py)",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "--:|" * (len(header) - 3) + "---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in summary]
    lines += [
        "",
        "| kind (queries) | " + " | ".join(header[1:-2]) + " |",
        "|---|" + "--:|" * (len(header) - 3),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in kinds]
    lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"
