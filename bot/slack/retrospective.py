"""Step 5 in Slack: scheduling the retrospective, and holding it."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.runbook.incident import Action
from bot.slack import ids
from bot.slack.common import (
    Body,
    ack_errors,
    ack_only,
    env_of,
    guarded,
    modal_incident,
    open_modal,
    ready,
    refused_in_modal,
)
from bot.slack.payloads import action_key, incident_id, user_id, view_key, view_values
from bot.slack.views import modals
from bot.usecases import queries, retrospective
from bot.usecases.context import Deps, Env
from bot.usecases.retrospective import RetroInput, parse_checklist


def _retro(body: Body) -> RetroInput:
    values = view_values(body["view"])
    return RetroInput(
        what_went_wrong=values.get("what_went_wrong") or "",
        root_cause=values.get("root_cause") or "",
        what_we_change=values.get("what_we_change") or "",
        checklist=parse_checklist(values.get("checklist")),
    )


def register(app: App, deps: Deps) -> None:
    def schedule(env: Env, body: Body) -> None:
        action = body["actions"][0]
        picked = (body.get("state") or {}).get("values", {}).get("retro_when", {}).get(ids.RETRO_WHEN, {})
        stamp = picked.get("selected_date_time")
        incident = incident_id(action["value"])
        # An untouched picker may come without a value: the default it showed is what was meant.
        when = (
            datetime.fromtimestamp(int(stamp), UTC)
            if stamp is not None
            else queries.snapshot(env, incident).retro_default
        )
        retrospective.schedule(env, incident, when, user_id(body), action_key(body))

    def open_retro(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        ack()
        snap = ready(env_of(deps, body, context, client), body, Action.SUBMIT_RETRO)
        if snap is not None:
            open_modal(client, body, modals.retro_modal(snap))

    def check_retro(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        errors = retrospective.check(_retro(body))
        env = env_of(deps, body, context, client)
        refusal = queries.refusal(env, modal_incident(body), Action.SUBMIT_RETRO)
        if refusal:
            errors["what_went_wrong"] = refusal
        ack_errors(ack, errors)

    def submit(env: Env, body: Body) -> None:
        if refused_in_modal(env, body, Action.SUBMIT_RETRO):
            return
        retrospective.submit(env, modal_incident(body), _retro(body), user_id(body), view_key(body))

    app.action(ids.RETRO_WHEN)(ack_only)
    app.action(ids.RETRO_SCHEDULE)(ack=ack_only, lazy=[guarded(deps, schedule)])
    app.action(ids.RETRO_START)(open_retro)
    app.action(ids.RETRO_HOLD)(open_retro)  # the same modal, from step 5, before the reminder
    app.view(ids.RETRO_VIEW)(ack=check_retro, lazy=[guarded(deps, submit)])
