"""Similar past mistakes shown when a new incident opens: found by their words and runbook, with what
was decided, how it went and the lesson, beside the runbook's checklist; nothing when nothing is close;
chosen once, so a resume or a recovery shows the same list. On SQLite and PostgreSQL.

Past incidents are walked through the Slack emulator, or written through the bot's own store as report
and retrospective record them; nothing of the bot is patched.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlalchemy import Engine, text

import tests.slack_helpers as h
from bot.config import AppConfig
from bot.demo import DemoBot
from bot.runbook.model import Decision
from bot.slack import ids
from bot.slack.views.precedents import precedents as render_precedents
from bot.snapshot import PrecedentView
from bot.store import Store, make_engine, migrate
from bot.store.db import alembic_config
from bot.store.search import SearchRows
from bot.store.similar import COUNT_CAP, SimilarRows, any_of_fts5, any_of_tsquery
from bot.store.tables import Incident, Post
from bot.usecases.similar import SIMILAR_MIN, keys, shown, similar_in, similarity, words_of
from tests import history_helpers
from tests.history_helpers import write
from tests.test_views_limits import MENTION, _base, _check_message, _long

TEAM = h.TEAM_ID
OTHER = "T0OTHER"
PART = "precedents"
LESSON = h.RETRO_VALUES["what_we_change"]
ITEM = h.RETRO_VALUES["checklist"]


# ---------------------------------------------------------------------------------------------- helpers


@dataclass
class Past(history_helpers.Past):
    """A past email-campaign mistake that was corrected, unless said otherwise."""

    runbook: str = "email-campaign"
    decision: str | None = "correct"


HISTORY = {
    "welcome": Past(
        "Welcome email sent to existing customers",
        "Existing customers were added to the list that starts the welcome flow.",
        lessons=("Customers got the welcome series", "Lists trigger flows silently", "Flow lists are marked"),
        checklist=("Send to a test list first",),
    ),
    "cheddar": Past(
        "Wrong price on the cheddar kit",
        "The product feed still had last year's price.",
        runbook="pricing-error",
        decision="no_action",
    ),
    "italian": Past(
        "Email di promemoria inviate due volte",
        "La campagna di promemoria è partita due volte per un errore nel flusso.",
        lessons=("Promemoria doppi", "Il flusso non aveva un blocco", "Un blocco contro i doppi invii"),
        day="2026-04-02",
    ),
    "german": Past(
        "Falsche Lieferadresse auf dem Versandetikett",
        "Die Straße wurde beim Export nicht übernommen.",
        runbook="general",
        day="2026-05-01",
    ),
    "elsewhere": Past("Welcome email sent to existing customers", "Another workspace's mistake.", team=OTHER),
}


@pytest.fixture
def history(database_url: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    engine = make_engine(database_url)
    migrate(engine)
    ids_ = {name: write(engine, past) for name, past in HISTORY.items()}
    yield engine, ids_
    engine.dispose()


def similar(
    engine: Engine, title: str, details: str = "", runbook: str = "email-campaign", **kw: Any
) -> list[int]:
    with Store(engine).read(kw.pop("team", TEAM)) as repo:
        return [p.id for p in similar_in(repo, title, details, runbook, **kw)]


def report_as(bot: DemoBot, summary: str, details: str, answers: Mapping[str, str] | None = None) -> Incident:
    """/oops with these words, then submit the report form; returns the new incident."""
    before = {i.id for i in h.rows(bot, Incident)}
    view = h.open_report(bot, summary)
    values: dict[str, Any] = {"details": details, **h.answer_values(view, answers)}
    response = bot.driver.submit_view(view["id"], values, user=h.REPORTER)
    assert response.status == 200, response.body_text
    bot.settle()
    [incident] = [i for i in h.rows(bot, Incident) if i.id not in before]
    return incident


def parts(bot: DemoBot, incident: Incident) -> list[str]:
    """The parts of an incident's thread, in the order they were posted."""
    assert incident.header_ts is not None
    thread = bot.emulator.thread(incident.channel, incident.header_ts)
    found = [m.metadata["event_payload"]["part"] for m in thread if m.metadata]
    return [part for part in found if part != "header"]


def kept_for(bot: DemoBot, incident_id: int) -> dict[str, Any] | None:
    with Store(bot.runtime.engine).read(TEAM) as repo:
        return SimilarRows(repo).kept(incident_id)


def part_rows(bot: DemoBot, incident_id: int) -> set[str]:
    return {p.kind for p in h.rows(bot, Post, incident_id=incident_id)}


