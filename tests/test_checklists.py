"""Checklists that learn: retrospective items merged when they say the same thing, ranked by how many
past incidents taught them, retired from the message; `/oops checklist` over the wire, `oops checklist`.

The history is written through the bot's own store (Repo.add_retrospective, as a retrospective does),
or by walking a real incident through the emulator; nothing of the bot is patched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

import tests.slack_helpers as h
from bot.config import AppConfig, Checklists, load_config
from bot.demo import DemoBot, demo_bot
from bot.slack import ids
from bot.slack.views import validate_message
from bot.slack.views.checklist import MAX_ITEMS, checklist_message
from bot.store import Store, make_engine, migrate
from bot.store.checklists import ChecklistRows
from bot.store.db import alembic_config
from bot.store.tables import ChecklistItem, Incident, Retrospective
from bot.usecases.checklists import Checklist, Item, Query, checklist_of, merge, parse_query
from slack_emulator import Ephemeral, Message
from tests.cli_helpers import oops
from tests.test_config import _assert_names, _error, _line_of, _shipped_with

TEAM = h.TEAM_ID
OTHER = "T0OTHER"
ROOT = Path(__file__).resolve().parent.parent

# Four retrospectives, oldest first. Two lessons are each taught twice in other words; one once.
HISTORY: list[tuple[str, list[str]]] = [
    ("email-campaign", ["Send to a test list first", "Check the price in the product feed"]),
    ("email-campaign", ["Always send to a test list first!", "send to the test list first, always"]),
    ("email-campaign", ["Check which automations a list triggers before adding contacts"]),
    ("email-campaign", ["Check which automations a list triggers before adding contacts to it"]),
]
TEST_LIST, AUTOMATIONS, PRICE = "test list", "automations", "price"


def write_history(
    engine: Engine, team: str = TEAM, history: Sequence[tuple[str, list[str]]] = HISTORY
) -> list[int]:
    """One closed incident a retrospective, each with its checklist items, as the bot records them."""
    ids_: list[int] = []
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for n, (runbook, items) in enumerate(history):
        with Store(engine).transaction(team) as repo:
            incident = repo.add_incident(
                Incident(
                    team_id=team,
                    runbook_id=runbook,
                    title=f"Mistake number {n + 1}",
                    reporter=h.REPORTER,
                    channel=h.INCIDENT_CHANNEL,
                    status="closed",
                    scale="small",
                    recommendation="correct",
                    created_at=start + timedelta(days=n),
                )
            )
            assert incident.id is not None
            retro = Retrospective(
                team_id=team,
                incident_id=incident.id,
                what_went_wrong="w",
                root_cause="r",
                what_we_change="c",
                submitted_by=h.REVIEWER,
            )
            repo.add_retrospective(retro, items, runbook)
            ids_.append(incident.id)
    return ids_


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _build(engine: Engine, query: Query | None = None, threshold: int = 85, team: str = TEAM) -> Checklist:
    with Store(engine).read(team) as repo:
        return checklist_of(repo, query or Query(), threshold)


def _which_text(item_text: str) -> str:
    for word in (TEST_LIST, AUTOMATIONS, PRICE):
        if word in item_text.lower():
            return word
    raise AssertionError(item_text)


def _which(item: Item) -> str:
    return _which_text(item.text)


# merging and ranking ------------------------------------------------------------------------------


def test_two_wordings_of_one_lesson_merge_and_rank_by_incidents_then_recency(engine: Engine) -> None:
    one, two, three, four = write_history(engine)
    items = _build(engine).items
    assert [_which(i) for i in items] == [AUTOMATIONS, TEST_LIST, PRICE]
    automations, test_list, price = items
    # Two incidents each: the automations lesson was learnt more recently, so it comes first.
    assert automations.incidents == (four, three) and automations.count == 2
    assert automations.text.endswith("to it"), "the newest of the wordings is shown"
    # Three wordings from two incidents: incidents are counted once each.
    assert test_list.incidents == (two, one) and len(test_list.rows) == 3 and len(test_list.wordings) == 3
    assert price.incidents == (one,) and price.refs == (f"OOPS-{one}",)
    assert {i.runbooks for i in items} == {("email-campaign",)}


def test_the_threshold_decides_what_merges(engine: Engine) -> None:
    write_history(engine)
    strict = _build(engine, threshold=100).items
    # At 100 only a wording whose words are all in another's still merges ("Send to a test list first"
    # into "Always send to a test list first!"); "send to the test list first, always" stands alone.
    assert [_which(i) for i in strict] == [AUTOMATIONS, TEST_LIST, TEST_LIST, PRICE], [i.text for i in strict]
    assert [i.count for i in strict] == [2, 2, 1, 1]
    assert len(_build(engine, threshold=85).items) == 3


def test_merging_folds_case_accents_and_punctuation() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    def row(n: int, runbook: str, text: str) -> ChecklistItem:
        return ChecklistItem(id=n, team_id=TEAM, incident_id=n, runbook_id=runbook, text=text, created_at=now)

    rows = [row(1, "general", "Perché? Verifica!"), row(2, "general", "perche verifica"), row(3, "x", "🙂")]
    items = merge(rows, 100)
    assert [(i.count, i.runbooks) for i in items] == [(2, ("general",)), (1, ("x",))]


def test_words_pick_the_items_that_mention_them_and_nothing_matches_nothing(engine: Engine) -> None:
    write_history(engine)
    assert [_which(i) for i in _build(engine, Query(words="Automation contacts")).items] == [AUTOMATIONS]
    for words in ("no such words", "🙂", "' OR 1=1 --", "*"):
        assert _build(engine, Query(words=words)).items == (), words


def test_a_runbook_id_in_any_case_picks_the_runbook() -> None:
    runbooks = ("email-campaign", "general")
    assert parse_query("Email-Campaign", runbooks) == Query(runbook="email-campaign")
    assert parse_query("  test   list ", runbooks) == Query(words="test list")
    assert parse_query("", runbooks) == Query()


def test_another_workspace_has_its_own_checklist(engine: Engine) -> None:
    write_history(engine)
    write_history(engine, OTHER, [("general", ["Ask finance before changing a price"])])
    assert [i.text for i in _build(engine, team=OTHER).items] == ["Ask finance before changing a price"]
    assert len(_build(engine).items) == 3
    with Store(engine).read(OTHER) as repo:
        mine = _build(engine).items[0].id
        assert ChecklistRows(repo).item(mine) is None


# /oops checklist over the wire --------------------------------------------------------------------


def _ask(bot: DemoBot, words: str = "email-campaign", user: str = h.REPORTER) -> Ephemeral:
    """Type `/oops checklist WORDS`; the answer only ``user`` sees."""
    start = len(bot.emulator.ephemerals)
    response = bot.driver.slash("/oops", f"checklist {words}".strip(), user=user, channel=h.INCIDENT_CHANNEL)
    assert response.status == 200, response.body_text
    bot.settle()
    answers = [e for e in bot.emulator.ephemerals[start:] if e.user == user]
    assert len(answers) == 1, [e.text for e in answers]
    return answers[0]


def _retire_buttons(message: Ephemeral) -> list[dict[str, Any]]:
    return [e for b in message.blocks for e in h.elements(b) if e.get("action_id") == ids.CHECKLIST_RETIRE]


def _shown(message: Ephemeral) -> list[str]:
    """The item texts the message lists, in order."""
    return [
        b["text"]["text"].split("*")[1]
        for b in message.blocks
        if b.get("type") == "section" and str(b.get("block_id", "")).startswith("checklist:")
    ]


def test_oops_checklist_shows_the_runbooks_checklist_only_to_the_person(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    closed = h.walk_to_closed(bot)  # its retrospective adds "Check a list's automations before adding…"
    earlier = write_history(bot.runtime.engine, bot.runtime.team_id)
    channel_messages = len(h.all_messages(emu))

    answer = _ask(bot, "email-campaign")

    assert answer.channel == h.INCIDENT_CHANNEL
    assert len(h.all_messages(emu)) == channel_messages, "the checklist was posted for everyone to see"
    validate_message(answer.blocks, answer.text)
    shown = _shown(answer)
    # The real retrospective's item joins the two automations wordings: three incidents, first.
    assert "automations" in shown[0], shown
    first = json.dumps(answer.blocks[2])
    assert "3 past incidents" in first and f"OOPS-{closed}" in first and f"OOPS-{earlier[2]}" in first
    assert "test list" in shown[1] and "price" in shown[2], shown
    assert len(_retire_buttons(answer)) == 3
    assert all(b.get("confirm") for b in _retire_buttons(answer)), "Retire asks first"
    help_answer = bot.driver.slash("/oops", "help", user=h.REPORTER)
    assert "/oops checklist" in json.dumps(help_answer.ack_body)


def test_words_and_an_empty_history_are_answered(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    empty = _ask(bot, "")
    assert "Nothing learnt yet for all runbooks" in h.blocks_text(empty)
    write_history(bot.runtime.engine, bot.runtime.team_id)
    assert _shown(_ask(bot, "PRICE feed")) == ["Check the price in the product feed"]
    nothing = _ask(bot, '"unclosed * OR 1=1 🙂')
    assert _shown(nothing) == [] and "No checklist item mentions" in h.blocks_text(nothing)


def _click_retire(bot: DemoBot, message: Ephemeral, index: int, user: str = h.REPORTER) -> None:
    button = _retire_buttons(message)[index]
    response = bot.driver.click(
        message.channel, message.ts, ids.CHECKLIST_RETIRE, user=user, value=button["value"]
    )
    assert response.status == 200, response.body_text
    bot.settle()


def test_retire_from_the_message_says_who_and_when_and_the_item_is_gone(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    write_history(bot.runtime.engine, bot.runtime.team_id)
    answer = _ask(bot)
    assert "test list" in _shown(answer)[1]
    responses = len(emu.responses)
    start = len(emu.ephemerals)

    _click_retire(bot, answer, 1)

    redraw = emu.responses[responses:]
    assert len(redraw) == 1 and redraw[0].payload.get("replace_original") is True, redraw
    redrawn = [e for e in emu.ephemerals[start:] if e.user == h.REPORTER][-1]
    said = h.blocks_text(redrawn)
    assert f"<@{h.REPORTER}> retired" in said and "Send to a test list first" not in _shown(redrawn)
    assert "OOPS-1" in said and "OOPS-2" in said, said
    left = [_which_text(shown) for shown in _shown(redrawn)]
    assert left == [AUTOMATIONS, PRICE], left
    retired = [r for r in h.rows(bot, ChecklistItem) if r.retired_at is not None]
    assert len(retired) == 3, "every wording merged into the item is retired"
    assert {r.retired_by for r in retired} == {h.REPORTER}
    assert {r.created_by for r in h.rows(bot, ChecklistItem)} == {h.REVIEWER}
    when = retired[0].retired_at
    assert when is not None and abs(datetime.now(UTC) - when) < timedelta(hours=1)
    assert when.strftime("%d %b %Y") in said
    with Store(bot.runtime.engine).read(bot.runtime.team_id) as repo:  # nor does the retro modal suggest it
        assert not any("test list" in lesson for lesson in repo.lessons("email-campaign"))
    # Gone after: a new checklist leaves it out; a second click on the old button says so, changes nothing.
    assert not any("test list" in s for s in _shown(_ask(bot)))
    before = h.db_dump(bot.runtime.engine)
    _click_retire(bot, answer, 1)
    assert h.db_dump(bot.runtime.engine) == before
    assert "was already retired by" in h.blocks_text([e for e in emu.ephemerals if e.user == h.REPORTER][-1])


def test_a_retire_click_crafted_in_another_workspace_changes_nothing(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    write_history(bot.runtime.engine, bot.runtime.team_id)
    answer = _ask(bot)
    button = _retire_buttons(answer)[0]
    block = next(b for b in answer.blocks if button in h.elements(b))
    message = Message(channel=answer.channel, ts=answer.ts, user="", text=answer.text, blocks=answer.blocks)
    payload = h.block_actions_payload(bot, message, message, block, button, h.DECIDER)
    payload["team"] = {"id": OTHER, "domain": "other"}
    payload["user"]["team_id"] = OTHER
    before = h.db_dump(bot.runtime.engine)
    start = len(emu.ephemerals)

    assert bot.driver.send(h.payload_body(payload)).ok
    bot.settle()

    assert h.db_dump(bot.runtime.engine) == before, "a click from another workspace retired our item"
    told = [e.text for e in emu.ephemerals[start:] if e.user == h.DECIDER]
    assert told == ["That checklist item is not in this workspace's history."], told


# Block Kit limits ------------------------------------------------------------------------------------


def test_two_hundred_long_items_fit_slacks_limits_and_say_how_many_more() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    long = "Check every segment, every automation and every suppression list before sending " * 4
    items = tuple(
        Item(
            id=n,
            text=(f"{n} " + long)[:300] + "<&>*",
            incidents=tuple(range(10_000 + n, 10_000 + n + 300)),
            runbooks=tuple(f"runbook-with-a-long-name-{k}" for k in range(20)),
            rows=tuple(range(300)),
            wordings=("a", "b"),
            last_learnt=now - timedelta(days=n),
        )
        for n in range(1, 201)
    )
    words = "w" * 2000
    for query in (Query(words=words), Query(runbook="email-campaign")):
        text, blocks = checklist_message(Checklist(query, items), UTC, notice="✅ " + "n" * 5000)
        validate_message(blocks, text)
        buttons = [e for b in blocks for e in h.elements(b) if e.get("action_id") == ids.CHECKLIST_RETIRE]
        assert len(buttons) == MAX_ITEMS
        assert all(len(b["value"]) <= 2000 and len(b["text"]["text"]) <= 75 for b in buttons)
        assert all(len(b["confirm"]["text"]["text"]) <= 300 for b in buttons)
        assert f"{200 - MAX_ITEMS} more item(s)" in json.dumps(blocks)
        assert "&lt;&amp;&gt;" in json.dumps(blocks), "a person's text is escaped"


# oops checklist -------------------------------------------------------------------------------------


def test_oops_checklist_markdown_for_a_wiki(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    *_, three, four = write_history(engine)
    write_history(engine, TEAM, [("pricing-error", ["Check the price in the product [feed]"])])
    engine.dispose()

    result = oops("checklist", "--runbook", "email-campaign", "--markdown", OOPS_DATABASE_URL=sqlite_url)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# Pre-flight checklist: runbook email-campaign"
    tasks = [line for line in lines if line.startswith("- [ ] ")]
    assert tasks == [
        "- [ ] Check which automations a list triggers before adding contacts to it",
        "- [ ] send to the test list first, always",  # the newest of three wordings, each taught once
        "- [ ] Check the price in the product feed",
    ]
    assert f"  - _learnt from 2 incidents: OOPS-{four}, OOPS-{three} · email-campaign · last" in result.stdout
    everything = oops("checklist", "--markdown", OOPS_DATABASE_URL=sqlite_url)
    assert "- [ ] Check the price in the product \\[feed\\]" in everything.stdout
    table = oops("checklist", OOPS_DATABASE_URL=sqlite_url)
    assert table.exit_code == 0 and "send to the test list first, always" in table.stdout, table.output


def test_oops_checklist_asks_which_workspace_when_there_are_several(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    write_history(engine)
    write_history(engine, OTHER, [("general", ["Ask finance before changing a price"])])
    engine.dispose()
    several = oops("checklist", "--markdown", OOPS_DATABASE_URL=sqlite_url)
    assert several.exit_code == 2, several.output
    assert f"several workspaces ({OTHER}, {TEAM})" in several.stderr, several.output
    other = oops("checklist", "--markdown", "--team", OTHER, OOPS_DATABASE_URL=sqlite_url)
    assert [line for line in other.stdout.splitlines() if line.startswith("- [ ]")] == [
        "- [ ] Ask finance before changing a price"
    ]


# the migration ----------------------------------------------------------------------------------------


def test_migration_0003_fills_who_added_each_item_from_its_retrospective(database_url: str) -> None:
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0002")
    now = datetime(2026, 1, 1)
    with engine.begin() as conn:
        for incident in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO incident (id, team_id, runbook_id, title, details, answers, reporter,"
                    " channel, status, scale, scale_reasons, recommendation, recommendation_reason,"
                    " decision_note, what_was_fixed, customer_action, offer, draft_approved, created_at,"
                    " updated_at)"
                    " VALUES (:id, :team, 'general', 't', '', '{}', 'U1', 'C1', 'closed', 'small', '[]',"
                    " 'correct', '', '', '', '', '', false, :now, :now)"
                ),
                {"id": incident, "team": TEAM, "now": now},
            )
        conn.execute(
            text(
                "INSERT INTO retrospective (team_id, incident_id, what_went_wrong, root_cause,"
                " what_we_change, submitted_by, created_at) VALUES (:team, 1, 'w', 'r', 'c', 'U0JO', :now)"
            ),
            {"team": TEAM, "now": now},
        )
        for incident, item in ((1, "Send to a test list first"), (2, "an item with no retrospective")):
            conn.execute(
                text(
                    "INSERT INTO checklistitem (team_id, incident_id, runbook_id, text, created_at)"
                    " VALUES (:team, :incident, 'general', :text, :now)"
                ),
                {"team": TEAM, "incident": incident, "text": item, "now": now},
            )
    migrate(engine)
    with Store(engine).read(TEAM) as repo:
        rows = {row.text: row for row in ChecklistRows(repo).active()}
    assert rows["Send to a test list first"].created_by == "U0JO"
    assert rows["an item with no retrospective"].created_by == ""
    assert all(row.retired_at is None and row.retired_by is None for row in rows.values())
    command.downgrade(alembic_config(engine), "0002")
    command.upgrade(alembic_config(engine), "head")
    engine.dispose()


# the threshold in app.yaml ------------------------------------------------------------------------------


def test_the_merge_threshold_comes_from_app_yaml_and_is_checked(config: AppConfig, tmp_path: Path) -> None:
    path = _shipped_with(tmp_path, "  merge_threshold: 85\n", "  merge_threshold: 101\n")
    _assert_names(_error(path), path, _line_of(path, "merge_threshold: 101"), "checklists.merge_threshold")
    left_out = _shipped_with(tmp_path, "checklists:\n  merge_threshold: 85\n", "")
    assert load_config(left_out, env={}).checklists.merge_threshold == 85
    strict = config.model_copy(update={"checklists": Checklists(merge_threshold=100)})
    with demo_bot(strict, f"sqlite:///{tmp_path / 'strict.db'}") as bot:
        write_history(bot.runtime.engine, bot.runtime.team_id)
        assert len(_shown(_ask(bot, ""))) == 4  # at 85 the same history gives 3 (see above)


def test_a_retire_click_with_a_mangled_value_is_refused_and_changes_nothing(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    write_history(bot.runtime.engine, bot.runtime.team_id)
    answer = _ask(bot)
    button = _retire_buttons(answer)[0]
    block = next(b for b in answer.blocks if button in h.elements(b))
    message = Message(channel=answer.channel, ts=answer.ts, user="", text=answer.text, blocks=answer.blocks)
    before = h.db_dump(bot.runtime.engine)
    for value in ("12", '{"item": "DROP TABLE"}', '{"q": "email-campaign"}', "not json"):
        start = len(emu.ephemerals)
        mangled = {**button, "value": value}
        payload = h.block_actions_payload(bot, message, message, block, mangled, h.REPORTER)
        assert bot.driver.send(h.payload_body(payload)).ok
        bot.settle()
        told = [e.text for e in emu.ephemerals[start:] if e.user == h.REPORTER]
        assert told == ["That button is not one of this checklist's."], (value, told)
    assert h.db_dump(bot.runtime.engine) == before
