"""Step 1 and 2 in Slack: re-assessing the scale, telling another department."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.runbook.incident import Action
from bot.slack import ids
from bot.slack.common import (
    Body,
    ack_errors,
    ack_only,
    env_of,
    first_input,
    guarded,
    modal_incident,
    open_modal,
    ready,
    refused_in_modal,
)
from bot.slack.payloads import (
    action_key,
    answers_from,
    incident_id,
    question_errors,
    user_id,
    view_key,
    view_values,
)
from bot.slack.views import modals
from bot.usecases import assess, queries
from bot.usecases.context import Deps, Env
from bot.usecases.ports import UserError


def register(app: App, deps: Deps) -> None:
    @app.action(ids.REASSESS)
    def open_reassess(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        ack()
        env = env_of(deps, body, context, client)
        snap = ready(env, body, Action.REASSESS)
        if snap is None:
            return
        runbook, answers = queries.answers(env, snap.id)
        open_modal(client, body, modals.reassess_modal(snap, runbook, answers))

    def check_reassess(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        env = env_of(deps, body, context, client)
        incident = modal_incident(body)
        try:
            runbook, _ = queries.answers(env, incident)
            errors = assess.check_answers(env, incident, answers_from(view_values(body["view"])))
        except UserError as exc:  # no such incident here: say so in the modal, on its first input
            ack_errors(ack, {first_input(body): str(exc)})
            return
        ack_errors(ack, question_errors(errors, runbook.question_ids))

    def reassess(env: Env, body: Body) -> None:
        if refused_in_modal(env, body, Action.REASSESS):
            return
        values = answers_from(view_values(body["view"]))
        assess.reassess(env, modal_incident(body), values, user_id(body), view_key(body))

    def add_department(env: Env, body: Body) -> None:
        action = body["actions"][0]
        incident = incident_id(action["block_id"].removeprefix(ids.ADD_DEPARTMENT_BLOCK))
        department = action["selected_option"]["value"]
        assess.add_department(env, incident, department, user_id(body), action_key(body))

    app.view(ids.REASSESS_VIEW)(ack=check_reassess, lazy=[guarded(deps, reassess)])
    app.action(ids.ADD_DEPARTMENT)(ack=ack_only, lazy=[guarded(deps, add_department)])
