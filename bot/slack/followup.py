"""The follow-ups in Slack: "Move it" on a retrospective reminder (in the thread or a direct message),
and "Record the figures" after the apology with its modal.

Both name the incident in the button's value only; the use cases look it up in the request's
workspace, so a crafted value for another workspace's incident finds nothing and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.common import (
    Body,
    ack_errors,
    ack_only,
    env_of,
    first_input,
    guarded,
    misplaced,
    modal_incident,
    open_modal,
    tell,
)
from bot.slack.payloads import action_key, incident_id, user_id, view_key, view_values
from bot.slack.views.common import when as shown_when
from bot.slack.views.followup import watch_modal
from bot.usecases import queries, retrospective, watch
from bot.usecases.context import Deps, Env
from bot.usecases.ports import UserError


def _picked(body: Body) -> int | None:
    values = (body.get("state") or {}).get("values", {})
    stamp = values.get(ids.RETRO_MOVE_BLOCK, {}).get(ids.RETRO_MOVE_WHEN, {}).get("selected_date_time")
    return None if stamp is None else int(stamp)


def register(app: App, deps: Deps) -> None:
    def move(env: Env, body: Body) -> None:
        incident = incident_id(body["actions"][0]["value"])
        stamp = _picked(body)
        # An untouched picker may come without a value: the default it showed is what was meant.
        when = (
            datetime.fromtimestamp(stamp, UTC)
            if stamp is not None
            else queries.snapshot(env, incident).retro_default
        )
        retrospective.schedule(env, incident, when, user_id(body), action_key(body))
        snap = queries.snapshot(env, incident)
        moved = shown_when(snap.retro_at, snap.tz)
        tell(env, body, f"Moved the retrospective of {snap.ref} to {moved}. I will remind you then.")

    def open_figures(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        ack()
        env = env_of(deps, body, context, client)
        try:
            refusal = misplaced(env, body)
            if refusal is not None:
                raise UserError(refusal)
            ref, figures = watch.current(env, incident_id(body["actions"][0]["value"]))
        except (UserError, ValueError) as exc:
            tell(env, body, str(exc))
            return
        open_modal(client, body, watch_modal(incident_id(body["actions"][0]["value"]), ref, figures))

    def check_figures(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        _, errors = watch.parse(view_values(body["view"]))
        if not errors:
            try:
                watch.current(env_of(deps, body, context, client), modal_incident(body))
            except (UserError, ValueError) as exc:
                errors = {first_input(body): str(exc)}
        ack_errors(ack, errors)

    def record(env: Env, body: Body) -> None:
        figures, errors = watch.parse(view_values(body["view"]))
        if figures is None or errors:
            return  # the modal said why
        watch.record(env, modal_incident(body), figures, user_id(body), view_key(body))

    app.action(ids.RETRO_MOVE_WHEN)(ack_only)
    app.action(ids.RETRO_MOVE)(ack=ack_only, lazy=[guarded(deps, move)])
    app.action(ids.WATCH_RECORD)(open_figures)
    app.view(ids.WATCH_VIEW)(ack=check_figures, lazy=[guarded(deps, record)])
