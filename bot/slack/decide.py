"""Step 3 in Slack: the decision buttons, the decision modal, changing the decision."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.runbook.incident import Action
from bot.runbook.model import Decision
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
from bot.slack.payloads import action_key, incident_id, metadata, user_id, view_key, view_values
from bot.slack.views import modals
from bot.usecases import decide, queries
from bot.usecases.context import Deps, Env


def register(app: App, deps: Deps) -> None:
    @app.action(ids.DECIDE_PATTERN)
    def open_decide(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        ack()
        env = env_of(deps, body, context, client)
        try:
            choice = Decision(body["actions"][0]["action_id"].removeprefix(ids.DECIDE_PREFIX))
        except ValueError:
            return  # not a button we drew
        snap = ready(env, body, Action.DECIDE)
        if snap is not None:
            open_modal(client, body, modals.decide_modal(snap, choice, deps.config.brand.default_offer))

    def check_decide(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        """Close the modal only if the incident still allows a decision; else say why by the note."""
        env = env_of(deps, body, context, client)
        refusal = queries.refusal(env, modal_incident(body), Action.DECIDE, user_id(body))
        ack_errors(ack, {"note": refusal} if refusal else {})

    def record(env: Env, body: Body) -> None:
        if refused_in_modal(env, body, Action.DECIDE):
            return
        view = body["view"]
        meta, values = metadata(view), view_values(view)
        decide.decide(
            env,
            modal_incident(body),
            Decision(meta["choice"]),
            user_id(body),
            view_key(body),
            note=values.get("note") or "",
            what_was_fixed=values.get("what_was_fixed") or "",
            customer_action=values.get("customer_action") or "",
            # The modal offers the brand's default; a field emptied there means no offer.
            offer=(values.get("offer") or "") if "offer" in values else None,
        )

    def change(env: Env, body: Body) -> None:
        action = body["actions"][0]
        decide.change_decision(env, incident_id(action["value"]), user_id(body), action_key(body))

    app.view(ids.DECIDE_VIEW)(ack=check_decide, lazy=[guarded(deps, record)])
    app.action(ids.CHANGE_DECISION)(ack=ack_only, lazy=[guarded(deps, change)])
