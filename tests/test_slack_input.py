"""What people type into the report modal: bad input gets a clear answer on the right block and
creates nothing; nothing typed is silently lost; switching runbook redraws the questions."""

from __future__ import annotations

import json

import pytest

from bot.demo import DemoBot
from bot.store.tables import Incident

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


def _nothing_created(bot: DemoBot) -> None:
    bot.settle()
    assert h.rows(bot, Incident) == []
    assert bot.emulator.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("block", "typed"),
    [
        ("summary", {"summary": ""}),
        ("summary", {"summary": "   "}),
        ("summary", {"summary": "x" * 10_000}),
        ("q_people_affected", {"q_people_affected": "-3"}),
        ("q_people_affected", {"q_people_affected": "lots"}),
    ],
    ids=["empty-summary", "blank-summary", "10000-char-summary", "negative-count", "count-in-words"],
)
def test_bad_report_input_is_answered_on_its_block_and_creates_nothing(
    sqlite_bot: DemoBot, block: str, typed: dict[str, str]
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    view = h.open_report(bot)
    values = {"details": h.DETAILS, **h.answer_values(view), **typed}

    ack = bot.driver.submit_view(view["id"], values, user=h.REPORTER)

    assert ack.status == 200, ack.body_text
    assert isinstance(ack.json, dict) and ack.json.get("response_action") == "errors", ack.body_text
    errors = ack.json["errors"]
    assert set(errors) == {block}, errors
    assert block in h.view_block_ids(view), f"the error names {block!r}, which the modal does not have"
    assert len(errors[block].strip()) > 10, "the error should say what to type"
    # The modal stays open with the error shown, so nothing the person typed is lost.
    assert emu.is_view_open(view["id"])
    assert emu.view(view["id"]).get("errors") == errors
    _nothing_created(bot)


def test_an_unknown_runbook_is_answered_on_the_runbook_block(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    view = h.open_report(bot)
    meta = json.loads(view["private_metadata"])
    assert meta["runbook"] == "email-campaign"
    tampered = {**view, "private_metadata": json.dumps({**meta, "runbook": "nope"})}
    payload = h.view_submission_payload(
        bot, tampered, {"details": h.DETAILS, **h.answer_values(view)}, h.REPORTER
    )

    ack = bot.driver.send(h.payload_body(payload))

    assert ack.status == 200, ack.body_text
    assert isinstance(ack.json, dict) and ack.json.get("response_action") == "errors", ack.body_text
    assert "runbook" in ack.json["errors"], ack.json
    assert "nope" in ack.json["errors"]["runbook"]
    assert "runbook" in h.view_block_ids(view)
    _nothing_created(bot)


def test_a_long_summary_after_oops_is_moved_into_details(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    typed = (
        "Welcome email sent to 27,463 existing customers because a cohort was added to the list that "
        "starts the welcome flow, with the new-customer code in it; replies started 40 minutes later"
    )
    assert len(typed) > 150

    view = h.open_report(bot, typed)

    summary = h.view_block(view, "summary")["element"]
    details = h.view_block(view, "details")["element"]
    assert not summary.get("initial_value"), "a summary over 150 characters cannot fit the summary field"
    assert details.get("initial_value") == typed, "what was typed after /oops must not be lost"

    # Submitted with a short summary, the text typed after /oops is kept as the details.
    ack = bot.driver.submit_view(
        view["id"],
        {"summary": "Welcome email to existing customers", **h.answer_values(view)},
        user=h.REPORTER,
    )
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text
    bot.settle()
    assert h.only_incident(bot).details == typed


def test_switching_runbook_redraws_the_report_modal_with_its_questions(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    summary = "Wrong newsletter sent to the whole list"
    view = h.open_report(bot, summary)
    before = h.view_block_ids(view)
    assert "q_audience" in before and "q_orders_affected" not in before

    ack = bot.driver.view_action(view["id"], "runbook", "pricing-error", user=h.REPORTER)
    assert ack.status == 200, ack.body_text
    bot.settle()

    updates = emu.calls_to("views.update")
    assert [c.ok for c in updates] == [True], [c.response for c in updates]
    assert updates[0].args.get("view_id") == view["id"]
    now = emu.view(view["id"])
    after = h.view_block_ids(now)
    for question in ("q_orders_affected", "q_direction", "q_where_shown", "q_still_live", "q_honour"):
        assert question in after, after
    assert "q_audience" not in after
    assert json.loads(now["private_metadata"])["runbook"] == "pricing-error"
    runbook = h.view_block(now, "runbook")["element"]
    assert runbook["initial_option"]["value"] == "pricing-error"
    assert h.view_block(now, "summary")["element"].get("initial_value") == summary
    assert emu.is_view_open(view["id"])

    # Submitting the redrawn modal opens the incident under the runbook picked.
    answers = {
        "q_orders_affected": "40",
        "q_direction": "too_low",
        "q_money_at_stake": "350",
        "q_where_shown": "website",
        "q_still_live": "no",
        "q_honour": "honour",
        "q_public_posts": "no",
    }
    ack = bot.driver.submit_view(view["id"], answers, user=h.REPORTER)
    assert ack.status == 200 and not ack.body_text.strip(), ack.body_text
    bot.settle()
    incident = h.only_incident(bot)
    assert incident.runbook_id == "pricing-error"
    assert incident.answers["orders_affected"] == 40


def test_oops_help_answers_the_person_and_opens_nothing(sqlite_bot: DemoBot) -> None:
    emu = sqlite_bot.emulator
    response = sqlite_bot.driver.slash("/oops", "help", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
    sqlite_bot.settle()
    assert response.status == 200
    assert "/oops resume OOPS-7" in response.body_text
    assert not emu.calls_to("views.open"), "help must not open the report form"
    assert not h.rows(sqlite_bot, Incident)