# ---------------------------------------------------------------------------------------------- scoring


def test_scores_are_in_zero_to_one_and_rank_the_paraphrase_above_the_neighbour() -> None:
    def score(a: str, b: str, same: bool = True) -> float:
        return similarity(keys(a), keys(a), keys(b), keys(b), same)

    welcome = "Welcome email sent to existing customers"
    assert score(welcome, welcome) == 1.0
    paraphrase = score("Welcome emails went to customers who already bought", welcome)
    neighbour = score("Newsletter typo in the greeting", welcome)
    assert paraphrase >= SIMILAR_MIN > neighbour
    assert score("Wrong price on the cheddar kit", welcome) == 0.0
    assert score("Wrong price on the cheddar kit", welcome, same=True) == 0.0, "a runbook alone is not alike"
    assert score("Email sent twice", welcome, same=True) > score("Email sent twice", welcome, same=False)


def test_common_words_and_numbers_make_nothing_alike() -> None:
    assert keys("The 27,463 of them were in the list, and it was sent") == keys("list sent")
    assert keys("il 12 della e per con") == frozenset() == keys("der die das und 2026")
    assert similarity(keys("to the of"), keys("to the of"), keys("to the of"), keys("to the of"), True) == 0
    # inflections and accents meet: stems cut to six letters
    assert keys("inviate perché customers") == keys("inviato perche customer")


@given(a=st.text(max_size=80), b=st.text(max_size=80), same=st.booleans())
def test_any_text_scores_within_zero_and_one(a: str, b: str, same: bool) -> None:
    s = similarity(keys(a), keys(a), keys(b), keys(b), same)
    assert 0.0 <= s <= 1.0


def test_the_database_sees_only_quoted_words() -> None:
    hostile = "x\" OR 1=1; -- NEAR(a b) '; DROP TABLE incident; -- a:* & !b | c <-> d"
    words = words_of(hostile, "¿perché? Straße")
    assert all(w.isalnum() for w in words)
    assert any_of_fts5(["a", 'b"c']) == '"a" OR "b""c"'
    assert any_of_tsquery(["a", "b'c"]) == "'a' | 'b''c'"


# ---------------------------------------------------------------------------------------------- the store


