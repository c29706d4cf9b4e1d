"""The history bench (bench/search.py) works at a tiny size: every figure is produced, the planted
incidents are where it says, and recall is counted against the labelled set (a wrong answer key or a
lookup that finds nothing gives lower recall, an oracle full recall). Speed is never asserted."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench import labelled
from bench.history_data import TEAM_ID
from bench.search import (
    SearchBench,
    SearchRun,
    measure,
    measure_recall,
    measure_similar,
)
from bench.search_build import Built, build_into, sqlite_database
from bench.search_queries import KINDS, queries
from bench.search_report import render_search, search_markdown
from bot.store import Repo, Store, make_engine

TINY = 120  # the planted incidents (and as many made-up ones) at least


@pytest.fixture
def built(database_url: str) -> Built:
    return build_into(database_url, TINY)


def _oracle(built: Built) -> Any:
    by_title = {r.title: r.key for r in labelled.REPORTS}

    def similar_in(
        repo: Repo, title: str, details: str, runbook_id: str, *, exclude_id: Any, limit: int
    ) -> Sequence[int]:
        assert repo.team == TEAM_ID and details and runbook_id and limit == 3 and exclude_id is None
        return [built.planted[by_title[title]]] if title in by_title else []

    return similar_in


def test_every_figure_is_produced_and_the_planted_incidents_are_where_it_says(built: Built) -> None:
    run = measure(built, "db", reps=1, similar=_oracle(built))
    assert len(queries()) - len(labelled.QUERIES) >= 200
    for kind in KINDS:
        expected = sum(1 for k, _ in queries() if k == kind)
        assert len(run.search[kind]) == len(run.like[kind]) == expected, kind
    assert set(run.checklist) == {*built.runbooks, "all"}
    assert run.bytes_total and run.bytes_total > 0
    assert run.similar
    store = Store(make_engine(built.url))
    with store.read(TEAM_ID) as repo:
        for planted in (*labelled.TARGETS, *labelled.NEAR):
            incident = repo.incident(built.planted[planted.key])
            assert incident is not None and incident.title == planted.title
    store.engine.dispose()
    # The search finds some targets first (the set is findable), and every labelled query was asked.
    assert set(run.search_recall.ranks) == {q.text for q in labelled.QUERIES}
    assert run.search_recall.at(1) and run.search_recall.at(3) >= run.search_recall.at(1)  # type: ignore[operator]
    assert run.similar_recall.at(1) == 1.0
    out = io.StringIO()
    render_search(SearchBench([run]), Console(file=out, width=200))
    text = out.getvalue()
    assert f"db {TINY:,}" in text and "labelled (50)" in text
    for line in ("search p50 / p95", "LIKE ÷ search", "recall@1 / @3", "MB per 1,000 incidents"):
        assert line in text
    assert "| similar recall@1 / @3 | 1.00 / 1.00" in search_markdown(SearchBench([run]))


def test_recall_is_counted_against_the_labelled_answers(built: Built) -> None:
    store = Store(make_engine(built.url))
    try:
        right, wrong = SearchRun("db", TINY), SearchRun("db", TINY)
        measure_recall(store, built, right)
        values = list(built.planted.values())
        shifted = dict(zip(built.planted, [*values[1:], values[0]], strict=True))
        measure_recall(store, dataclasses.replace(built, planted=shifted), wrong)
        assert set(wrong.search_recall.ranks) == set(right.search_recall.ranks)
        assert (wrong.search_recall.at(3) or 0) < (right.search_recall.at(3) or 0)
        measure_similar(store, built, wrong, lambda *a, **k: [], reps=1)
        assert wrong.similar_recall.at(3) == 0.0 and len(wrong.similar_recall.ranks) == len(labelled.REPORTS)
    finally:
        store.engine.dispose()


def test_a_sqlite_history_is_built_once_then_read_from_the_cache(tmp_path: Path) -> None:
    first = sqlite_database(TINY, cache=tmp_path)
    again = sqlite_database(TINY, cache=tmp_path)
    assert not first.cached and again.cached and again.url == first.url and again.planted == first.planted
    assert [p.name for p in tmp_path.iterdir()] == [Path(first.url.split("///")[1]).name]
