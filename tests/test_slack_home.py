"""The App Home tab and its search modal over the wire: a new workspace, each step an incident waits on,
upcoming retrospectives, the last mistakes and the checklist, caps with "and N more", the search modal
(results, More, no match, hostile text), workspace isolation, and Slack's limits at extreme sizes.

Incidents are walked through the emulator, or recorded through the bot's own store as report and
retrospective record them (tests.test_history_search.write); nothing of the bot is patched.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import tests.slack_helpers as h
from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.slack.views.common import validate_view
from bot.slack.views.home import QUERY_BLOCK, home_view, search_modal
from bot.store import Store
from bot.store.search_query import parse
from bot.store.tables import Incident
from bot.usecases.checklists import Item
from bot.usecases.history import PAGE_SIZE, Hit, Results
from bot.usecases.home import Home, Waiting
from slack_emulator import SlackDriver, SlackEmulator
from slack_emulator.blockkit import validate_home_view
from tests.test_history_search import HISTORY, OTHER, Past, write
from tests.test_views_limits import _check_blocks, _check_modal, _mrkdwn_texts, _stray_angles

HOME_BLOCKS = 100  # Slack's limit for a Home tab view, written out rather than imported
TZ = ZoneInfo("Europe/London")
NO_MATCH = "No past mistake matches"


# ---------------------------------------------------------------------------------------------- helpers


def _check_home(view: dict[str, Any], where: str = "home") -> None:
    """Slack's limits for a home view: the emulator's own check, slack_sdk's model, the explicit walk."""
    assert view["type"] == "home"
    assert not validate_home_view(view), validate_home_view(view)
    validate_view(view)
    problems = _check_blocks(view["blocks"], where)
    assert 1 <= len(view["blocks"]) <= HOME_BLOCKS, len(view["blocks"])
    block_ids = [b["block_id"] for b in view["blocks"] if b.get("block_id")]
    assert len(block_ids) == len(set(block_ids)), "block ids repeat"
    assert not problems, "\n".join(problems)
    for text in _mrkdwn_texts(view["blocks"]):
        assert not _stray_angles(text), f"people's text not escaped: {_stray_angles(text)}"


def _open_home(bot: DemoBot, user: str = h.REPORTER, driver: SlackDriver | None = None) -> dict[str, Any]:
    """The person opens the Home tab; the one view the bot published for them."""
    emu = bot.emulator
    before = len(emu.calls_to("views.publish"))
    response = (driver or bot.driver).open_home(user)
    assert response.status == 200, response.body_text
    assert response.elapsed_seconds < 3, "the event is acknowledged at once"
    bot.settle()
    published = emu.calls_to("views.publish")[before:]
    assert len(published) == 1, published
    assert published[0].response["ok"], published[0].response
    assert published[0].args["user_id"] == user
    view = emu.home_view(user)
    assert view is not None
    _check_home(view)
    return view


def _text(view: dict[str, Any], block_id: str) -> str:
    block = h.view_block(view, block_id)
    return str((block.get("text") or {}).get("text") or "")


def _ids(view: dict[str, Any], prefix: str) -> list[str]:
    """The incident ids (or checklist item ids) of the blocks of one part of the view, in order."""
    return [
        b["block_id"].split(":")[1] for b in view["blocks"] if b.get("block_id", "").startswith(prefix + ":")
    ]