def test_the_obvious_precedent_first_with_its_decision_and_lesson(
    history: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids_ = history
    with Store(engine).read(TEAM) as repo:
        found = similar_in(repo, "Welcome email sent to 27,463 existing customers", "", "email-campaign")
    assert [p.id for p in found] == [ids_["welcome"]]
    (p,) = found
    assert p.decision == "correct" and p.apology_approved and p.retro_held and p.status == "closed"
    assert p.lesson == "Flow lists are marked" and p.ref == f"OOPS-{ids_['welcome']}"
    assert SIMILAR_MIN <= p.score <= 1.0


def test_paraphrases_italian_and_german_are_found(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids_ = history
    assert similar(engine, "Welcome emails went to customers who already bought")[0] == ids_["welcome"]
    assert similar(
        engine, "Promemoria inviato due volte", "I clienti hanno ricevuto il promemoria due volte"
    ) == [ids_["italian"]]
    assert similar(engine, "Lieferadresse falsch auf dem Etikett", runbook="general") == [ids_["german"]]
    assert similar(engine, "Prices wrong on the cheddar kits", runbook="pricing-error") == [ids_["cheddar"]]


def test_nothing_close_finds_nothing(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids_ = history
    assert (
        similar(engine, "Newsletter footer links broken", "The unsubscribe footer pointed at a dead page.")
        == []
    )
    assert similar(engine, "", "") == [] and similar(engine, "the of 2026", "") == []
    # One word in common: a candidate, but not similar enough to show.
    footer = ("Newsletter email footer links broken", "The unsubscribe footer pointed at a dead page.")
    assert similar(engine, *footer) == []
    assert set(similar(engine, *footer, threshold=0.0)) == {ids_["welcome"], ids_["italian"]}


def test_another_workspace_and_the_incident_itself_are_never_found(
    history: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids_ = history
    title = "Welcome email sent to existing customers"
    assert ids_["elsewhere"] not in similar(engine, title)
    assert similar(engine, title, team=OTHER) == [ids_["elsewhere"]]
    assert similar(engine, title, exclude_id=ids_["welcome"]) == []
    assert similar(engine, title, team="T0NOBODY") == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=st.text(max_size=150),
    details=st.lists(
        st.one_of(
            st.text(max_size=30), st.sampled_from(['"', "*", "OR", "NEAR(", "'", ":*", "|", "welcome"])
        ),
        max_size=10,
    ).map(" ".join),
)
def test_any_text_is_only_words(history: tuple[Engine, dict[str, int]], title: str, details: str) -> None:
    engine, ids_ = history
    found = similar(engine, title, details)
    assert len(found) <= 3 and ids_["elsewhere"] not in found


def test_a_word_in_most_of_a_long_history_is_not_what_finds_a_precedent(database_url: str) -> None:
    """Past COUNT_CAP incidents holding a word, it is left out of the lookup (ranking it would cost a
    step per incident, and it tells little); the rarer words still find the precedent, and a new
    incident made only of common words still gets an answer."""
    engine = make_engine(database_url)
    migrate(engine)
    try:
        with Store(engine).transaction(TEAM) as repo:
            for n in range(COUNT_CAP + 100):
                newsletter = Incident(
                    team_id=TEAM,
                    runbook_id="email-campaign",
                    title=f"Newsletter email typo {n}",
                    reporter=h.REPORTER,
                    channel=h.INCIDENT_CHANNEL,
                    status="deciding",
                    scale="small",
                    recommendation="correct",
                )
                SearchRows(repo).index(repo.add_incident(newsletter))
        welcome = write(engine, HISTORY["welcome"])
        with Store(engine).read(TEAM) as repo:
            words = words_of("Welcome email sent again to existing customers")
            chosen, every = SimilarRows(repo).telling(words)
            assert "email" not in chosen and "welcom" in chosen and not every
            assert similar(engine, "Welcome email sent again to existing customers")[0] == welcome
            chosen, every = SimilarRows(repo).telling(words_of("Newsletter email typo"))
            assert every and len(chosen) == 2, "only common words: the two rarest, together"
        found = similar(engine, "Newsletter email typo")
        assert len(found) == 3 and welcome not in found
        # Words are common or not in each workspace on its own: the other one's newsletters do not
        # make "email" and "typo" too common to find its own precedent.
        theirs = write(engine, Past("Newsletter email typo", team=OTHER))
        with Store(engine).read(OTHER) as repo:
            found_there = similar_in(repo, "Email typo in the newsletter to customers", "", "general")
        assert [p.id for p in found_there] == [theirs]
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- in Slack


def test_a_second_welcome_email_shows_the_first_with_its_decision_lesson_and_checklist(
    live_bot: DemoBot,
) -> None:
    bot = live_bot
    first_id = h.walk_to_closed(bot)
    first = h.only_incident(bot)
    second = report_as(bot, "Welcome email sent again to existing customers", h.DETAILS)
    assert second.id is not None

    assert parts(bot, second) == ["assessment", "departments", PART, "decision"]
    message = h.posted(bot, second.id, PART)
    shown_text = h.blocks_text(message)
    assert f"OOPS-{first_id}" in shown_text and h.SUMMARY in shown_text
    assert Decision.correct.label in shown_text and "apology approved" in shown_text
    assert "retrospective held" in shown_text and LESSON in shown_text
    assert "Last time we learned" in shown_text and ITEM in shown_text
    assert first.header_ts is not None
    domain, ts = bot.emulator.team_domain, first.header_ts.replace(".", "")
    link = f"https://{domain}.slack.com/archives/{first.channel}/p{ts}"
    assert f"<{link}|OOPS-{first_id}>" in shown_text, "it links to the first incident's thread"
    # Kept with the incident, as shown.
    kept, learned = shown(kept_for(bot, second.id))
    assert [p.id for p in kept] == [first_id] and learned == (ITEM,)
    # The decision prompt still follows, and works.
    assert h.shows(bot.emulator, ids.DECIDE_PREFIX + "correct")


def test_an_unrelated_incident_shows_no_precedents(live_bot: DemoBot) -> None:
    bot = live_bot
    h.walk_to_closed(bot)
    calls = len(bot.emulator.calls_to("chat.getPermalink"))
    # It shares a word ("email") and the runbook with the first, and nothing else.
    other = report_as(
        bot, "Newsletter email footer links broken", "The unsubscribe footer pointed at a dead page."
    )
    assert other.id is not None
    assert PART not in parts(bot, other) and PART not in part_rows(bot, other.id)
    assert parts(bot, other) == ["assessment", "departments", "decision"]
    chosen = kept_for(bot, other.id)
    assert chosen is not None and shown(chosen) == ((), ()), "chosen when it opened: none"
    assert len(bot.emulator.calls_to("chat.getPermalink")) - calls <= 1, "no link asked for nothing"


def test_another_workspaces_mistakes_never_appear(live_bot: DemoBot) -> None:
    bot = live_bot
    elsewhere = write(bot.runtime.engine, HISTORY["elsewhere"])
    new = report_as(bot, "Welcome email sent to existing customers", "Another workspace's mistake.")
    assert new.id is not None and PART not in part_rows(bot, new.id)
    # The same mistake in this workspace is shown: the lookup ran, and found only what is ours.
    ours = write(bot.runtime.engine, replace(HISTORY["elsewhere"], team=bot.runtime.team_id))
    again = report_as(bot, "Welcome email sent to existing customers again", "Ours this time.")
    assert again.id is not None and PART in part_rows(bot, again.id)
    kept, _ = shown(kept_for(bot, again.id))
    assert ours in [p.id for p in kept] and elsewhere not in [p.id for p in kept]


def test_an_italian_mistake_finds_the_italian_one_before_it(live_bot: DemoBot) -> None:
    bot = live_bot
    engine = bot.runtime.engine
    italian = write(engine, HISTORY["italian"])
    write(engine, HISTORY["welcome"])
    new = report_as(
        bot, "Email di promemoria spedita due volte", "I clienti hanno ricevuto il promemoria due volte."
    )
    assert new.id is not None
    kept, _ = shown(kept_for(bot, new.id))
    assert kept and kept[0].id == italian
    message = h.posted(bot, new.id, PART)
    assert "Email di promemoria inviate due volte" in h.blocks_text(message)
    assert "Un blocco contro i doppi invii" in h.blocks_text(message)


def test_resume_and_recovery_show_the_list_chosen_when_it_opened(
    config: AppConfig, database_url: str
) -> None:
    with h.workspace_emulator(config) as emu:
        with h.serve_bot(config, database_url, emu) as first_bot:
            first_id = h.walk_to_closed(first_bot)
            # Slack refuses the second incident's header: saved (with its precedents), never posted.
            emu.fail_next("chat.postMessage", status=200, error="channel_not_found")
            second = report_as(first_bot, "Welcome email sent again to existing customers", h.DETAILS)
            assert second.id is not None and second.header_ts is None
            # Later, a closer match enters the history: a list chosen afresh would show it first.
            closer = write(
                first_bot.runtime.engine,
                Past(
                    "Welcome email sent again to existing customers",
                    h.DETAILS,
                    lessons=("Again", "Again", "A closer lesson"),
                ),
            )
            with first_bot.runtime.engine.begin() as conn:
                conn.execute(
                    text("UPDATE incident SET updated_at = :t WHERE id = :i"),
                    {"t": datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1), "i": second.id},
                )
        with h.serve_bot(config, database_url, emu) as bot:
            bot.runtime.wait_idle(timeout=30)  # recovery at start posts what was never posted
            incident = next(i for i in h.rows(bot, Incident) if i.id == second.id)
            assert incident.header_ts is not None
            assert parts(bot, incident) == ["assessment", "departments", PART, "decision"]
            message = h.posted(bot, second.id, PART)
            assert f"OOPS-{first_id}" in h.blocks_text(message)
            assert f"OOPS-{closer}" not in h.blocks_text(message), "the list was chosen when it opened"

            # /oops resume redraws what is there: the same list, edited in place, nothing posted twice.
            edits = len(message.edits)
            response = bot.driver.slash("/oops", f"resume OOPS-{second.id}", user=h.REPORTER)
            assert response.status == 200
            bot.settle()
            message = h.posted(bot, second.id, PART)
            assert len(message.edits) > edits, "resume redrew it"
            assert f"OOPS-{first_id}" in h.blocks_text(message)
            assert f"OOPS-{closer}" not in h.blocks_text(message)
            assert parts(bot, incident).count(PART) == 1
            assert not emu.ui_errors, emu.ui_errors


def test_resume_posts_the_precedents_when_their_post_is_missing(live_bot: DemoBot) -> None:
    bot = live_bot
    first_id = h.walk_to_closed(bot)
    second = report_as(bot, "Welcome email sent again to existing customers", h.DETAILS)
    assert second.id is not None and second.header_ts is not None
    message = h.posted(bot, second.id, PART)
    # As a stop between recording the intent and posting leaves it: an intent, and no message.
    WebClient(token=bot.emulator.bot_token, base_url=bot.emulator.base_url).chat_delete(
        channel=message.channel, ts=message.ts
    )
    with bot.runtime.engine.begin() as conn:
        conn.execute(
            text("UPDATE post SET ts = NULL WHERE incident_id = :i AND kind = :k"),
            {"i": second.id, "k": PART},
        )
    bot.driver.slash("/oops", f"resume OOPS-{second.id}", user=h.REPORTER)
    bot.settle()
    again = h.posted(bot, second.id, PART)
    assert f"OOPS-{first_id}" in h.blocks_text(again) and LESSON in h.blocks_text(again)


# ---------------------------------------------------------------------------------------------- migration


def test_migration_0006_upgrades_a_0005_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        command.upgrade(alembic_config(engine), "0005")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO incident (team_id, runbook_id, title, details, answers, reporter, channel,"
                    " status, scale, scale_reasons, recommendation, recommendation_reason, decision_note,"
                    " what_was_fixed, customer_action, offer, draft_approved, created_at, updated_at)"
                    " VALUES (:t, 'email-campaign', 'Welcome email sent to existing customers', '', '{}',"
                    " 'U0AILSA', 'C0OOPS', 'closed', 'small', '[]', 'correct', '', '', '', '', '', false,"
                    " :at, :at)"
                ),
                {"t": TEAM, "at": datetime(2026, 3, 1, 10)},
            )
            old_id = conn.execute(text("SELECT max(id) FROM incident")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO incident_search (incident_id, team_id, title_text, search_text)"
                    " VALUES (:i, :t, 'welcome email sent to existing customers', '')"
                ),
                {"i": old_id, "t": TEAM},
            )
        migrate(engine)
        with Store(engine).read(TEAM) as repo:
            assert repo.incident(old_id) is not None
            assert SimilarRows(repo).kept(old_id) is None, "opened before: none were chosen"
            assert [p.id for p in similar_in(repo, "Welcome email sent twice", "", "email-campaign")] == [
                old_id
            ]
        with Store(engine).transaction(TEAM) as repo:
            SimilarRows(repo).keep(old_id, {"v": 1, "items": [], "learned": []})
        with Store(engine).read(OTHER) as repo:
            assert SimilarRows(repo).kept(old_id) is None, "another workspace reads nothing"
        command.downgrade(alembic_config(engine), "0005")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() == 1
        migrate(engine)
        with Store(engine).read(TEAM) as repo:
            assert SimilarRows(repo).kept(old_id) is None
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- Block Kit


