"""Exactly once: a scheduled post is recorded under its key before it is made, so running it again,
from two threads at once, after a refusal or after a run that died mid-post, never posts twice and
never loses it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.demo import DemoBot
from bot.slack.messenger import SlackMessenger
from bot.slack.views.registry import draws
from bot.slack.workspaces import slack_client
from bot.store.runs import Runs, refusals
from bot.store.tables import JobRun
from bot.usecases.context import Env
from bot.usecases.once import MAX_ATTEMPTS, STALE, post_once, ran
from bot.usecases.ports import Marker, PostRef, Undelivered

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]

CHANNEL = "C0OOPS"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Line:
    """A one-line post, drawn by the registry like the bot's own view models."""

    text: str


@draws(Line)
def _line(view: Line) -> tuple[str, list[dict[str, Any]]]:
    return view.text, [{"type": "section", "text": {"type": "plain_text", "text": view.text}}]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _poster(bot: DemoBot, key: str) -> tuple[SlackMessenger, Marker, object]:
    """A post made as the bot makes it (a Web API call carrying its Marker), and its finder."""
    messenger = SlackMessenger(slack_client(bot.emulator.bot_token, bot.emulator.base_url))
    marker = Marker(0, key)

    def post() -> PostRef:
        return messenger.send(CHANNEL, Line(f"summary {key}"), marker)

    return messenger, marker, post


def _env(bot: DemoBot, clock: Clock) -> Env:
    bot.runtime.deps.clock = clock
    return bot.runtime.env()


def _posted(bot: DemoBot, key: str) -> int:
    return sum(1 for m in bot.emulator.messages(CHANNEL) if m.text == f"summary {key}")


def _rows(bot: DemoBot, key: str) -> list[JobRun]:
    with bot.runtime.store.read(bot.runtime.team_id) as repo:
        row = Runs(repo).get(key)
    return [row] if row else []


def test_a_key_posts_once_however_often_it_runs(live_bot: DemoBot) -> None:
    env = _env(live_bot, Clock(START))
    _, _, post = _poster(live_bot, "weekly:2026-W47")
    first = post_once(env, "weekly:2026-W47", post)
    again = post_once(env, "weekly:2026-W47", post)
    other = post_once(env, "weekly:2026-W48", _poster(live_bot, "weekly:2026-W48")[2])
    assert first is not None and again is None and other is not None
    assert _posted(live_bot, "weekly:2026-W47") == 1 and _posted(live_bot, "weekly:2026-W48") == 1
    [row] = _rows(live_bot, "weekly:2026-W47")
    assert row.finished_at == START and row.ref == f"{first.channel}/{first.ts}"
    assert ran(env, "weekly:2026-W47") and not ran(env, "weekly:2026-W49")


def test_eight_runs_at_once_post_once(live_bot: DemoBot) -> None:
    env = _env(live_bot, Clock(START))
    _, _, post = _poster(live_bot, "retro-dm:1:U0JO")
    barrier = threading.Barrier(8)
    results: list[PostRef | None] = []
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(post_once(env, "retro-dm:1:U0JO", post))
        except BaseException as exc:  # collected: a failure in a thread must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len([r for r in results if r is not None]) == 1, results
    assert _posted(live_bot, "retro-dm:1:U0JO") == 1


def test_a_refused_post_is_tried_again_once_stale_and_given_up_after_six(sqlite_bot: DemoBot) -> None:
    """A sure refusal (the channel is gone, the person deactivated) is tried again STALE later, not
    every minute; after MAX_ATTEMPTS it is given up and counts as run. Mended in time, it posts once."""
    bot = sqlite_bot
    clock = Clock(START)
    env = _env(bot, clock)
    messenger, _, _ = _poster(bot, "k")

    def nowhere() -> PostRef:
        return messenger.send("C0NOWHERE", Line("summary k"), Marker(0, "k"))

    with pytest.raises(Undelivered) as refused:
        post_once(env, "k", nowhere)
    assert refused.value.code == "channel_not_found" and not refused.value.uncertain
    [row] = _rows(bot, "k")
    assert row.finished_at is None and row.ref == "refused:1:channel_not_found"
    clock.now += timedelta(minutes=1)
    assert post_once(env, "k", nowhere) is None, "not tried again a minute later"
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.now += STALE + timedelta(seconds=1)
        with pytest.raises(Undelivered):
            post_once(env, "k", nowhere)
        [row] = _rows(bot, "k")
        assert refusals(row.ref) == attempt or row.ref == "gave-up:channel_not_found"
    [row] = _rows(bot, "k")
    assert row.finished_at is not None and row.ref == "gave-up:channel_not_found" and ran(env, "k")
    clock.now += STALE * 10
    assert post_once(env, "k", nowhere) is None, "given up: never tried again"

    # Another key, mended after two refusals: the third try posts, once.
    _, _, good = _poster(bot, "m")
    for _ in range(2):
        with pytest.raises(Undelivered):
            post_once(env, "m", nowhere)
        clock.now += STALE + timedelta(seconds=1)
    assert post_once(env, "m", good) is not None
    assert post_once(env, "m", good) is None
    assert _posted(bot, "m") == 1


