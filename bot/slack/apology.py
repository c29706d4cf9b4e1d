"""Step 4 in Slack: regenerate, edit and approve the apology."""

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
    guarded,
    modal_incident,
    open_modal,
    ready,
    tell,
)
from bot.slack.payloads import action_key, incident_id, metadata, user_id, view_key, view_values
from bot.slack.views import modals
from bot.usecases import apology
from bot.usecases.context import Deps, Env


def register(app: App, deps: Deps) -> None:
    def regenerate(env: Env, body: Body) -> None:
        action = body["actions"][0]
        apology.regenerate(env, incident_id(action["value"]), user_id(body), action_key(body))

    @app.action(ids.DRAFT_EDIT)
    def open_edit(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        ack()
        env = env_of(deps, body, context, client)
        snap = ready(env, body, Action.EDIT_DRAFT)
        if snap is None:
            return
        if snap.draft is None:
            tell(env, body, f"The apology for {snap.ref} is still being written; try again in a moment.")
            return
        open_modal(client, body, modals.edit_draft_modal(snap))

    def check_edit(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        meta, values = metadata(body["view"]), view_values(body["view"])
        errors = apology.check_edit(
            env_of(deps, body, context, client),
            modal_incident(body),
            meta.get("version"),
            values.get("subject") or "",
            values.get("body") or "",
        )
        ack_errors(ack, errors)

    def save_edit(env: Env, body: Body) -> None:
        meta, values = metadata(body["view"]), view_values(body["view"])
        apology.edit(
            env,
            modal_incident(body),
            values.get("subject") or "",
            values.get("body") or "",
            user_id(body),
            view_key(body),
            version=meta.get("version"),
        )

    def approve(env: Env, body: Body) -> None:
        incident, _, version = body["actions"][0]["value"].partition(":")
        apology.approve(
            env,
            incident_id(incident),
            user_id(body),
            action_key(body),
            version=int(version) if version else None,
        )

    app.action(ids.DRAFT_REGENERATE)(ack=ack_only, lazy=[guarded(deps, regenerate)])
    app.view(ids.EDIT_DRAFT_VIEW)(ack=check_edit, lazy=[guarded(deps, save_edit)])
    app.action(ids.DRAFT_APPROVE)(ack=ack_only, lazy=[guarded(deps, approve)])
