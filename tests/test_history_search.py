"""History search: words, phrases, prefixes and filters over incidents and their lessons, on SQLite
(FTS5) and PostgreSQL (tsvector); hostile text is only ever words; the index follows the bot.

Incidents are written through the bot's own store (as report and retrospective record them), or by
walking a real incident through the Slack emulator; nothing of the bot is patched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

import tests.slack_helpers as h
from bot.demo import DemoBot
from bot.store import Store, make_engine, migrate
from bot.store.db import alembic_config
from bot.store.search import SearchRows
from bot.store.search_query import fts5_match, parse, tsquery
from bot.usecases.history import search_in
from tests.cli_helpers import oops
from tests.history_helpers import Past, write

TEAM = h.TEAM_ID
OTHER = "T0OTHER"
TZ = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parent.parent


HISTORY = {
    "welcome": Past(
        "Welcome email sent to existing customers",
        "Existing customers were added to the list that starts the welcome flow.",
        runbook="email-campaign",
        scale="medium",
        decision="correct",
        status="closed",
        day="2026-03-01",
        lessons=("Customers got the welcome series", "Lists trigger flows silently", "Flow lists are marked"),
        checklist=["Send to a test list first"],
    ),
    "cheddar": Past(
        "Wrong price on the cheddar kit",
        "The product feed still had last year's price.",
        runbook="pricing-error",
        decision="no_action",
        reporter="U0BOB",
        day="2026-04-10",
    ),
    "italian": Past(
        "Perché la fattura è sbagliata",
        "Il cliente ha ricevuto una fattura con l'importo sbagliato.",
        day="2026-05-02",
    ),
    "german": Past(
        "Falsche Lieferadresse auf dem Versandetikett",
        "Die Straße wurde beim Export nicht übernommen.",
        day="2026-06-01",
    ),
    # Every word of "welcome email existing customers" once, and newer: relevance must beat recency.
    "decoy": Past(
        "Newsletter typo", "The email to existing customers had a typo in the welcome line.", day="2026-07-01"
    ),
    "elsewhere": Past("Welcome email sent to existing customers", "Another workspace's mistake.", team=OTHER),
}


@pytest.fixture
def history(database_url: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    engine = make_engine(database_url)
    migrate(engine)
    ids = {name: write(engine, past) for name, past in HISTORY.items()}
    yield engine, ids
    engine.dispose()


def found(engine: Engine, words: str, team: str = TEAM, limit: int = 50) -> list[int]:
    with Store(engine).read(team) as repo:
        return [hit.id for hit in search_in(repo, words, TZ, limit=limit).hits]


def names(ids: dict[str, int], *wanted: str) -> list[int]:
    return [ids[name] for name in wanted]


def test_words_a_phrase_and_a_prefix(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    assert found(engine, "cheddar") == names(ids, "cheddar")
    assert found(engine, '"test list"') == names(ids, "welcome"), "a phrase from a checklist item"
    assert found(engine, '"list test"') == [], "a phrase keeps its order"
    assert found(engine, "chedd*") == names(ids, "cheddar")
    assert set(found(engine, "welc*")) == set(names(ids, "welcome", "decoy"))
    assert found(engine, "lists trigger flows") == names(ids, "welcome"), "the retrospective's words"


def test_the_obvious_match_is_ranked_first(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    assert found(engine, "welcome email existing customers") == names(ids, "welcome", "decoy")


def test_when_nothing_has_every_word_the_ones_with_most_of_them_are_shown(
    history: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = history
    with Store(engine).read(TEAM) as repo:
        some = search_in(repo, "cheddar kit lieferadresse", TZ)
        filtered = search_in(repo, "cheddar lieferadresse runbook:general", TZ)
        paged = search_in(repo, "cheddar lieferadresse", TZ, page=2, limit=1)
        every = search_in(repo, "welcome email", TZ)
        one_word = search_in(repo, "zanzibar", TZ)
    assert some.partial and [hit.id for hit in some.hits] == names(ids, "cheddar", "german"), "most first"
    assert [hit.id for hit in filtered.hits] == names(ids, "german"), "filters still hold"
    assert paged.partial and [hit.id for hit in paged.hits] == names(ids, "german") and not paged.more
    assert not every.partial and every.hits, "an incident has every word: no fallback"
    assert not one_word.partial and not one_word.hits, "one word that matches nothing: nothing"


def test_a_word_in_every_incident_does_not_crowd_out_those_with_more_of_the_words(database_url: str) -> None:
    """The some-of-the-words answer leaves out a term that fills the ranking window on its own."""
    engine = make_engine(database_url)
    migrate(engine)
    try:
        twice = write(engine, Past("Welcome duplicate sent twice", day="2025-01-01"))
        for n in range(4):
            write(engine, Past(f"Email footer typo {n}", day="2026-02-01"))
        with Store(engine).read(TEAM) as repo:
            rows = SearchRows(repo, window=3)
            windowed = rows.search(parse("welcome duplicate email"), limit=5, any_term=True)
            common_only = rows.search(parse("email footer"), limit=5, any_term=True)
        assert [incident.id for incident, _ in windowed] == [twice]
        assert len(common_only) == 3, "every word common: the rarest is kept, ranked in the window"
    finally:
        engine.dispose()


def test_pages_follow_the_ranking(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    with Store(engine).read(TEAM) as repo:
        first = search_in(repo, "welcome email existing customers", TZ, page=1, limit=1)
        second = search_in(repo, "welcome email existing customers", TZ, page=2, limit=1)
    assert [hit.id for hit in first.hits] == names(ids, "welcome") and first.more
    assert [hit.id for hit in second.hits] == names(ids, "decoy") and not second.more
    assert first.hits[0].lesson == "Flow lists are marked" and second.hits[0].lesson == ""


def test_each_filter(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    ours = {n for n, p in HISTORY.items() if p.team == TEAM}
    assert found(engine, "runbook:pricing-error") == names(ids, "cheddar")
    assert found(engine, "scale:MEDIUM") == names(ids, "welcome")
    assert found(engine, "decision:no-action") == names(ids, "cheddar")
    assert found(engine, "status:closed") == names(ids, "welcome")
    assert set(found(engine, "status:open")) == {ids[n] for n in ours - {"welcome"}}
    # Newest first when only filters are given.
    assert found(engine, "since:2026-05-01") == names(ids, "decoy", "german", "italian")
    assert found(engine, "before:2026-04-10") == names(ids, "welcome")
    assert found(engine, "by:<@U0BOB>") == names(ids, "cheddar")
    assert found(engine, "by:@U0BOB") == names(ids, "cheddar")
    assert found(engine, "email runbook:email-campaign") == names(ids, "welcome")
    assert found(engine, "email status:open") == names(ids, "decoy")
    assert found(engine, "cheddar since:2026-05-01") == []


# Written in this order, so their ids do not follow their dates (as after an import).
PARCELS = {
    "autumn": Past("Parcel labels printed twice", day="2026-09-01"),
    "winter": Past("Parcel tracking links broken", day="2026-01-01"),
    "spring": Past("Parcel weight wrong on the invoice", day="2026-05-01"),
}


@pytest.fixture
def parcels(database_url: str) -> Iterator[tuple[Engine, dict[str, int]]]:
    engine = make_engine(database_url)
    migrate(engine)
    ids = {name: write(engine, past) for name, past in PARCELS.items()}
    yield engine, ids
    engine.dispose()


def test_date_filters_hold_when_ids_do_not_follow_dates(parcels: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = parcels
    assert found(engine, "parcel since:2026-08-01") == names(ids, "autumn")
    assert found(engine, "parcel before:2026-02-01") == names(ids, "winter")
    assert found(engine, "parcel since:2026-04-01 before:2026-06-01") == names(ids, "spring")
    assert found(engine, "parcel since:2027-01-01") == []
    assert found(engine, "parcel before:2025-01-01") == []
    assert set(found(engine, "parcel since:2025-01-01")) == set(ids.values())


def test_only_the_newest_matches_are_ranked(database_url: str) -> None:
    """A word matching more incidents than the ranking window is ranked among its newest matches."""
    engine = make_engine(database_url)
    migrate(engine)
    dense = write(engine, Past("Labels: parcel parcel parcel", "A parcel, a parcel.", day="2025-06-01"))
    newer = {write(engine, past) for past in PARCELS.values()}
    with Store(engine).read(TEAM) as repo:
        ranked = SearchRows(repo).search(parse("parcel"), limit=10)
        windowed = SearchRows(repo, window=3).search(parse("parcel"), limit=10)
    engine.dispose()
    assert ranked[0][0].id == dense, "with the whole history in the window, the densest match leads"
    assert {incident.id for incident, _ in windowed} == newer, "a window of 3: the three newest"


def test_dates_at_the_ends_of_the_calendar_are_valid_in_a_zone_east_of_utc(
    history: tuple[Engine, dict[str, int]],
) -> None:
    """Midnight of 0001-01-01 in Rome is before the first UTC instant: a filter, not an overflow."""
    engine, ids = history
    rome = ZoneInfo("Europe/Rome")
    with Store(engine).read(TEAM) as repo:

        def rome_ids(words: str) -> list[int]:
            return [hit.id for hit in search_in(repo, words, rome).hits]

        assert rome_ids("cheddar before:0001-01-01") == []
        assert rome_ids("cheddar since:0001-01-01") == names(ids, "cheddar")
        assert rome_ids("cheddar before:9999-12-31") == names(ids, "cheddar")
        assert rome_ids("cheddar since:9999-12-31") == []


def test_accents_are_folded_and_italian_and_german_are_found(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    assert found(engine, "perche") == names(ids, "italian")
    assert found(engine, "PERCHÉ fattura sbagliata") == names(ids, "italian")
    assert found(engine, "importo") == names(ids, "italian")
    assert found(engine, "Lieferadresse") == names(ids, "german")
    assert found(engine, "strasse ubernommen") == names(ids, "german")
    assert found(engine, "Straße übernommen") == names(ids, "german")


def test_italian_and_german_inflections_umlauts_typed_plainly_and_stop_words(
    history: tuple[Engine, dict[str, int]],
) -> None:
    engine, ids = history
    assert found(engine, "fatture sbagliate") == names(ids, "italian"), "Italian plural of fattura sbagliata"
    assert found(engine, "Lieferadressen") == names(ids, "german"), "German plural"
    assert found(engine, "uebernommen") == names(ids, "german"), "ü typed as ue"
    assert found(engine, "wrong price for the cheddar") == names(ids, "cheddar"), "`for` is not required"
    with Store(engine).read(TEAM) as repo:
        assert search_in(repo, "cheddar 2019", TZ).partial, "a number is not a stop word: no hit has it"
    assert ids["cheddar"] in found(engine, "the"), "a query of stop words alone still asks for them"


def test_english_inflections_are_found(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    assert set(found(engine, "emails")) == set(names(ids, "welcome", "decoy"))
    assert found(engine, "prices") == names(ids, "cheddar")
    assert found(engine, "triggered") == names(ids, "welcome")


def test_another_workspace_is_never_found(history: tuple[Engine, dict[str, int]]) -> None:
    engine, ids = history
    for words in ("welcome email", "mistake", "status:open", "welc*", "since:2000-01-01"):
        assert ids["elsewhere"] not in found(engine, words), words
    assert found(engine, "welcome email sent", team=OTHER) == names(ids, "elsewhere")
    assert found(engine, "cheddar", team=OTHER) == []


HOSTILE = [
    "",
    "   ",
    "***",
    '"',
    '"unclosed phrase',
    "AND OR NOT",
    "-cheddar",
    "cheddar:",
    ":::",
    "NEAR(cheddar kit, 2)",
    "title:cheddar",
    "^cheddar",
    "'; DROP TABLE incident; --",
    "cheddar' OR '1'='1",
    "!(a | b) & c:* <-> d",
    "🙂🔥 🇮🇹",
    "status:open OR 1=1",
    "since:2026-02-30 before:tomorrow by:nobody",
    "x" * 2000,
    "perché " * 400,
]


@pytest.mark.parametrize("words", HOSTILE)
def test_hostile_text_is_only_words(history: tuple[Engine, dict[str, int]], words: str) -> None:
    engine, ids = history
    hits = found(engine, words)
    assert set(hits) <= {ids[n] for n, p in HISTORY.items() if p.team == TEAM}
    if parse(words).empty:
        assert hits == [], "no words and no filters find nothing, never the whole history"


def test_nothing_asked_finds_nothing(history: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = history
    assert found(engine, "") == [] and found(engine, "?! -- ''") == []
    assert found(engine, "cheddar -- !!") != [], "punctuation around a word leaves the word"


FRAGMENTS = st.sampled_from(
    [
        '"',
        "*",
        "-",
        ":",
        "'",
        "(",
        ")",
        "\\",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "status:open",
        "runbook:general",
        "since:2026-04-01",
        "by:<@U0BOB>",
        "welc*",
        "email",
        "perché",
        "Straße",
        "&",
        "|",
        "!",
        "<->",
        ";",
        "%",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.one_of(st.text(max_size=40), FRAGMENTS), max_size=8).map(" ".join))
def test_any_text_never_errs_nor_finds_more_than_its_filters_allow(
    history: tuple[Engine, dict[str, int]], words: str
) -> None:
    engine, _ = history
    query = parse(words)
    with Store(engine).read(TEAM) as repo:
        results = search_in(repo, words, TZ, limit=100)
        since = (
            None
            if query.filters.since is None
            else datetime.combine(query.filters.since, datetime.min.time(), TZ)
        )
        before = (
            None
            if query.filters.before is None
            else datetime.combine(query.filters.before, datetime.min.time(), TZ)
        )
        allowed = SearchRows(repo).count_filtered(query, since, before)
    assert len(results.hits) <= allowed
    assert len({hit.id for hit in results.hits}) == len(results.hits)
    if query.empty:
        assert results.hits == ()


def test_the_index_follows_a_real_incident_to_its_retrospective(live_bot: DemoBot) -> None:
    bot = live_bot
    engine = bot.runtime.engine
    team = bot.runtime.team_id
    incident_id = h.walk_to_retro_scheduled(bot)
    assert found(engine, "welcome existing customers", team) == [incident_id], "indexed when reported"
    assert found(engine, "automations", team) == [], "no retrospective yet"
    h.fire_reminder(bot, incident_id)
    h.hold_retro(bot)
    # RETRO_VALUES: "Check a list's automations before adding contacts", "Flow-triggering lists are marked."
    assert found(engine, "automations", team) == [incident_id]
    with Store(engine).read(team) as repo:
        (hit,) = search_in(repo, '"flow triggering"', TZ).hits
    assert hit.lesson == h.RETRO_VALUES["what_we_change"]
    assert hit.ref == f"OOPS-{incident_id}" and hit.title == h.SUMMARY


def test_the_migration_indexes_incidents_already_there(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate(engine)  # rows are written by today's models, then taken back to the schema under test
        ids = {name: write(engine, past, index=False) for name, past in HISTORY.items()}
        command.downgrade(alembic_config(engine), "0003")
        with engine.connect() as conn:
            assert "incident_search" not in {r[0] for r in conn.execute(_tables(engine))}
        migrate(engine)
        assert found(engine, "perche") == names(ids, "italian")
        assert found(engine, '"test list"') == names(ids, "welcome"), "checklist items are indexed too"
        assert found(engine, "flows") == names(ids, "welcome"), "so are the retrospective's lessons"
        assert found(engine, "welcome email sent", team=OTHER) == names(ids, "elsewhere")
        command.downgrade(alembic_config(engine), "0003")  # and back: the index's own objects go too
        with engine.connect() as conn:
            assert not [r[0] for r in conn.execute(_tables(engine)) if r[0].startswith("incident_search")]
        migrate(engine)
        assert found(engine, "perche") == names(ids, "italian")
    finally:
        engine.dispose()


def test_the_prefix_migration_keeps_what_was_indexed(database_url: str) -> None:
    """0005 remakes SQLite's index with prefixes: what 0004 indexed is found after, and after going back."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
        ids = {name: write(engine, past) for name, past in HISTORY.items()}
        command.downgrade(alembic_config(engine), "0004")
        assert raw_hits(engine, "chedd") == names(ids, "cheddar"), "0004's index, before 0005"
        migrate(engine)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'incident_search_fts'"))
                assert "prefix='2 3 4'" in ddl.scalar_one()
        assert found(engine, "chedd*") == names(ids, "cheddar")
        assert set(found(engine, "we*")) == set(names(ids, "welcome", "decoy"))
        assert found(engine, '"test list"') == names(ids, "welcome")
        later = write(engine, Past("Cheddar price wrong again", day="2026-08-01"))
        assert found(engine, "ched*") == [later, ids["cheddar"]], "the triggers feed the new index"
        command.downgrade(alembic_config(engine), "0004")
        assert raw_hits(engine, "ched") == sorted([later, ids["cheddar"]])
    finally:
        engine.dispose()


