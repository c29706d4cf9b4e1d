"""What every listener shares: the request's Env, telling a person, and running the slow part safely.

Slack waits 3 seconds for the acknowledgement and a modal's trigger_id lives 3 seconds, so a listener
opens its modal or acks first; the slow part runs in a lazy listener after the ack. Listeners hold no
rules: refusals come from the use cases as UserError and are shown only to the person who acted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.runbook.incident import Action
from bot.slack import ids
from bot.slack.messenger import SlackMessenger
from bot.slack.payloads import incident_id, metadata, user_id
from bot.snapshot import Snapshot
from bot.usecases import queries
from bot.usecases.context import Deps, Env
from bot.usecases.ports import Undelivered, UserError

log = logging.getLogger("bot.slack")
Body = dict[str, Any]
Step = Callable[[Env, Body], None]


def team_of(body: Body, context: BoltContext | None = None) -> str:
    """The workspace the request came from (a slash command says team_id, an interaction team.id)."""
    team = (context.team_id if context is not None else None) or body.get("team_id")
    return str(team or (body.get("team") or {}).get("id") or "")


def env_of(deps: Deps, body: Body, context: BoltContext, client: WebClient) -> Env:
    """The use cases' Env for this request: its workspace, and the client Bolt made for it. A request
    that names no workspace gets nothing (rows from before workspaces were recorded have none)."""
    team = team_of(body, context)
    if not team:
        raise UserError("This request names no Slack workspace, so I cannot act on it.")
    return Env(deps, team, SlackMessenger(client))


def incident_of(body: Body) -> int | None:
    """The incident a payload names: a modal's metadata, else what its button names (clicked_incident)."""
    view = body.get("view")
    if view is not None and "incident" in metadata(view):
        try:
            return incident_id(metadata(view)["incident"])
        except ValueError:
            return None
    return clicked_incident(body)


# Buttons that act on an incident: accepted only where the bot put them (see misplaced).
ON_INCIDENT = frozenset(
    {
        ids.REASSESS,
        ids.ADD_DEPARTMENT,
        ids.CHANGE_DECISION,
        ids.DRAFT_REGENERATE,
        ids.DRAFT_EDIT,
        ids.DRAFT_APPROVE,
        ids.RETRO_SCHEDULE,
        ids.RETRO_START,
        ids.RETRO_HOLD,
        ids.RETRO_MOVE,
        ids.WATCH_RECORD,
    }
)


# Of those, the ones the bot also sends in a direct message (the retrospective reminder to a person).
IN_DIRECT_MESSAGES = frozenset({ids.RETRO_START, ids.RETRO_MOVE})


def clicked_incident(body: Body) -> int | None:
    """The incident a button names, read as the steps read it: its value ("12" or "12:3"), else its
    block id ("…:12"); never a view's metadata, which a crafted click could point elsewhere. None
    when neither names one, or when they name two different incidents."""
    action = (body.get("actions") or [{}])[0]
    found: set[int] = set()
    raw_value = str(action.get("value") or "").split(":")[0]
    raw_block = str(action.get("block_id") or "").split(":")[-1]
    for raw in (raw_value, raw_block):
        try:
            found.add(incident_id(raw))
        except ValueError:
            continue
    return found.pop() if len(found) == 1 else None


