"""Checklists that learn: retrospective items merged when they say the same thing, ranked by how many
past incidents taught them, retired from the message; `/oops checklist` over the wire, `oops checklist`.

The history is written through the bot's own store (Repo.add_retrospective, as a retrospective does),
or by walking a real incident through the emulator; nothing of the bot is patched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

import tests.slack_helpers as h
from bot.store import Store, make_engine, migrate
from bot.store.checklists import ChecklistRows
from bot.store.tables import ChecklistItem, Incident, Retrospective
from bot.usecases.checklists import Checklist, Item, Query, checklist_of, merge, parse_query

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


def _which(item: Item) -> str:
    for word in (TEST_LIST, AUTOMATIONS, PRICE):
        if word in item.text.lower():
            return word
    raise AssertionError(item.text)


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
