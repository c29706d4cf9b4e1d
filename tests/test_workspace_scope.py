"""Every row and query carries its workspace: a request from another workspace that names an incident by
its number finds nothing, changes nothing and sees nothing (a crafted payload is the normal case)."""

from __future__ import annotations

import json
import urllib.parse

import tests.slack_helpers as h
from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import ChecklistItem, DecisionLog, Draft, Incident, Notice, Post, Retrospective
from bot.usecases import queries
from bot.usecases.ports import UserError

OTHER = "T0OTHER"


def _as_other_workspace(payload: dict) -> dict:
    payload = json.loads(json.dumps(payload))
    payload["team"] = {"id": OTHER, "domain": "other"}
    payload["user"]["team_id"] = OTHER
    return payload


def test_an_approval_from_another_workspace_naming_our_incident_changes_nothing(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    before = h.db_dump(bot.runtime.engine)
    message, version, block, element = h.rendered_control(bot, ids.DRAFT_APPROVE)
    payload = h.block_actions_payload(bot, message, version, block, element, h.DECIDER)
    answer = bot.driver.send(h.payload_body(_as_other_workspace(payload)))
    bot.settle()

    assert answer.ok
    assert h.db_dump(bot.runtime.engine) == before, "a request from another workspace changed our history"
    incident = h.only_incident(bot)
    assert incident.status == Status.DRAFTING and not incident.draft_approved
    told = [e.text for e in emu.ephemerals if e.user == h.DECIDER]
    assert told and f"There is no incident OOPS-{incident_id}" in told[-1], told


def test_resume_from_another_workspace_does_not_find_the_incident(live_bot: DemoBot) -> None:
    bot, emu = live_bot, live_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    before = h.db_dump(bot.runtime.engine)
    fields = dict(urllib.parse.parse_qsl(h.slash_body(bot, f"resume OOPS-{incident_id}").decode()))
    fields["team_id"] = OTHER
    answer = bot.driver.send(h.form_body(fields))
    bot.settle()
    assert answer.ok
    assert h.db_dump(bot.runtime.engine) == before
    told = [e.text for e in emu.ephemerals if e.user == h.REPORTER]
    assert told and f"There is no incident OOPS-{incident_id}" in told[-1], told


def test_every_row_of_an_incident_carries_its_workspace_and_queries_filter_by_it(live_bot: DemoBot) -> None:
    bot = live_bot
    incident_id = h.walk_to_closed(bot)
    team = bot.runtime.team_id
    assert team == bot.emulator.team_id
    for model in (Incident, Post, Notice, Draft, Retrospective, ChecklistItem, DecisionLog):
        rows = h.rows(bot, model)
        assert rows and {row.team_id for row in rows} == {team}, model.__name__
    assert queries.snapshot(bot.runtime.env(team), incident_id).closed
    other = bot.runtime.env(OTHER)
    try:
        queries.snapshot(other, incident_id)
    except UserError as exc:
        assert f"OOPS-{incident_id}" in str(exc)
    else:
        raise AssertionError("another workspace read our incident")
    assert queries.decision_log(other, incident_id) == []


def test_a_modal_submitted_from_another_workspace_is_refused_in_the_modal(live_bot: DemoBot) -> None:
    """The edit modal's check runs before the acknowledgement: another workspace's submission naming our
    incident gets the reason in the modal (not a 500), and nothing changes."""
    bot = live_bot
    incident_id = h.walk_to_drafting(bot)
    h.click(bot, ids.DRAFT_EDIT)
    view = bot.emulator.opened_views[-1]
    before = h.db_dump(bot.runtime.engine)
    submitted = bot.driver.submitted_view(view["id"], {"subject": "Sorry", "body": "We are sorry."})
    submitted["team_id"] = submitted["app_installed_team_id"] = OTHER
    payload = {
        "type": "view_submission",
        "team": {"id": OTHER, "domain": "other"},
        "user": {"id": h.DECIDER, "team_id": OTHER, "name": "marc", "username": "marc"},
        "api_app_id": h.APP_ID,
        "token": bot.driver.verification_token,
        "trigger_id": bot.emulator.new_trigger_id(h.DECIDER),
        "view": submitted,
        "response_urls": [],
    }
    answer = bot.driver.send(h.payload_body(payload))
    bot.settle()
    assert answer.status == 200
    assert answer.ack_body is not None and answer.ack_body.get("response_action") == "errors", answer.ack_body
    assert f"There is no incident OOPS-{incident_id}" in json.dumps(answer.ack_body)
    assert h.db_dump(bot.runtime.engine) == before