def _said(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def _link(bot: DemoBot, incident_id: int) -> str:
    header = h.posted(bot, incident_id, "header")
    stamp = header.ts.replace(".", "")
    return f"https://{bot.emulator.team_domain}.slack.com/archives/{header.channel}/p{stamp}"


def _record(bot: DemoBot, title: str, status: str, *, team: str | None = None, **more: Any) -> int:
    """An incident recorded through the bot's store (as report records one), in any state."""
    with Store(bot.runtime.engine).transaction(team or bot.runtime.team_id) as repo:
        incident = repo.add_incident(
            Incident(
                team_id=team or bot.runtime.team_id,
                runbook_id="general",
                title=title,
                reporter=h.REPORTER,
                channel=h.INCIDENT_CHANNEL,
                status=status,
                scale="small",
                recommendation="correct",
                **more,
            )
        )
        assert incident.id is not None
        return incident.id


def _open_search(bot: DemoBot, user: str = h.REPORTER) -> str:
    """Press "Search past mistakes" in the Home tab; the modal's view id."""
    response = bot.driver.home_click(ids.HOME_SEARCH, user=user)
    assert response.status == 200, response.body_text
    bot.settle()
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.HOME_SEARCH_VIEW
    _check_modal(view, "search modal")
    return str(view["id"])


def _search(bot: DemoBot, view_id: str, words: str, user: str = h.REPORTER) -> dict[str, Any]:
    """Type ``words`` and press Search; the modal as Slack shows it after the acknowledgement."""
    response = bot.driver.submit_view(view_id, {QUERY_BLOCK: words}, user=user)
    assert response.status == 200, response.body_text
    assert response.elapsed_seconds < 3
    assert (response.ack_body or {}).get("response_action") == "update", response.ack_body
    bot.settle()
    assert bot.emulator.ui_errors == []
    view = bot.emulator.view(view_id)
    _check_modal(view, "search modal")
    assert bot.emulator.is_view_open(view_id), "the modal stays open to refine the query"
    return view


def _query_kept(view: dict[str, Any]) -> str:
    return str(h.view_block(view, QUERY_BLOCK)["element"].get("initial_value") or "")


def _refs(view: dict[str, Any]) -> list[str]:
    return [f"OOPS-{n}" for n in _ids(view, "search") if n.isdigit()]


# ---------------------------------------------------------------------------------------------- the home


def test_a_new_workspace_is_told_how_to_start(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    view = _open_home(bot)
    said = _said(view)
    assert "/oops what happened" in said and "/oops help" in said
    assert "Open incidents" not in said
    assert not any(e.get("action_id") == ids.HOME_SEARCH for b in view["blocks"] for e in h.elements(b))

    before = len(bot.emulator.calls_to("views.publish"))
    assert bot.driver.open_home(h.REPORTER, tab="messages").status == 200
    bot.settle()
    assert len(bot.emulator.calls_to("views.publish")) == before, "the Messages tab draws no home"


def test_an_apology_awaiting_approval_and_an_undecided_incident(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    drafting = h.walk_to_drafting(bot)
    undecided = _record(bot, "Wrong <b>price</b> & on the cheddar kit", Status.DECIDING.value)

    view = _open_home(bot, h.DECIDER)

    assert _ids(view, "open") == [str(undecided), str(drafting)], "newest first"
    waiting = _text(view, f"open:{drafting}")
    assert "apology draft awaiting approval" in waiting
    assert f"<{_link(bot, drafting)}|OOPS-{drafting}>" in waiting, "a link to its thread"
    assert h.SUMMARY in waiting
    other = _text(view, f"open:{undecided}")
    assert "waiting for a decision" in other and "&lt;b&gt;price&lt;/b&gt; &amp;" in other
    assert "|OOPS-" not in other, "no thread posted, no link"
    assert "No retrospective is scheduled." in _said(view)
    assert _ids(view, "recent") == [str(undecided), str(drafting)]
    assert "No open incidents" not in _said(view)
    assert "Nothing yet: the checklist items" in _said(view)


def test_a_scheduled_retrospective_is_shown_with_its_day(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    incident_id = h.walk_to_retro_scheduled(bot)
    retro_at = h.only_incident(bot).retro_at
    assert retro_at is not None
    tz = bot.runtime.config.team.tz

    view = _open_home(bot)

    day = retro_at.astimezone(tz).strftime("%a %d %b, %H:%M")
    assert f"retrospective on {day}" in _text(view, f"open:{incident_id}")
    assert _ids(view, "retro") == [str(incident_id)]
    upcoming = _text(view, f"retro:{incident_id}")
    assert retro_at.astimezone(tz).strftime("%a %d %b %Y, %H:%M") in upcoming
    assert f"<{_link(bot, incident_id)}|OOPS-{incident_id}>" in upcoming
    recent = _text(view, f"recent:{incident_id}")
    assert "retrospective scheduled" in recent and "retro_scheduled" not in recent, "status in words"


def test_a_closed_incident_shows_its_lesson_and_checklist(live_bot: DemoBot) -> None:
    bot = live_bot
    incident_id = h.walk_to_closed(bot)

    view = _open_home(bot, h.REVIEWER)

    said = _said(view)
    assert "No open incidents — good." in said and _ids(view, "open") == []
    assert "No retrospective is scheduled." in said
    recent = _text(view, f"recent:{incident_id}")
    assert h.SUMMARY in recent and "Lesson: Flow-triggering lists are marked." in recent
    assert "scale big" in recent and "decision: correct" in recent
    assert f"<{_link(bot, incident_id)}|Open its thread>" in recent
    (item,) = _ids(view, "checklist")
    checklist = _text(view, f"checklist:{item}")
    assert h.RETRO_VALUES["checklist"] in checklist and f"OOPS-{incident_id}" in checklist
    assert any(e.get("action_id") == ids.HOME_SEARCH for b in view["blocks"] for e in h.elements(b))
    links_asked = len(bot.emulator.calls_to("chat.getPermalink"))
    again = _open_home(bot, h.REVIEWER)
    assert again["id"] == view["id"], "the home is republished in place"
    assert f"<{_link(bot, incident_id)}|Open its thread>" in _text(again, f"recent:{incident_id}")
    assert len(bot.emulator.calls_to("chat.getPermalink")) == links_asked, "a link is asked for once"


def test_each_part_is_capped_and_says_how_many_more(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    for n in range(25):
        _record(
            bot,
            f"Open mistake {n} " + "long title " * 12,
            Status.DECIDING.value,
            created_at=start + timedelta(n),
        )
    for n in range(8):
        _record(bot, f"Retro {n}", Status.RETRO_SCHEDULED.value, retro_at=start + timedelta(days=40 - n))
    lessons = ("went wrong", "cause", "change")
    checklist = [
        "Send to a test list first",
        "Check the price feed date",
        "Ask a second person to read the subject line",
        "Pause automations before importing contacts",
        "Keep the unsubscribe link in every template",
        "Write the rollback plan before the launch",
        "Review discount codes with finance",
        "Label lists that start a flow",
    ]
    write(
        bot.runtime.engine,
        replace(HISTORY["welcome"], team=bot.runtime.team_id, lessons=lessons, checklist=checklist),
    )

    view = _open_home(bot)

    said = _said(view)
    assert len(_ids(view, "open")) == 10 and "and 23 more" in said  # 25 deciding + 8 scheduled
    assert len(_ids(view, "retro")) == 5 and "and 3 more: each open incident" in said
    assert _ids(view, "retro")[0] == str(max(int(n) for n in _ids(view, "retro"))), "the soonest first"
    assert len(_ids(view, "recent")) == 10 and "Last 10 mistakes" in said
    assert len(_ids(view, "checklist")) == 5 and "and 3 more: `/oops checklist`" in said


def test_a_refused_publish_is_logged_and_the_next_opening_draws_the_home(
    sqlite_bot: DemoBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = sqlite_bot
    bot.emulator.fail_next("views.publish", status=200, error="invalid_arguments")
    with caplog.at_level("WARNING", logger="bot.slack"):
        assert bot.driver.open_home(h.REPORTER).status == 200
        bot.settle()
    assert bot.emulator.home_view(h.REPORTER) is None
    assert "publish on OOPS-None: Slack refused a call (invalid_arguments)" in caplog.text
    assert "Traceback" not in caplog.text
    _open_home(bot)


# ---------------------------------------------------------------------------------------------- search


def test_the_search_button_opens_a_modal_that_shows_matches(live_bot: DemoBot) -> None:
    bot = live_bot
    closed = h.walk_to_closed(bot)
    cheddar = write(bot.runtime.engine, replace(HISTORY["cheddar"], team=bot.runtime.team_id))
    _open_home(bot)
    view_id = _open_search(bot)
    assert _query_kept(bot.emulator.view(view_id)) == ""
    links_asked = len(bot.emulator.calls_to("chat.getPermalink"))

    view = _search(bot, view_id, "welcome emails")

    assert _query_kept(view) == "welcome emails", "the query stays, to be refined"
    assert _refs(view) == [f"OOPS-{closed}"]
    hit = _text(view, f"search:{closed}")
    assert "Lesson: Flow-triggering lists are marked." in hit
    assert f"<{_link(bot, closed)}|Open its thread>" in hit, "the link the Home tab asked for"
    assert "Only you can see this" not in _said(view)
    assert len(bot.emulator.calls_to("chat.getPermalink")) == links_asked, "no call inside the ack"

    refined = _search(bot, view_id, "cheddar decision:no-action")
    assert _refs(refined) == [f"OOPS-{cheddar}"] and _query_kept(refined) == "cheddar decision:no-action"


def test_more_pages_through_the_matches_in_the_modal(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    start = datetime(2026, 1, 1, tzinfo=UTC)
    team = bot.runtime.team_id
    made = [
        write(
            bot.runtime.engine,
            Past(f"Welcome flow mistake {n}", team=team, day=str((start + timedelta(n)).date())),
        )
        for n in range(PAGE_SIZE + 3)
    ]
    newest_first = [f"OOPS-{i}" for i in reversed(made)]
    _open_home(bot)
    view_id = _open_search(bot)

    first = _search(bot, view_id, "welcome flow")
    assert _refs(first) == newest_first[:PAGE_SIZE]
    (button,) = [
        e for b in first["blocks"] for e in h.elements(b) if e.get("action_id") == ids.HOME_SEARCH_MORE
    ]
    assert json.loads(button["value"]) == {"q": "welcome flow", "p": 2}

    response = bot.driver.view_action(view_id, "search:more", None, user=h.REPORTER)
    assert response.status == 200 and response.elapsed_seconds < 3
    bot.settle()

    second = bot.emulator.view(view_id)
    _check_modal(second, "page 2")
    assert _refs(second) == newest_first[PAGE_SIZE:] and "Page 2" in _said(second)
    assert not [
        e for b in second["blocks"] for e in h.elements(b) if e.get("action_id") == ids.HOME_SEARCH_MORE
    ]
    assert _query_kept(second) == "welcome flow"


def test_no_match_an_empty_query_and_hostile_text_in_the_modal(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    for past in HISTORY.values():
        write(bot.runtime.engine, replace(past, team=bot.runtime.team_id) if past.team != OTHER else past)
    before = h.db_dump(bot.runtime.engine)
    _open_home(bot)
    view_id = _open_search(bot)

    nothing = _said(_search(bot, view_id, "zeppelin"))
    assert NO_MATCH in nothing and "broader" in nothing
    assert "Type some words" in _said(_search(bot, view_id, "   "))
    hostile = [
        "' OR 1=1; DROP TABLE incident; --",
        '"unclosed quote',
        "NOT AND OR - : * ** \"\" ''",
        "x" * 2000,
        "<!channel> <@U0BOB> &amp; *bold* 🙈",
    ]
    for words in hostile:
        view = _search(bot, view_id, words)
        assert NO_MATCH in _said(view) and _refs(view) == [], words[:40]
        assert _query_kept(view) and words.startswith(_query_kept(view)[:20]), "the query stays"
        mrkdwn = [b for b in view["blocks"] if b["type"] not in ("header", "input")]
        assert "<!channel>" not in json.dumps(mrkdwn), "the query quoted back is escaped"
    assert h.db_dump(bot.runtime.engine) == before, "a search changed the database"


# ---------------------------------------------------------------------------------------------- workspaces


def test_a_workspace_never_sees_anothers_incidents(live_bot: DemoBot) -> None:
    bot = live_bot
    ours = h.walk_to_drafting(bot)
    theirs = write(bot.runtime.engine, Past("Welcome email sent twice in the other workspace", team=OTHER))
    other_driver = SlackDriver(bot.driver.request_url, bot.driver.signing_secret, bot.emulator, team_id=OTHER)

    view = _open_home(bot)
    assert _ids(view, "open") == [str(ours)] and _ids(view, "recent") == [str(ours)]
    assert f"OOPS-{theirs}" not in _said(view)

    theirs_home = _open_home(bot, driver=other_driver)
    assert _ids(theirs_home, "open") == [str(theirs)] and f"OOPS-{ours}" not in _said(theirs_home)

    view_id = _open_search(bot)
    assert _refs(_search(bot, view_id, "welcome email")) == [f"OOPS-{ours}"]
    # The other workspace's own modal (Slack names the install it belongs to in the view).
    payload = h.view_submission_payload(
        bot, bot.emulator.view(view_id), {QUERY_BLOCK: "welcome email"}, h.REPORTER
    )
    payload["team"]["id"] = payload["view"]["app_installed_team_id"] = payload["view"]["team_id"] = OTHER
    answer = bot.driver.send(h.payload_body(payload))
    assert answer.ok and answer.json["response_action"] == "update"
    found = [
        b["block_id"] for b in answer.json["view"]["blocks"] if b.get("block_id", "").startswith("search:")
    ]
    assert found == [f"search:{theirs}"]


# ---------------------------------------------------------------------------------------------- limits


def _hit(n: int, title: str) -> Hit:
    return Hit(
        id=n,
        ref=f"OOPS-{n}",
        title=title,
        date=datetime(2026, 3, 1, 9, tzinfo=UTC),
        runbook="runbook-with-a-rather-long-name-" + "r" * 40,
        scale="catastrophic-" + "s" * 27,
        decision="make_it_big",
        status="retro_scheduled",
        lesson=("<!here> lesson & more " * 20)[:150],
        channel="C1",
        header_ts="1.2",
    )


def test_the_home_and_the_modal_fit_slacks_limits_at_extreme_sizes() -> None:
    title = "<!channel> Welcome *email* to `everyone` & <@U0BOB> " * 10  # 150 characters and more
    retro_at = datetime(2026, 12, 3, 10, tzinfo=UTC)
    statuses = list(Status)
    waiting = tuple(
        Waiting(_hit(n, title), statuses[n % len(statuses)], retro_at, "U" + "X" * 30)
        for n in range(100_000, 100_010)
    )
    item = Item(
        id=7,
        text="<!subteam^S1> check " * 15,
        incidents=tuple(range(1, 2000)),
        runbooks=("general",),
        rows=(7,),
        wordings=("w",),
        last_learnt=retro_at,
    )
    links = {w.hit.id: "https://example.slack.com/archives/C1/p" + "1" * 300 for w in waiting}
    full = Home(
        open=waiting,
        open_total=10_000_000,
        retros=waiting[:5],
        retros_total=9_999_999,
        recent=tuple(w.hit for w in waiting),
        checklist=tuple(replace(item, id=n) for n in range(5)),
        checklist_total=123_456,
        links=links,
    )
    empty = Home((), 0, (), 0, (), (), 0, {})
    quiet = replace(full, open=(), open_total=0, retros=(), retros_total=0, checklist=(), checklist_total=0)
    for name, home in (("full", full), ("empty", empty), ("quiet", quiet)):
        view = home_view(home, TZ)
        _check_home(view, name)
        assert "<!channel>" not in _said(view) and "<!subteam" not in _said(view)
    assert re.search(r"and 9999990 more", _said(home_view(full, TZ)))

    query = '"' + "q" * 2999
    hits = tuple(w.hit for w in waiting)
    for results in (
        Results(parse(query), hits, 1, True),
        Results(parse(query), hits, 1000, False),
        Results(parse(query), (), 1, False),
    ):
        view = search_modal(query, results, links, TZ)
        _check_modal(view, "search modal")
        buttons = [
            e for b in view["blocks"] for e in h.elements(b) if e.get("action_id") == ids.HOME_SEARCH_MORE
        ]
        assert len(buttons) == (1 if results.more else 0) and all(len(b["value"]) <= 2000 for b in buttons)
        assert len(_query_kept(view)) <= 3000


# ---------------------------------------------------------------------------------------------- emulator


def test_the_emulators_views_publish_behaves_like_slacks() -> None:
    """The Home tab double the tests above trust: it keeps one view per person, refuses what Slack
    refuses (a modal, too many blocks, a submit button, an unknown person, a stale hash)."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}
    with SlackEmulator() as emu:
        client = WebClient(token=emu.bot_token, base_url=emu.base_url)
        first = client.views_publish(user_id="U0AILSA", view={"type": "home", "blocks": [section]})
        assert first["view"]["type"] == "home" and first["view"]["blocks"][0]["block_id"]
        again = client.views_publish(user_id="U0AILSA", view={"type": "home", "blocks": [section] * 2})
        assert again["view"]["id"] == first["view"]["id"], "a person has one Home tab"
        assert len((emu.home_view("U0AILSA") or {})["blocks"]) == 2 and emu.home_view("U0JO") is None
        refused = {
            "modal": (
                {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": [section]},
                "U0AILSA",
            ),
            "101 blocks": ({"type": "home", "blocks": [section] * 101}, "U0AILSA"),
            "submit": (
                {"type": "home", "submit": {"type": "plain_text", "text": "Go"}, "blocks": [section]},
                "U0AILSA",
            ),
            "long text": (
                {"type": "home", "blocks": [{**section, "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
                "U0AILSA",
            ),
            "nobody": ({"type": "home", "blocks": [section]}, "U0NOBODY"),
        }
        for name, (view, user) in refused.items():
            with pytest.raises(SlackApiError) as caught:
                client.views_publish(user_id=user, view=view)
            assert caught.value.response["error"] == "invalid_arguments", name
        with pytest.raises(SlackApiError) as stale:
            client.views_publish(
                user_id="U0AILSA", view={"type": "home", "blocks": [section]}, hash="1.stale"
            )
        assert stale.value.response["error"] == "hash_conflict"
        assert len((emu.home_view("U0AILSA") or {})["blocks"]) == 2, "a refused publish changes nothing"
