"""Step 5 in Slack: scheduling the retrospective, and holding it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

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
from bot.slack.views.retro_form import retro_modal, row_block
from bot.usecases import queries, retro_form, retrospective
from bot.usecases.context import Deps, Env
from bot.usecases.ports import UserError
from bot.usecases.retro_form import ActionRow
from bot.usecases.retrospective import RetroInput, parse_checklist


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _rows(view: dict[str, Any]) -> tuple[ActionRow, ...]:
    """The action item rows as typed; how many there are comes from the blocks, not from metadata."""
    values = view_values(view)
    count = (
        sum(1 for b in view.get("blocks") or [] if b.get("block_id", "").startswith(ids.ACTION_ROW_PREFIX))
        // 3
    )
    return tuple(
        ActionRow(
            i,
            (values.get(row_block(i, "text")) or "").strip(),
            values.get(row_block(i, "owner")) or "",
            _day(values.get(row_block(i, "due"))),
        )
        for i in range(min(count, retro_form.MAX_ROWS))
    )


def _retro(body: Body) -> RetroInput:
    values = view_values(body["view"])
    return RetroInput(
        what_went_wrong=values.get("what_went_wrong") or "",
        root_cause=values.get("root_cause") or "",
        what_we_change=values.get("what_we_change") or "",
        checklist=parse_checklist(values.get("checklist")),
        cause=values.get("cause") or "",
        actions=_rows(body["view"]),
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
        env = env_of(deps, body, context, client)
        snap = ready(env, body, Action.SUBMIT_RETRO)
        if snap is not None:
            open_modal(client, body, retro_modal(retro_form.build(env, snap)))

    def add_action(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        """One more action item row, keeping everything typed so far."""
        ack()
        view = body["view"]
        env = env_of(deps, body, context, client)
        try:
            snap = queries.ready_for(env, modal_incident(body), Action.SUBMIT_RETRO)
        except (UserError, ValueError):
            return  # the modal's submit says why, with what was typed kept
        typed = view_values(view)
        form = retro_form.build(env, snap, retro_form.add_row(_rows(view)), typed.get("cause") or "")
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=retro_modal(form, typed))

    def check_retro(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        env = env_of(deps, body, context, client)
        refusal = queries.refusal(env, modal_incident(body), Action.SUBMIT_RETRO, user_id(body))
        errors = {} if refusal else retrospective.check_form(env, modal_incident(body), _retro(body))
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
    app.action(ids.RETRO_ADD_ACTION)(add_action)
    app.view(ids.RETRO_VIEW)(ack=check_retro, lazy=[guarded(deps, submit)])