def test_a_post_whose_answer_was_lost_is_found_not_made_again(sqlite_bot: DemoBot) -> None:
    """Slack posted it but answered 500 (or the process died before writing it down): the key stays
    unfinished; a run within STALE leaves it to its owner; a later run finds the post by its Marker."""
    bot, emu = sqlite_bot, sqlite_bot.emulator
    clock = Clock(START)
    env = _env(bot, clock)
    messenger, marker, post = _poster(bot, "weekly:2026-W47")
    emu.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)

    def find() -> PostRef | None:
        return messenger.find(CHANNEL, None, marker)

    with pytest.raises(Undelivered) as lost:
        post_once(env, "weekly:2026-W47", post, find=find)
    assert lost.value.uncertain
    assert _posted(bot, "weekly:2026-W47") == 1, "Slack did post it"
    [row] = _rows(bot, "weekly:2026-W47")
    assert row.finished_at is None

    clock.now = START + STALE - timedelta(seconds=1)
    assert post_once(env, "weekly:2026-W47", post, find=find) is None, "another run may still be on it"
    clock.now = START + STALE + timedelta(seconds=1)
    assert post_once(env, "weekly:2026-W47", post, find=find) is None, "found in Slack: not posted again"
    assert _posted(bot, "weekly:2026-W47") == 1
    [row] = _rows(bot, "weekly:2026-W47")
    assert row.finished_at == clock.now and row.ref.startswith(CHANNEL + "/")


def test_a_run_that_died_before_posting_is_posted_by_the_next_one_once(live_bot: DemoBot) -> None:
    """kill -9 between the record and the post: after STALE the next run looks, finds nothing, posts;
    two such runs racing take it over once (compare and set on the start time)."""
    bot = live_bot
    clock = Clock(START)
    env = _env(bot, clock)
    with env.transaction() as repo:
        assert Runs(repo).claim("weekly:2026-W46", START).fresh
    messenger, marker, post = _poster(bot, "weekly:2026-W46")
    clock.now = START + STALE + timedelta(minutes=1)
    with env.transaction() as repo:
        assert Runs(repo).take_over("weekly:2026-W46", START, clock.now)
    with env.transaction() as repo:
        assert not Runs(repo).take_over("weekly:2026-W46", START, clock.now), "taken over once only"
    clock.now += STALE + timedelta(minutes=1)  # that taker died too
    posted = post_once(env, "weekly:2026-W46", post, find=lambda: messenger.find(CHANNEL, None, marker))
    assert posted is not None and _posted(bot, "weekly:2026-W46") == 1
    assert post_once(env, "weekly:2026-W46", post) is None and _posted(bot, "weekly:2026-W46") == 1


def test_keys_belong_to_their_workspace(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    env = _env(bot, Clock(START))
    assert bot.runtime.team_id == h.TEAM_ID
    with bot.runtime.store.transaction("T0OTHER") as repo:
        assert Runs(repo).claim("weekly:2026-W47", START).fresh
        Runs(repo).finish("weekly:2026-W47", "C0X/1", START)
    _, _, post = _poster(bot, "weekly:2026-W47")
    assert post_once(env, "weekly:2026-W47", post) is not None, "another workspace's run is not ours"


def test_a_direct_message_whose_answer_was_lost_is_found_through_its_dm_id(sqlite_bot: DemoBot) -> None:
    """Slack reads a DM's history by the DM's id, never by the person's (the emulator answers
    channel_not_found too): the look opens the DM first, and finds the message there."""
    bot, emu = sqlite_bot, sqlite_bot.emulator
    clock = Clock(START)
    env = _env(bot, clock)
    messenger = SlackMessenger(slack_client(emu.bot_token, emu.base_url))
    marker = Marker(3, "retro-dm:20261123T1000")
    emu.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)

    def post() -> PostRef:
        return messenger.send(h.REVIEWER, Line("summary dm"), marker)

    def find() -> PostRef | None:
        return messenger.find(h.REVIEWER, None, marker)

    with pytest.raises(Undelivered):
        post_once(env, "retro-dm:3:U0JO", post, find=find)
    clock.now += STALE + timedelta(seconds=1)
    assert post_once(env, "retro-dm:3:U0JO", post, find=find) is None
    assert [m.text for m in emu.messages(h.REVIEWER)] == ["summary dm"]
    assert emu.calls_to("conversations.open")