def test_migration_0007_rewrites_the_words_in_three_languages(database_url: str) -> None:
    """Incidents indexed before 0007 (English stems only) are found by Italian inflections after it."""
    engine = make_engine(database_url)
    try:
        migrate(engine)
        italian = write(engine, HISTORY["italian"], index=False)
        command.downgrade(alembic_config(engine), "0006")
        with engine.begin() as conn:  # as the normaliser of 0004-0006 wrote it: words, English stems
            conn.execute(
                text(
                    "INSERT INTO incident_search (incident_id, team_id, title_text, search_text)"
                    " VALUES (:id, :team, 'perche la fattura e sbagliata perch', :words)"
                ),
                {"id": italian, "team": TEAM, "words": "il cliente ha ricevuto una fattura general"},
            )
        assert raw_hits(engine, "fattura") == [italian] and raw_hits(engine, "fatture") == []
        migrate(engine)
        assert found(engine, "fatture sbagliate") == [italian]
        assert found(engine, "importo") == [italian], "the details are written again too"
    finally:
        engine.dispose()


def raw_hits(engine: Engine, prefix: str) -> list[int]:
    """Incidents whose words start with ``prefix``, read from the index itself: at an old revision
    today's models (and so search_in) no longer match the tables."""
    if engine.dialect.name == "sqlite":
        query = text(
            "SELECT rowid FROM incident_search_fts WHERE incident_search_fts MATCH :q ORDER BY rowid"
        )
        words = f'"{prefix}"*'
    else:
        query = text(
            "SELECT incident_id FROM incident_search"
            " WHERE search_tsv @@ to_tsquery('simple', :q) ORDER BY incident_id"
        )
        words = f"{prefix}:*"
    with engine.connect() as conn:
        return [int(row) for row in conn.execute(query, {"q": words}).scalars()]


