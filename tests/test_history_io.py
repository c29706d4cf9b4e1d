"""`oops history show / export / import`: the whole record of one incident; the history out as JSON Lines
or CSV and back in; export → import into an empty database → export gives the same bytes, on SQLite and
PostgreSQL; a bad file changes nothing and names its line; importing twice adds nothing.

The history is made by walking a real incident through the bot over the Slack emulator (closed with a
cause and an action item), plus incidents written through the bot's own store (bench.seed, Repo,
ActionItems, FollowupRows), so every table the record holds has rows: action items open, snoozed and
done, and watches asked with their figures and not asked yet.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

import tests.retro_helpers as rh
import tests.slack_helpers as h
from bench.incident import private_schema
from bench.seed import seed_history
from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.store import Store, make_engine, migrate
from bot.store.actions import ActionItems, NewItem, mark_done, snooze_until
from bot.store.checklists import ChecklistRows
from bot.store.followups import FollowupRows
from bot.store.tables import (
    ActionItem,
    ChecklistItem,
    DecisionLog,
    Draft,
    Incident,
    IncidentWatch,
    Notice,
    Post,
    Retrospective,
)
from tests.cli_helpers import oops

TEAM = h.TEAM_ID
OTHER = "T0OTHER"
TRICKY_TITLE = 'Price "£1,000, or £10"; wrong\nsecond line\u2028and a separator ✉'
FORMULA_TITLE = '=HYPERLINK("http://x")'


@contextmanager
def empty_database(like: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database of the same kind as ``like`` (a SQLite file, or a PostgreSQL schema)."""
    if like.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        return
    with private_schema(os.environ["OOPS_TEST_DATABASE_URL"], prefix="t") as url:
        yield url


def add_incident(engine: Engine, team: str, title: str, *, day: str = "2026-02-03") -> int:
    """An open incident as report records it, with a title a spreadsheet or a line reader could trip on."""
    with Store(engine).transaction(team) as repo:
        incident = repo.add_incident(
            Incident(
                team_id=team,
                runbook_id="general",
                title=title,
                details='Commas, "quotes"\nand new lines.',
                answers={"zeta": 1.5, "alpha": "x"},
                reporter=h.REPORTER,
                channel=h.INCIDENT_CHANNEL,
                status="deciding",
                scale="small",
                recommendation="correct",
                created_at=datetime.fromisoformat(f"{day}T09:15:30.123456+00:00"),
            )
        )
        repo.log(incident.id or 0, "report", "general", h.REPORTER, title)
        return incident.id or 0


@dataclass
class History:
    url: str
    engine: Engine
    walked: int  # the incident walked through Slack to its close
    due: date  # its action item's due day
    acted: int  # an incident with action items done, snoozed and open
    ids: list[int]  # the team's incidents
    other: list[int]  # another workspace's


@pytest.fixture
def history(live_bot: DemoBot, database_url: str) -> History:
    bot = live_bot
    engine = bot.runtime.engine
    assert bot.runtime.team_id == TEAM
    due = rh.tomorrow(bot)
    walked = rh.close_with_action(bot, due, cause="automation").incident_id
    assert h.only_incident(bot).status == Status.CLOSED
    seeded = seed_history(engine, 3, TEAM, checklist_items=2)
    tricky = add_incident(engine, TEAM, TRICKY_TITLE)
    formula = add_incident(engine, TEAM, FORMULA_TITLE, day="2026-02-04")
    other = seed_history(engine, 2, OTHER)
    with Store(engine).transaction(TEAM) as repo:  # one lesson retired, as the Retire button does
        first = ChecklistRows(repo).active(limit=1)[0]
        ChecklistRows(repo).retire([first.id or 0], h.DECIDER, datetime(2026, 3, 1, 12, tzinfo=UTC))
        add_follow_through(repo, walked, seeded[0])
    return History(database_url, engine, walked, due, seeded[0],
                   [walked, *seeded, tricky, formula], other)  # fmt: skip