def misplaced(env: Env, body: Body) -> str | None:
    """Why a click on an incident's button is refused for where it came from, or None to go on.

    A payload may be crafted: one sent from another channel naming an incident's number must not
    act on it. Accepted: a channel the bot posted the incident's messages to (its thread), and, for
    the buttons the bot sends to people, a direct message. A click with no channel (the bot draws
    no incident button in the Home tab or a modal), or naming no incident or two, is refused. Modal
    submissions carry the bot's own private_metadata and are not checked here.
    """
    actions = body.get("actions") or []
    if body.get("type") != "block_actions" or not actions:
        return None
    action_id = str(actions[0].get("action_id") or "")
    if action_id not in ON_INCIDENT and not action_id.startswith(ids.DECIDE_PREFIX):
        return None
    refused = "That button is not from an incident's thread, so I did nothing. Use it there."
    incident = clicked_incident(body)
    if incident is None:
        return refused
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or (body.get("container") or {}).get("channel_id") or "")
    if not channel_id:
        return refused
    places = queries.places(env, incident)
    if places is None:
        return None  # no such incident here: the step says so
    if channel_id in places:
        return None
    message_ts = str(
        (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts") or ""
    )
    if action_id in IN_DIRECT_MESSAGES and queries.sent_to_person(env, incident, channel_id, message_ts):
        return None
    return f"That button is not from OOPS-{incident}'s thread, so I did nothing. Use it there."


def tell(env: Env, body: Body, text: str) -> None:
    """Only the person who acted sees it: in the channel they acted in, else as a direct message."""
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id") or ""
    if not channel and body.get("view") is not None:
        incident = incident_of(body)
        if incident is not None:
            try:
                channel = queries.snapshot(env, incident).channel
            except UserError:
                channel = ""
    env.messenger.tell(channel, user_id(body), text)


def guarded(deps: Deps, step: Step) -> Callable[..., None]:
    """A lazy step: a refusal or a Slack error becomes a note to the person, a failure of ours one log
    line with the incident id and a note to the person; never silence, never a traceback to Slack."""

    def run(body: Body, context: BoltContext, client: WebClient) -> None:
        try:
            env = env_of(deps, body, context, client)
        except UserError:
            log.warning("%s: the request names no workspace; ignored", step.__name__)
            return
        try:
            refusal = misplaced(env, body)
            if refusal is not None:
                raise UserError(refusal)
            step(env, body)
        except UserError as exc:
            tell(env, body, str(exc))
        except Undelivered as exc:
            log.warning(
                "%s on OOPS-%s: Slack refused a call (%s)", step.__name__, incident_of(body), exc.code
            )
            tell(env, body, f"Slack refused part of that ({exc.code}). What was recorded is safe; try again.")
        except Exception as exc:
            log.error(
                "%s failed on OOPS-%s: %s",
                step.__name__,
                incident_of(body),
                type(exc).__name__,
                exc_info=False,
            )
            log.debug("the failure in full", exc_info=True)
            tell(env, body, "Something went wrong on my side and it is logged. Please try that again.")

    # Not functools.wraps: Bolt reads the arguments to pass from the signature, which must stay run's.
    run.__name__ = run.__qualname__ = step.__name__
    return run


def ready(env: Env, body: Body, action: Action) -> Snapshot | None:
    """The clicked incident if ``action`` fits its state; otherwise tell the person why and give None."""
    try:
        refusal = misplaced(env, body)
        if refusal is not None:
            raise UserError(refusal)
        return queries.ready_for(env, incident_id(body["actions"][0]["value"]), action, user_id(body))
    except UserError as exc:
        tell(env, body, str(exc))
        return None


def ack_errors(ack: Ack, errors: dict[str, str]) -> None:
    """Errors keep the modal open with what the person typed; no errors close it."""
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def first_input(body: Body) -> str:
    """The block id of the submitted modal's first input: where a refusal of the whole modal shows."""
    blocks = (body.get("view") or {}).get("blocks") or []
    return next((b.get("block_id", "") for b in blocks if b.get("type") == "input"), "")


def modal_incident(body: Body) -> int:
    return incident_id(metadata(body["view"]).get("incident"))


def refused_in_modal(env: Env, body: Body, action: Action) -> bool:
    """Bolt runs a lazy step even after an 'errors' ack; the modal already said why, so stay quiet."""
    return queries.refusal(env, modal_incident(body), action, user_id(body)) is not None


def open_modal(client: WebClient, body: Body, view: dict[str, Any]) -> None:
    client.views_open(trigger_id=body["trigger_id"], view=view)


def ack_only(ack: Ack) -> None:
    """Answer Slack now: the lazy step does the work, or (for a picker) the button that follows."""
    ack()


def respond(body: Body, text: str, blocks: list[dict[str, Any]], *, replace: bool) -> None:
    """An answer only the person sees, through the request's response_url; ``replace`` redraws the
    ephemeral message a button sits in."""
    url = body.get("response_url")
    if not url:
        raise Undelivered("no_response_url")
    response = Respond(response_url=str(url))(
        text=text, blocks=blocks, response_type="ephemeral", replace_original=replace or None
    )
    if response.status_code != 200:
        raise Undelivered(f"http_{response.status_code}", transient=response.status_code >= 500)
