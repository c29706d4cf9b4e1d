"""`/oops search` over the wire: the answer only the person sees, its hits (ref, lesson, thread link),
paging with More, no match, an empty query, hostile text, Block Kit limits, and workspace isolation.

Past incidents are walked through the emulator or recorded through the bot's own store (as report and
retrospective record them, tests.test_history_search.write); nothing of the bot is patched.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import tests.slack_helpers as h
from bot.demo import DemoBot
from bot.slack import ids
from bot.slack.views import validate_message
from bot.slack.views.search import search_message
from bot.store.search_query import parse
from bot.usecases.history import PAGE_SIZE, Hit, Results
from slack_emulator import Ephemeral, Message
from tests.test_history_search import HISTORY, OTHER, Past, write

NO_MATCH = "No past mistake matches"


def _ask(bot: DemoBot, words: str, user: str = h.REPORTER) -> Ephemeral:
    """Type `/oops search WORDS`; the one answer only ``user`` sees."""
    start = len(bot.emulator.ephemerals)
    response = bot.driver.slash("/oops", f"search {words}".strip(), user=user, channel=h.INCIDENT_CHANNEL)
    assert response.status == 200, response.body_text
    assert not response.ack_body, "the ack says nothing; the answer follows through the response_url"
    bot.settle()
    answers = [e for e in bot.emulator.ephemerals[start:] if e.user == user]
    assert len(answers) == 1, [e.text for e in answers]
    validate_message(answers[0].blocks, answers[0].text)
    return answers[0]


def _refs(message: Ephemeral) -> list[str]:
    """The refs of the hits shown, in order."""
    return [
        re.match(r"\*(OOPS-\d+)\*", b["text"]["text"]).group(1)  # type: ignore[union-attr]
        for b in message.blocks
        if b.get("type") == "section" and str(b.get("block_id", "")).startswith("search:")
    ]


def _more(message: Ephemeral) -> list[dict[str, object]]:
    return [e for b in message.blocks for e in h.elements(b) if e.get("action_id") == ids.SEARCH_MORE]


def test_a_match_is_shown_to_the_person_with_its_ref_lesson_and_thread(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    closed = h.walk_to_closed(bot)  # "Welcome email sent to 27,463 existing customers", with a lesson
    engine = bot.runtime.engine
    cheddar = write(engine, replace(HISTORY["cheddar"], team=bot.runtime.team_id))
    elsewhere = write(engine, Past(h.SUMMARY, "Another workspace's mistake.", team=OTHER))
    channel_messages = len(h.all_messages(emu))

    answer = _ask(bot, "welcome emails")

    assert answer.channel == h.INCIDENT_CHANNEL
    assert len(h.all_messages(emu)) == channel_messages, "the answer was posted for everyone to see"
    assert _refs(answer) == [f"OOPS-{closed}"], "another workspace's incident is never shown"
    said = h.blocks_text(answer)
    assert "Welcome email sent to 27,463 existing customers" in said
    assert "Lesson: Flow-triggering lists are marked." in said
    header = h.posted(bot, closed, "header")
    link = f"https://{emu.team_domain}.slack.com/archives/{header.channel}/p{header.ts.replace('.', '')}"
    assert f"<{link}|Open its thread>" in said, said
    assert "scale " in said and "decision: " in said
    assert _more(answer) == [], "one hit, no More"
    assert _refs(_ask(bot, "cheddar")) == [f"OOPS-{cheddar}"]
    assert "No retrospective lesson yet" in h.blocks_text(_ask(bot, "cheddar")), "no thread, no link"
    assert "Open its thread" not in h.blocks_text(_ask(bot, "cheddar"))
    assert f"OOPS-{elsewhere}" not in json.dumps([e.blocks for e in emu.ephemerals])
    some = _ask(bot, "cheddar welcome")
    assert "No past mistake has all of those words" in h.blocks_text(some)
    assert set(_refs(some)) == {f"OOPS-{closed}", f"OOPS-{cheddar}"}
    help_answer = bot.driver.slash("/oops", "help", user=h.REPORTER)
    assert "/oops search" in json.dumps(help_answer.ack_body)


def test_more_shows_the_next_page_in_place(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    start = datetime(2026, 1, 1, tzinfo=UTC)
    team = bot.runtime.team_id
    ids_ = [
        write(
            bot.runtime.engine,
            Past(f"Welcome flow mistake {n}", team=team, day=str((start + timedelta(n)).date())),
        )
        for n in range(PAGE_SIZE + 3)
    ]
    newest_first = [f"OOPS-{i}" for i in reversed(ids_)]  # equal relevance: newest first

    first = _ask(bot, "welcome flow")
    assert _refs(first) == newest_first[:PAGE_SIZE]
    (button,) = _more(first)
    assert json.loads(str(button["value"])) == {"q": "welcome flow", "p": 2}
    responses, ephemerals = len(emu.responses), len(emu.ephemerals)

    clicked = bot.driver.click(
        first.channel, first.ts, ids.SEARCH_MORE, user=h.REPORTER, value=str(button["value"])
    )
    assert clicked.status == 200, clicked.body_text
    bot.settle()

    redraw = emu.responses[responses:]
    assert len(redraw) == 1 and redraw[0].payload.get("replace_original") is True, redraw
    second = [e for e in emu.ephemerals[ephemerals:] if e.user == h.REPORTER][-1]
    validate_message(second.blocks, second.text)
    assert _refs(second) == newest_first[PAGE_SIZE:] and _more(second) == []
    assert "Page 2" in h.blocks_text(second)


def test_no_match_an_empty_query_and_hostile_text_are_answered(live_bot: DemoBot) -> None:
    bot = live_bot
    for past in HISTORY.values():
        write(bot.runtime.engine, replace(past, team=bot.runtime.team_id) if past.team != OTHER else past)
    before = h.db_dump(bot.runtime.engine)

    nothing = h.blocks_text(_ask(bot, "zeppelin"))
    assert NO_MATCH in nothing and "broader" in nothing, nothing
    for empty in ("", "   "):
        said = h.blocks_text(_ask(bot, empty))
        assert "Type some words after `/oops search`" in said and "/oops search welcome email" in said
    hostile = [
        "' OR 1=1; DROP TABLE incident; --",
        '"unclosed quote',
        "NOT AND OR - : * ** \"\" ''",
        "x" * 2000,
        "<!channel> <@U0BOB> &amp; *bold*",
    ]
    for words in hostile:
        answer = _ask(bot, words)
        said = h.blocks_text(answer)
        assert NO_MATCH in said and _refs(answer) == [], (words[:40], said)
        mrkdwn = [b for b in answer.blocks if b["type"] != "header"]  # a header is plain text
        assert "<!channel>" not in json.dumps(mrkdwn) + answer.text, "the query quoted back is escaped"
    long_match = _ask(bot, ("welcome " * 300)[:2000])
    assert _refs(long_match), "2,000 characters of a real word still find it"
    assert h.db_dump(bot.runtime.engine) == before, "a search changed the database"


def test_a_mangled_more_button_is_refused(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    team = bot.runtime.team_id
    for n in range(PAGE_SIZE + 1):
        write(bot.runtime.engine, Past(f"Welcome flow mistake {n}", team=team))
    first = _ask(bot, "welcome")
    (button,) = _more(first)
    block = next(b for b in first.blocks if button in h.elements(b))
    message = Message(channel=first.channel, ts=first.ts, user="", text=first.text, blocks=first.blocks)
    for value in ("2", '{"q": "welcome"}', '{"q": 7, "p": 2}', '{"q": "w", "p": 0}', "not json"):
        start = len(emu.ephemerals)
        payload = h.block_actions_payload(
            bot, message, message, block, {**button, "value": value}, h.REPORTER
        )
        assert bot.driver.send(h.payload_body(payload)).ok
        bot.settle()
        told = [e.text for e in emu.ephemerals[start:] if e.user == h.REPORTER]
        assert told == ["That button is not one of this search's."], (value, told)


def test_long_titles_lessons_and_queries_fit_slacks_limits() -> None:
    day = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    title = "<&> Welcome *email* to `everyone` " * 200
    hits = tuple(
        Hit(
            id=n,
            ref=f"OOPS-{n}",
            title=title,
            date=day,
            runbook="runbook-with-a-rather-long-name",
            scale="critical",
            decision="no_action",
            status="closed",
            lesson=("<!here> lesson " * 20)[:150],
            channel="C1",
            header_ts="1.2",
        )
        for n in range(100_000, 100_000 + PAGE_SIZE)
    )
    query = '"' + "q" * 1999
    links = {hit.id: "https://example.slack.com/archives/C1/p" + "1" * 200 for hit in hits}
    for page, more in ((1, True), (7, False)):
        text, blocks = search_message(Results(parse(query), hits, page, more), query, links, UTC)
        validate_message(blocks, text)
        dumped = json.dumps(blocks)
        assert "&lt;&amp;&gt; Welcome" in dumped and "&lt;!here&gt; lesson" in dumped, (
            "people's text is escaped"
        )
        assert "<!here>" not in dumped
        buttons = [e for b in blocks for e in h.elements(b) if e.get("action_id") == ids.SEARCH_MORE]
        assert len(buttons) == (1 if more else 0)
        assert all(len(b["value"]) <= 2000 for b in buttons)
    none = search_message(Results(parse(query), (), 1, False), query, {}, UTC)
    validate_message(none[1], none[0])
