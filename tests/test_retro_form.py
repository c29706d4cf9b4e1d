"""The retrospective form over the wire: pre-filled with the timeline and the runbook's causes, action
item rows checked on the right block, "Add another" keeping what was typed, and the summary posted in
the thread from prompts/retro_summary.jinja2, or by a chat model with the template as its fallback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda

from bot.config import AppConfig
from bot.demo import DemoBot
from bot.drafting.summary import load_summary_template
from bot.slack import ids
from bot.slack.views.common import esc
from bot.store.tables import ActionItem, Retrospective
from bot.usecases import queries, retro_summary

try:
    from tests import retro_helpers as r
    from tests import slack_helpers as h
except ImportError:
    import retro_helpers as r  # type: ignore[no-redef]
    import slack_helpers as h  # type: ignore[no-redef]


def _summary_text(bot: DemoBot, incident_id: int) -> str:
    return h.blocks_text(h.posted(bot, incident_id, "summary"))


def test_the_form_opens_with_the_timeline_and_the_runbooks_causes(live_bot: DemoBot) -> None:
    bot = live_bot
    view = r.open_retro_form(bot)
    timeline = h.view_block(view, "timeline")["elements"][0]["text"]
    steps = ["Reported", "Assessed big", "Told", "Decided", "Apology approved"]
    positions = [timeline.find(step) for step in steps]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), timeline
    incident = h.only_incident(bot)
    assert incident.created_at is not None
    opened = incident.created_at.astimezone(bot.runtime.config.team.tz).strftime("%a %d %b, %H:%M")
    assert f"Reported {opened}" in timeline, "times are the team's local time"
    assert h.view_block(view, "timeline")["type"] == "context", "the timeline is read, not typed"

    runbook = bot.runtime.runbooks[incident.runbook_id]
    cause = h.view_block(view, "cause")
    assert [o["value"] for o in cause["element"]["options"]] == [c.id for c in runbook.causes]
    assert cause["element"]["type"] == "static_select" and cause["optional"]
    rows = [b for b in h.view_block_ids(view) if b.startswith("action_")]
    assert rows == [f"action_{n}_{part}" for n in range(3) for part in ("text", "owner", "due")]
    assert h.view_block(view, "action_0_owner")["element"]["type"] == "users_select"
    assert h.view_block(view, "action_0_due")["element"]["type"] == "datepicker"
    assert h.view_block(view, "add_action")["elements"][0]["action_id"] == ids.RETRO_ADD_ACTION


def test_a_row_without_its_owner_or_with_a_past_day_is_refused_on_that_block(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    view = r.open_retro_form(bot)
    today = r.local_today(bot)
    values = {
        **h.RETRO_VALUES,
        **r.action_values(0, "Check the import tool", h.DECIDER, today),
        **r.action_values(1, r.ACTION, None, today + timedelta(days=3)),
    }
    response = bot.driver.submit_view(view["id"], values, user=h.REVIEWER)
    body = response.ack_body or {}
    assert body.get("response_action") == "errors", response.body_text
    assert set(body["errors"]) == {"action_0_due", "action_1_owner"}, body["errors"]
    assert "after today" in body["errors"]["action_0_due"]
    bot.settle()
    assert bot.emulator.is_view_open(view["id"]) and h.rows(bot, ActionItem) == []
    assert h.rows(bot, Retrospective) == []

    # An owner with no text is refused on the text; fixed, it closes the incident.
    values = {**h.RETRO_VALUES, **r.action_values(2, "", h.DECIDER, today + timedelta(days=2))}
    body = bot.driver.submit_view(view["id"], values, user=h.REVIEWER).ack_body or {}
    assert set(body.get("errors") or {}) == {"action_2_text"}, body
    fixed = {**h.RETRO_VALUES, **r.action_values(1, r.ACTION, h.DECIDER, today + timedelta(days=3))}
    assert bot.driver.submit_view(view["id"], fixed, user=h.REVIEWER).ack_body is None
    bot.settle()
    [item] = h.rows(bot, ActionItem)
    assert (item.text, item.owner, item.due) == (r.ACTION, h.DECIDER, today + timedelta(days=3))


def test_add_another_action_item_keeps_what_was_typed(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    view = r.open_retro_form(bot)
    due = r.local_today(bot) + timedelta(days=5)
    typed = {
        "what_went_wrong": "Typed before adding a row",
        "cause": "content",
        **r.action_values(2, r.ACTION, h.DECIDER, due),
    }
    response = r.press_in_view(bot, view["id"], "add_action", typed)
    assert response.status == 200, response.body_text
    updated = emu.view(view["id"])
    rows = [b for b in h.view_block_ids(updated) if b.startswith("action_") and b.endswith("_text")]
    assert rows == [f"action_{n}_text" for n in range(4)]
    assert h.view_block(updated, "what_went_wrong")["element"]["initial_value"] == typed["what_went_wrong"]
    assert h.view_block(updated, "cause")["element"]["initial_option"]["value"] == "content"
    assert h.view_block(updated, "action_2_text")["element"]["initial_value"] == r.ACTION
    assert h.view_block(updated, "action_2_owner")["element"]["initial_user"] == h.DECIDER
    assert h.view_block(updated, "action_2_due")["element"]["initial_date"] == due.isoformat()

    for _ in range(10):  # up to ten rows, then the button goes
        if "add_action" not in h.view_block_ids(emu.view(view["id"])):
            break
        r.press_in_view(bot, view["id"], "add_action", {})
    final = emu.view(view["id"])
    assert len([b for b in h.view_block_ids(final) if b.endswith("_text") and b.startswith("action_")]) == 10
    assert "add_action" not in h.view_block_ids(final)
    assert len(final["blocks"]) <= 100


def test_submit_stores_the_cause_and_action_items_and_posts_the_summary_from_the_template(
    live_bot: DemoBot,
) -> None:
    bot = live_bot
    due = r.local_today(bot) + timedelta(days=4)
    item = r.close_with_action(bot, due)
    incident = h.only_incident(bot)
    assert incident.id is not None and incident.status == "closed"
    [retro] = h.rows(bot, Retrospective)
    assert retro.cause == "automation"
    assert (item.text, item.owner, item.due, item.created_by) == (r.ACTION, h.DECIDER, due, h.REVIEWER)
    assert item.done_at is None and item.team_id == bot.runtime.team_id

    env = bot.runtime.env()
    snap = queries.snapshot(env, incident.id)
    request = retro_summary.request(snap, queries.decision_log(env, incident.id))
    expected = load_summary_template(bot.runtime.config.prompts_path).render(request).text
    assert retro.summary == expected
    assert "Automation: a flow or trigger fired unexpectedly" in expected
    posted = h.posted(bot, incident.id, "summary")
    text = h.blocks_text(posted)
    assert esc(retro.summary.splitlines()[0]) in text
    assert f"<@{h.DECIDER}>" in text and ids.ACTION_DONE in text, "the thread lists the item, owner and Done"
    [written] = h.decision_steps(bot, "retro_summary")
    assert written.note == "written by template"


@pytest.fixture
def bot_with_model(request: pytest.FixtureRequest, config: AppConfig, sqlite_url: str) -> Iterator[DemoBot]:
    model: Any = request.param
    with h.workspace_emulator(config) as emu, h.serve_bot(config, sqlite_url, emu, chat_model=model) as bot:
        yield bot


MODEL_SUMMARY = "*In short:* the welcome flow caught old customers; lists that start flows are now marked."


@pytest.mark.parametrize(
    "bot_with_model",
    # The apology asks the model first (its reply is no draft: the template writes it), then the summary.
    [FakeListChatModel(responses=["not an apology", MODEL_SUMMARY])],
    indirect=True,
)
def test_a_chat_model_writes_the_summary_when_configured(bot_with_model: DemoBot) -> None:
    bot = bot_with_model
    r.close_with_action(bot, r.local_today(bot) + timedelta(days=2))
    [retro] = h.rows(bot, Retrospective)
    assert retro.summary == MODEL_SUMMARY
    incident_id = h.only_incident(bot).id
    assert incident_id is not None
    assert "the welcome flow caught old customers" in _summary_text(bot, incident_id)
    [written] = h.decision_steps(bot, "retro_summary")
    assert written.note == "written by fake-list-chat-model"


def _broken(_: Any) -> AIMessage:
    raise TimeoutError("the model took too long")


@pytest.mark.parametrize("bot_with_model", [RunnableLambda(_broken)], indirect=True)
def test_a_failing_chat_model_leaves_the_summary_to_the_template(bot_with_model: DemoBot) -> None:
    bot = bot_with_model
    r.close_with_action(bot, r.local_today(bot) + timedelta(days=2))
    [retro] = h.rows(bot, Retrospective)
    incident_id = h.only_incident(bot).id
    assert incident_id is not None
    env = bot.runtime.env()
    request = retro_summary.request(
        queries.snapshot(env, incident_id), queries.decision_log(env, incident_id)
    )
    assert retro.summary == load_summary_template(bot.runtime.config.prompts_path).render(request).text
    [written] = h.decision_steps(bot, "retro_summary")
    assert written.note == "written by template"


def test_a_crafted_owner_or_cause_is_refused_on_its_block(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    view = r.open_retro_form(bot)
    due = r.local_today(bot) + timedelta(days=2)
    values = {**h.RETRO_VALUES, **r.action_values(0, r.ACTION, "<!channel>", due)}
    body = bot.driver.submit_view(view["id"], values, user=h.REVIEWER).ack_body or {}
    assert set(body.get("errors") or {}) == {"action_0_owner"}, body
    submitted = bot.driver.submitted_view(view["id"], h.RETRO_VALUES)
    submitted["state"]["values"]["cause"] = {
        ids.VALUE: {"type": "static_select", "selected_option": {"value": "not_a_cause"}}
    }
    payload = h.view_submission_payload(bot, submitted, {}, h.REVIEWER)
    payload["view"]["state"] = submitted["state"]
    answer = bot.driver.send(h.payload_body(payload))
    bot.settle()
    assert "cause" in (answer.ack_body or {}).get("errors", {}), answer.body_text
    assert h.rows(bot, Retrospective) == [] and h.rows(bot, ActionItem) == []