def _tables(engine: Engine) -> Any:
    if engine.dialect.name == "sqlite":
        return text("SELECT name FROM sqlite_master WHERE type = 'table'")
    return text("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")


def test_oops_history_search_prints_a_table(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    for past in HISTORY.values():
        if past.team == TEAM:
            write(engine, past)
    engine.dispose()

    result = oops("history", "search", "emails", "--team", TEAM, OOPS_DATABASE_URL=sqlite_url)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "OOPS-" in line]
    assert len(rows) == 2 and "Welcome email sent" in rows[0] and "Newsletter typo" in rows[1], result.stdout
    assert "Flow lists are marked" in rows[0] and "01 Mar 2026" in rows[0]

    limited = oops("history", "search", "emails", "--limit", "1", OOPS_DATABASE_URL=sqlite_url)
    assert limited.exit_code == 0, limited.output
    assert sum("OOPS-" in line for line in limited.stdout.splitlines()) == 1
    assert "raise --limit" in limited.stdout

    none = oops("history", "search", "zebra", OOPS_DATABASE_URL=sqlite_url)
    assert none.exit_code == 0 and "No past incident matches 'zebra'" in none.stdout
    assert "Try fewer words" in none.stdout and "┏" not in none.stdout, "no empty table"
    empty = oops("history", "search", "--", "!!", OOPS_DATABASE_URL=sqlite_url)
    assert empty.exit_code == 2 and "Give some words" in empty.output


def test_the_database_sees_only_quoted_lexemes() -> None:
    """Whatever is typed, FTS5 gets `"…"` strings joined by AND, PostgreSQL `'…'` lexemes and operators."""
    for words in [*HOSTILE, 'welcome "test list" welc* -x OR y:z', 'say "it"s" \\ back\\slash']:
        query = parse(words)
        for part in fts5_match(query).split(" AND ") if query.terms else []:
            assert re.fullmatch(r'"[^"]+"( \*)?|\("[^"]+"( OR "[^"]+")*\)', part), (words, part)
        stripped = re.sub(r"'[^']+'", "", tsquery(query))
        assert set(stripped) <= set(" &|()<->:*"), (words, tsquery(query))
    query = parse('"test list" welc* emails by:<@U0BOB> status:closed')
    assert fts5_match(query) == '"test list" AND "welc" * AND ("email" OR "emails")'
    assert tsquery(query) == "('test' <-> 'list') & 'welc':* & ('email' | 'emails')"
    assert (query.filters.by, query.filters.status) == ("U0BOB", "closed")
