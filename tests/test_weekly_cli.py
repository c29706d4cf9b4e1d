"""`oops report weekly`: the summary of a week in the terminal, as Markdown, or posted now; a week
that is not one is refused with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.slack_helpers as h
from bot.store import make_engine, migrate
from slack_emulator import SlackEmulator
from tests.cli_helpers import oops
from tests.weekly_helpers import write_history


@pytest.fixture
def history(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'oops.db'}"
    engine = make_engine(url)
    migrate(engine, h.TEAM_ID)
    write_history(engine)
    engine.dispose()
    return url


def test_report_weekly_prints_the_weeks_figures(history: str) -> None:
    result = oops("report", "weekly", "--week", "2026-W47", OOPS_DATABASE_URL=history)
    assert result.exit_code == 0, result.output
    for shown in (
        "Weekly summary 2026-W47 · 16–22 Nov 2026",
        "4 mistakes · by scale: huge 1 · big 1 · small 2",
        "27,578 people affected · £250.50 at stake",
        "▆▁▃▅█",
    ):
        assert shown in result.output, shown
    older = oops("report", "weekly", "--week", "2026-W44", OOPS_DATABASE_URL=history)
    assert older.exit_code == 0 and "No mistakes reported in 2026-W44" in older.output


def test_markdown_is_written_to_the_file(history: str, tmp_path: Path) -> None:
    out = tmp_path / "week.md"
    result = oops("report", "weekly", "--week", "2026-W47", "--markdown", str(out), OOPS_DATABASE_URL=history)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Weekly summary 2026-W47 · 16–22 Nov 2026\n")
    assert "- **Decisions taken**: Correct it 1 · Make it big 1 · No action 1" in text


@pytest.mark.parametrize("week", ["2026-W60", "next week", "47"])
def test_a_bad_week_exits_2_saying_how_to_write_one(history: str, week: str) -> None:
    result = oops("report", "weekly", "--week", week, OOPS_DATABASE_URL=history)
    assert result.exit_code == 2
    assert "2026-W47" in result.output or "has no week 60" in result.output


def test_post_needs_the_bot_token(history: str) -> None:
    result = oops("report", "weekly", "--post", OOPS_DATABASE_URL=history)
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output


def test_post_posts_to_the_digest_channel_now(history: str) -> None:
    with SlackEmulator(channels={"C0WEEKLY": "oops-weekly"}) as emulator:
        result = oops(
            "report",
            "weekly",
            "--week",
            "2026-W47",
            "--post",
            OOPS_DATABASE_URL=history,
            SLACK_BOT_TOKEN=emulator.bot_token,
            SLACK_API_URL=emulator.base_url,
        )
        assert result.exit_code == 0, result.output
        assert "Posted the summary of 2026-W47 to #oops-weekly" in result.output
        (post,) = emulator.messages("C0WEEKLY")
        assert "4 mistakes" in h.blocks_text(post)