def add_follow_through(repo: Any, walked: int, seeded: int) -> None:
    """Action items in every state (done, snoozed after a reminder, open) and the walked incident's
    watch asked and answered, as the Done and Snooze buttons and the figures modal leave them."""
    items = ActionItems(repo)
    items.add(
        seeded, [NewItem(f"Follow-up {n}", h.DECIDER, date(2026, 2, 10 + n)) for n in range(3)], h.REVIEWER
    )
    repo.session.flush()
    done, snoozed, _ = items.of_incident(seeded)
    assert mark_done(done, h.REPORTER, datetime(2026, 2, 9, 16, 30, 1, 250, tzinfo=UTC))
    items.reminded(snoozed.id or 0, date(2026, 2, 11))
    repo.session.refresh(snoozed)
    assert snooze_until(snoozed, date(2026, 2, 20))
    watch = FollowupRows(repo).watch(walked)
    assert watch is not None, "approving the apology sets the watch"
    watch.asked_at = datetime(2026, 2, 4, 10, tzinfo=UTC)
    watch.complaints, watch.unsubscribes, watch.replies = 7, 0, 31
    watch.recorded_by, watch.recorded_at = h.DECIDER, datetime(2026, 2, 5, 9, 1, 2, 345678, tzinfo=UTC)
    FollowupRows(repo).add_watch(seeded, datetime(2026, 2, 6, 10, tzinfo=UTC))  # not asked yet
    repo.session.add_all([done, snoozed, watch])


def export(url: str, path: Path, *args: str) -> bytes:
    result = oops("history", "export", "--output", str(path), *args, OOPS_DATABASE_URL=url)
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def count(engine: Engine, table: type, team: str) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(table).where(table.team_id == team)  # type: ignore[attr-defined]
        return int(session.execute(query).scalar_one())


def test_export_then_import_into_an_empty_database_gives_the_same_bytes(
    history: History, tmp_path: Path
) -> None:
    first = export(history.url, tmp_path / "history.jsonl", "--team", TEAM)
    records = [json.loads(line) for line in first.decode().splitlines()]
    # Everything of the team's record, nothing of the other workspace's, by id.
    assert [r["id"] for r in records] == sorted(history.ids)
    assert {r["team"] for r in records} == {TEAM} and {r["format"] for r in records} == {"oops-history/1"}
    for table, key in ((DecisionLog, "decision_log"), (Notice, "notices"), (Draft, "drafts"),
                       (ChecklistItem, "checklist"), (Post, "posts"),
                       (ActionItem, "action_items")):  # fmt: skip
        assert sum(len(r[key]) for r in records) == count(history.engine, table, TEAM) > 0, key
    assert sum(r["retrospective"] is not None for r in records) == count(history.engine, Retrospective, TEAM)
    assert sum(r["watch"] is not None for r in records) == count(history.engine, IncidentWatch, TEAM) == 2
    walked = next(r for r in records if r["id"] == history.walked)
    assert walked["title"] == h.SUMMARY and walked["status"] == "closed" and walked["decision"] == "correct"
    assert walked["retrospective"]["root_cause"] == h.RETRO_VALUES["root_cause"]
    assert walked["retrospective"]["cause"] == "automation" and walked["retrospective"]["summary"]
    assert [a["text"] for a in walked["action_items"]] == [rh.ACTION] and "id" not in walked["action_items"][
        0
    ]
    assert (
        walked["watch"]["complaints"] == 7 and walked["watch"]["recorded_at"] == "2026-02-05T09:01:02.345678Z"
    )
    acted = next(r for r in records if r["id"] == history.acted)
    states = [(a["done_by"], a["snoozed_until"], a["reminded_on"], a["next_remind_on"])
              for a in acted["action_items"]]  # fmt: skip
    assert states == [(h.REPORTER, None, None, None), (None, "2026-02-20", "2026-02-11", "2026-02-20"),
                      (None, None, None, "2026-02-12")], states  # fmt: skip
    assert walked["created_at"].endswith("Z") and list(walked)[:4] == ["format", "team", "id", "ref"]
    assert any(c["retired_by"] == h.DECIDER for r in records for c in r["checklist"])
    assert any(r["title"] == TRICKY_TITLE for r in records), "newlines and U+2028 stay inside their line"

    with empty_database(history.url, tmp_path) as url:
        result = oops("history", "import", str(tmp_path / "history.jsonl"), OOPS_DATABASE_URL=url)
        assert result.exit_code == 0, result.output
        assert f"Imported {len(records)} incident(s); 0 already there." in result.stdout
        again = export(url, tmp_path / "again.jsonl")
        assert again == first
        # The imported incidents are searchable, under the ids they had.
        found = oops("history", "search", "existing", "customers", OOPS_DATABASE_URL=url)
        assert found.exit_code == 0 and f"OOPS-{history.walked}" in found.stdout, found.output
        assert "Flow-triggering lists are marked" in found.stdout
        # A new incident after an import takes the next id (PostgreSQL's sequence follows the ids kept).
        engine = make_engine(url)
        try:
            assert add_incident(engine, TEAM, "After the import") == max(history.ids) + 1
        finally:
            engine.dispose()


