"""The weekly summary bench (bench/digest.py) works at a tiny size: the filled-in history gives a
summary with every kind of figure, each timing sits beside its floor, and the post lands in the
emulator's digest channel. Speed is never asserted."""

from __future__ import annotations

from pathlib import Path

from bench.digest import digest_database, digest_lines, measure_post, measure_summary
from bench.history_data import END, TEAM_ID
from bot.config import load_config
from bot.runbook import load_runbooks
from bot.runbook.weeks import Week
from bot.store import Store, make_engine
from bot.usecases.digest import summarize_in

ROOT = Path(__file__).resolve().parent.parent
TINY = 400  # about three incidents a week over the bench's three years


def test_the_filled_history_feeds_every_figure_and_is_cached(tmp_path: Path) -> None:
    url, cached, _ = digest_database(TINY, cache=tmp_path)
    assert not cached and digest_database(TINY, cache=tmp_path)[1]
    config = load_config(ROOT / "app.yaml", env={})
    store = Store(make_engine(url))
    try:
        with store.read(TEAM_ID) as repo:
            # Five weeks from the end of the history: its incidents' retrospectives and items are done.
            summaries = [
                summarize_in(
                    repo, config, load_runbooks(ROOT / "runbooks"), week, week.bounds(config.team.tz)[1]
                )
                for week in (Week.of(END.date()).shift(-k) for k in range(5, 30))
            ]
    finally:
        store.engine.dispose()
    assert sum(s.mistakes for s in summaries) > 0
    assert any(s.people_affected and s.money_at_stake for s in summaries)
    assert any(s.to_decision for s in summaries) and any(s.to_apology for s in summaries)
    assert any(s.retros_held for s in summaries) and any(s.actions_done for s in summaries)
    assert any(s.watched and s.complaints for s in summaries)
    assert any(s.recurring_causes for s in summaries)

    run = measure_summary(url, TINY, weeks=2, reps=1)
    assert len(run.summary) == len(run.floor) == 2 and run.ratio() is not None
    posting = measure_post(incidents=30, reps=1)
    assert len(posting.post) == len(posting.bare) == 1 and posting.ratio() is not None
    table = "\n".join(digest_lines([run], posting))
    for line in (
        "summary p50 / p95",
        "floor: COUNT(*) of the week p50",
        "summary ÷ floor",
        "bare chat.postMessage",
    ):
        assert line in table