def _extreme(n: int) -> PrecedentView:
    return PrecedentView(
        id=2_147_483_647 - n,
        ref=f"OOPS-{2_147_483_647 - n}",
        title=(MENTION + " " + _long("title", 150))[:150],
        date=datetime(2026, 3, 1, tzinfo=UTC),
        runbook="x" * 80,
        scale="y" * 40,
        decision=["correct", None, "no_action", "made-up"][n % 4],
        status=["closed", "deciding", "odd"][n % 3],
        apology_approved=n % 2 == 0,
        retro_held=n % 2 == 1,
        lesson=_long(MENTION, 3000),
        link="https://whey.slack.com/archives/C0OOPS/p1700000000000100",
    )


def test_the_precedents_message_fits_slacks_limits_at_extreme_sizes(config: AppConfig) -> None:
    from bot.runbook.loader import load_runbooks

    runbook = load_runbooks(config.runbooks_path, departments=set(config.departments))["email-campaign"]
    base = _base(runbook)
    cases = {
        "none": base,
        "three, long": dataclasses.replace(
            base,
            precedents=tuple(_extreme(n) for n in range(3)),
            learned=tuple(_long(MENTION, 300) for _ in range(3)),
        ),
        "more than ever kept": dataclasses.replace(
            base,
            precedents=tuple(_extreme(n) for n in range(60)),
            learned=tuple(_long(MENTION, 3000) for _ in range(60)),
        ),
    }
    for name, snap in cases.items():
        _check_message(render_precedents(snap), f"precedents/{name}")


def test_a_hand_edited_list_is_read_as_far_as_it_goes() -> None:
    good = {"id": 1, "ref": "OOPS-1", "title": "t", "date": "2026-03-01T10:00:00+00:00"}
    kept = {"v": 1, "items": [good, {"id": "x"}, "nonsense", {"ref": "OOPS-2"}], "learned": ["a", 3]}
    views, learned = shown(json.loads(json.dumps(kept)))
    assert [v.ref for v in views] == ["OOPS-1"] and learned == ("a", "3")
    assert shown(None) == ((), ()) and shown({"items": "x"}) == ((), ())