def test_importing_the_same_file_twice_adds_nothing_and_taken_ids_are_renumbered(
    history: History, tmp_path: Path
) -> None:
    path = tmp_path / "history.jsonl"
    export(history.url, path, "--team", TEAM)
    with empty_database(history.url, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        taken = add_incident(engine, "T0ELSE", "Someone else's mistake")  # takes OOPS-1
        assert taken == 1 and 1 in history.ids
        sequence = _sequence(engine)
        dry = oops("history", "import", str(path), "--team", TEAM, "--dry-run", OOPS_DATABASE_URL=url)
        assert dry.exit_code == 0 and "Dry run: nothing was written." in dry.stdout, dry.output
        assert count(engine, Incident, TEAM) == 0
        assert _sequence(engine) == sequence, "a dry run leaves PostgreSQL's id sequence where it was"
        first = oops("history", "import", str(path), "--team", TEAM, OOPS_DATABASE_URL=url)
        assert first.exit_code == 0, first.output
        new = max(history.ids) + 1
        assert f"Imported {len(history.ids)} incident(s); 0 already there." in first.stdout
        assert f"OOPS-1 is taken by another incident: imported as OOPS-{new}." in first.stdout
        assert dry.stdout.replace("Dry run: nothing was written.\n", "") == first.stdout, (
            "dry run says the same"
        )
        before = h.db_dump(engine)
        second = oops("history", "import", str(path), "--team", TEAM, OOPS_DATABASE_URL=url)
        assert second.exit_code == 0, second.output
        assert f"Imported 0 incident(s); {len(history.ids)} already there." in second.stdout
        assert h.db_dump(engine) == before
        with Store(engine).read(TEAM) as repo:
            moved = repo.incident(new)
            assert moved is not None and moved.team_id == TEAM and len(repo.decision_log(new)) > 0
        engine.dispose()


def _sequence(engine: Engine) -> Any:
    """PostgreSQL's incident id sequence, as (last value, called); None on SQLite, which has none."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        name = conn.execute(text("SELECT pg_get_serial_sequence('incident', 'id')")).scalar_one()
        return tuple(conn.execute(text(f"SELECT last_value, is_called FROM {name}")).one())


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def _bad_files(good: list[dict[str, Any]]) -> dict[str, tuple[list[Any], str]]:
    """A bad variant of a good file, and what the error must say."""

    def changed(i: int, **fields: Any) -> list[Any]:
        records = [dict(r) for r in good]
        records[i].update(fields)
        return records

    missing = [dict(r) for r in good]
    del missing[1]["title"]
    retro = next(i for i, r in enumerate(good) if r["retrospective"])
    bad_retro = [dict(r) for r in good]
    bad_retro[retro] = {
        **good[retro],
        "retrospective": {**good[retro]["retrospective"], "created_at": "soon"},
    }
    acted = next(i for i, r in enumerate(good) if r["action_items"])
    watched = next(i for i, r in enumerate(good) if r["watch"])

    last = len(good[acted]["action_items"]) - 1

    def item(**fields: Any) -> list[Any]:
        items = [dict(a) for a in good[acted]["action_items"]]
        items[last].update(fields)
        return changed(acted, action_items=items)

    return {
        "an action item's day not a date": (
            item(due="soon"),
            f"line {acted + 1}: action_items[{last}].due: Input should be a valid date",
        ),
        "an action item without an owner": (
            item(owner=""),
            f"line {acted + 1}: action_items[{last}].owner: String should have at least 1 character",
        ),
        "a figure below zero": (
            changed(watched, watch={**good[watched]["watch"], "complaints": -1}),
            f"line {watched + 1}: watch.complaints: Input should be greater than or equal to 0",
        ),
        "a cause that is no id": (
            changed(retro, retrospective={**good[retro]["retrospective"], "cause": "Tooling!"}),
            f"line {retro + 1}: retrospective.cause: String should match pattern",
        ),
        "bad JSON": ([*good[:2], '{"format": "oops-history/1", "id": ', *good[2:]], "line 3: not JSON"),
        "missing field": (missing, "line 2: title: Field required"),
        "wrong type": (
            changed(3, draft_approved="yes"),
            "line 4: draft_approved: Input should be a valid boolean",
        ),
        "not a date": (
            bad_retro,
            f"line {retro + 1}: retrospective.created_at: Input should be a valid datetime",
        ),
        "format version": (changed(0, format="oops-history/2"), "line 1: format: format 'oops-history/2'"),
        "too long": (changed(2, title="x" * 151), "line 3: title: String should have at most 150 characters"),
        "same id twice": (
            [*good, good[0]],
            f"line {len(good) + 1}: id: OOPS-{good[0]['id']} is also on line 1",
        ),
        "a list": ([*good[:4], "[1, 2]", *good[4:]], "line 5: not a JSON object"),
        "unknown status": (changed(1, status="weird"), "line 2: status: Input should be"),
        "a formula for a decision": (changed(2, decision="=1+1"), "line 3: decision: Input should be"),
        "an id OOPS-N cannot address": (
            changed(3, id=1_234_567_890),
            "line 4: id: Input should be less than or equal to 999999999",
        ),
    }


def test_a_bad_file_changes_nothing_and_names_the_line(history: History, tmp_path: Path) -> None:
    good_path = tmp_path / "history.jsonl"
    export(history.url, good_path, "--team", TEAM)
    good = _lines(good_path)
    with empty_database(history.url, tmp_path) as url:
        engine = make_engine(url)
        migrate(engine)
        add_incident(engine, TEAM, "Already here")
        before = h.db_dump(engine)
        for case, (records, said) in _bad_files(good).items():
            path = _write(tmp_path / "bad.jsonl", records)
            result = oops("history", "import", str(path), OOPS_DATABASE_URL=url)
            assert result.exit_code == 1, (case, result.output)
            assert f"bad.jsonl {said}" in " ".join(result.output.split()), (case, result.output)
            assert "Nothing was imported." in result.output
            assert h.db_dump(engine) == before, case
        # The same file, mended, imports: the checks above could have failed.
        result = oops("history", "import", str(_write(tmp_path / "bad.jsonl", good)), OOPS_DATABASE_URL=url)
        assert result.exit_code == 0 and f"Imported {len(good)} incident(s)" in result.stdout, result.output
        engine.dispose()


def test_a_file_from_before_action_items_and_watches_imports_as_it_did(
    history: History, tmp_path: Path
) -> None:
    """An ``oops-history/1`` file written before action items, watches and the retrospective's cause and
    summary has none of those keys: it imports, and its incidents have none of them."""
    export(history.url, tmp_path / "history.jsonl", "--team", TEAM)
    records = _lines(tmp_path / "history.jsonl")
    for record in records:
        del record["action_items"], record["watch"]
        if record["retrospective"]:
            del record["retrospective"]["cause"], record["retrospective"]["summary"]
    old = _write(tmp_path / "old.jsonl", records)
    with empty_database(history.url, tmp_path) as url:
        result = oops("history", "import", str(old), OOPS_DATABASE_URL=url)
        assert result.exit_code == 0 and f"Imported {len(records)} incident(s)" in result.stdout, (
            result.output
        )
        export(url, tmp_path / "again.jsonl")
    again = _lines(tmp_path / "again.jsonl")
    assert [a["action_items"] for a in again] == [[] for _ in records]
    assert [a["watch"] for a in again] == [None for _ in records]
    retros = [a["retrospective"] for a in again if a["retrospective"]]
    assert retros and all((x["cause"], x["summary"]) == ("", "") for x in retros)
    for before, after in zip(records, again, strict=True):  # everything else as it was
        del after["action_items"], after["watch"]
        if after["retrospective"]:
            del after["retrospective"]["cause"], after["retrospective"]["summary"]
        assert after == before


def test_an_action_item_left_without_its_next_reminder_gets_it_as_the_store_would(
    history: History, tmp_path: Path
) -> None:
    """A hand-written action item may leave out ``next_remind_on``: it is worked out (the snooze, a
    week after the last reminder, the due day; none once done), so an open item is still reminded."""
    export(history.url, tmp_path / "history.jsonl", "--team", TEAM)
    records = _lines(tmp_path / "history.jsonl")
    expected = {a["text"]: a["next_remind_on"] for r in records for a in r["action_items"]}
    assert len(set(expected.values())) >= 3, expected
    for record in records:
        for a in record["action_items"]:
            del a["next_remind_on"]
    path = _write(tmp_path / "hand.jsonl", records)
    with empty_database(history.url, tmp_path) as url:
        assert oops("history", "import", str(path), OOPS_DATABASE_URL=url).exit_code == 0
        export(url, tmp_path / "again.jsonl")
    again = _lines(tmp_path / "again.jsonl")
    assert {a["text"]: a["next_remind_on"] for r in again for a in r["action_items"]} == expected


def test_show_prints_the_whole_record_and_refuses_an_unknown_id(history: History) -> None:
    url = history.url
    result = oops("history", "show", f"OOPS-{history.walked}", "--team", TEAM, OOPS_DATABASE_URL=url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        f"OOPS-{history.walked} · {h.SUMMARY}",
        "Email campaign gone wrong",  # the runbook's name
        h.DETAILS,
        "27,463",  # an answer, as a person reads it
        "How many people",  # beside its question
        "marketing",  # a department told
        "One short, honest correction.",  # the decision's note
        "Apology draft v1",
        "approved by",
        h.RETRO_VALUES["root_cause"],
        h.RETRO_VALUES["checklist"],
        "Automation: a flow or trigger fired unexpectedly (automation)",  # the cause, as the runbook names it
        "Action items",
        rh.ACTION,
        h.DECIDER,  # its owner
        history.due.isoformat(),  # its due day
        "7 complaints, 0 unsubscribes, 31 replies",  # the watch's figures
        "Decision log",
    ):
        assert expected in out, f"{expected!r} missing from\n{out}"
    log = out[out.index("Decision log") :]
    steps = [step for step in ("report", "decide", "retro") if f" {step} " in log]
    assert steps == ["report", "decide", "retro"] and log.index(" report ") < log.index(" decide "), log
    acted = oops("history", "show", f"OOPS-{history.acted}", "--team", TEAM, OOPS_DATABASE_URL=url)
    assert acted.exit_code == 0, acted.output
    states = " ".join(acted.stdout.split())
    assert f"done by {h.REPORTER}" in states and "open, snoozed until 2026-02-20" in states, acted.stdout
    assert "No retrospective yet" not in states and "A seeded mistake." in states
    plain = oops("history", "show", str(history.walked), "--team", TEAM, OOPS_DATABASE_URL=url)
    assert plain.exit_code == 0 and plain.stdout == out, "7 is OOPS-7"

    unknown = oops("history", "show", "OOPS-9999", "--team", TEAM, OOPS_DATABASE_URL=url)
    assert unknown.exit_code == 1 and "No incident 'OOPS-9999' in this workspace" in unknown.output
    elsewhere = oops("history", "show", f"OOPS-{history.other[0]}", "--team", TEAM, OOPS_DATABASE_URL=url)
    assert elsewhere.exit_code == 1, "another workspace's incident is not shown"
    nonsense = oops("history", "show", "welcome", "--team", TEAM, OOPS_DATABASE_URL=url)
    assert nonsense.exit_code == 1


def test_csv_has_a_header_and_one_row_per_incident(history: History, tmp_path: Path) -> None:
    data = export(history.url, tmp_path / "history.csv", "--format", "csv", "--team", TEAM)
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert rows[0] == ["id", "ref", "title", "runbook", "scale", "decision", "status", "reporter",
                       "created", "closed", "lesson", "cause", "open_action_items"]  # fmt: skip
    assert [int(r[0]) for r in rows[1:]] == sorted(history.ids)
    by_title = {r[2]: r for r in rows[1:]}
    assert TRICKY_TITLE in by_title, "commas, quotes and new lines survive"
    assert "'" + FORMULA_TITLE in by_title, "a formula is kept as text"
    walked = next(r for r in rows[1:] if int(r[0]) == history.walked)
    assert walked[5:8] == ["correct", "closed", h.REPORTER] and walked[10] == h.RETRO_VALUES["what_we_change"]
    assert walked[8].endswith("Z") and walked[9].endswith("Z")
    assert walked[11:] == ["automation", "1"]
    acted = next(r for r in rows[1:] if int(r[0]) == history.acted)
    assert acted[12] == "2", "done items are not counted"


def test_export_is_per_workspace_and_keeps_an_existing_file(history: History, tmp_path: Path) -> None:
    url = history.url
    both = oops("history", "export", OOPS_DATABASE_URL=url)
    assert both.exit_code == 2 and "pick one with --team" in both.output
    other = oops("history", "export", "--team", OTHER, OOPS_DATABASE_URL=url)
    assert other.exit_code == 0, other.output
    records = [json.loads(line) for line in other.stdout.splitlines()]
    assert [r["id"] for r in records] == history.other and {r["team"] for r in records} == {OTHER}

    path = tmp_path / "out.jsonl"
    path.write_text("keep me")
    kept = oops("history", "export", "--team", OTHER, "--output", str(path), OOPS_DATABASE_URL=url)
    assert kept.exit_code == 1 and "--force" in kept.output and path.read_text() == "keep me"
    forced = oops(
        "history", "export", "--team", OTHER, "--output", str(path), "--force", OOPS_DATABASE_URL=url
    )
    assert forced.exit_code == 0 and path.read_text() == other.stdout
    assert oops("history", "export", "--format", "xml", OOPS_DATABASE_URL=url).exit_code == 2
