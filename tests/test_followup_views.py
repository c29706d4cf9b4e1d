"""The follow-ups' Block Kit (reminders to people, overdue, the watch and its modal) within Slack's
limits with the longest titles and figures, people's text escaped, and overdue shown on the thread."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runbook.incident import Status
from bot.slack import ids
from bot.slack.views import render_view
from bot.slack.views.followup import watch_modal
from bot.slack.views.thread import RENDERERS
from bot.usecases.retro_followup import RetroNudge, RetroOverdue, RetroSettled
from bot.usecases.watch import Figures, WatchAsk, WatchNote

try:  # tests/ may or may not become a package; work either way
    from tests import test_views_limits as limits
except ImportError:
    import test_views_limits as limits  # type: ignore[no-redef]

TZ = ZoneInfo("Europe/London")
AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TITLE = limits._long(limits.MENTION, 150)
BIG = Figures(10_000_000, 10_000_000, 10_000_000)


def _views() -> list[object]:
    nudges = [
        RetroNudge(7, "OOPS-7", TITLE, AT, AT + timedelta(days=2), TZ, link, again, person)
        for link in ("", "https://whey.slack.com/archives/C0OOPS/p1700000000000100")
        for again in (False, True)
        for person in (None, "U0AILSA")
    ]
    return [
        *nudges,
        RetroOverdue(7, "OOPS-7", AT, TZ),
        RetroSettled("OOPS-7", True, None, TZ),
        RetroSettled("OOPS-7", False, AT, TZ),
        WatchAsk(7, "OOPS-7", AT),
        WatchAsk(7, "OOPS-7", AT, BIG, "U0MARC"),
        *(
            WatchNote(7, "OOPS-7", BIG, "U0MARC", 12, reassess, can)
            for reassess in (False, True)
            for can in (False, True)
        ),
    ]


def test_every_followup_message_fits_and_escapes_peoples_text() -> None:
    for view in _views():
        text, blocks = render_view(view)
        limits._check_message((text, blocks), type(view).__name__)
        for mrkdwn in limits._mrkdwn_texts(blocks):
            assert not limits._stray_angles(mrkdwn), (type(view).__name__, mrkdwn)


def test_the_figures_modal_fits_with_and_without_figures() -> None:
    for figures in (None, BIG):
        view = watch_modal(7, "OOPS-7", figures)
        limits._check_modal(view, "watch_modal")
        assert view["callback_id"] == ids.WATCH_VIEW
        assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
            "complaints",
            "unsubscribes",
            "replies",
        ]


def test_a_reminded_retrospective_offers_move_it_and_says_when_it_is_overdue() -> None:
    runbook = limits._extreme_runbook()
    due = limits.STATES["retro due"](limits._base(runbook))
    reminder = RENDERERS["reminder"](due)
    limits._check_message(reminder, "reminder")
    said = str(reminder[1])
    assert ids.RETRO_MOVE in said and ids.RETRO_MOVE_WHEN in said and "Overdue" not in said
    late = dataclasses.replace(due, overdue_since=AT)
    for kind in ("reminder", "header"):
        rendered = RENDERERS[kind](late)
        limits._check_message(rendered, kind)
        assert "verdue since Thu 26 Nov 2026, 10:00 GMT" in str(rendered[1]), kind
    assert due.status is Status.RETRO_DUE
