"""Action items in Slack: Done and Snooze (from the owner's reminder or the incident thread), and
`/oops actions [mine]`, answered only to the person asking. The slash command is routed here by
report.open_report, which acks first."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.slack import ids
from bot.slack.common import Body, ack_only, guarded, respond
from bot.slack.payloads import user_id
from bot.slack.views.actions import listing
from bot.usecases import actions
from bot.usecases.context import Deps, Env
from bot.usecases.ports import PostRef, UserError

COMMAND = re.compile(r"^actions(?:\s+(?P<mine>mine))?$", re.IGNORECASE)


def wanted(text: str) -> bool:
    """Whether `/oops <text>` asks for the action items."""
    return COMMAND.match(text) is not None


def show(env: Env, body: Body) -> None:
    """The answer to `/oops actions [mine]` (its ack has gone already)."""
    match = COMMAND.match(" ".join((body.get("text") or "").split()))
    mine = bool(match and match.group("mine"))
    text, blocks = listing(actions.listing(env, user_id(body), mine=mine))
    respond(body, text, blocks, replace=False)


def _value(body: Body) -> tuple[int, int]:
    """(item id, days) from a button's value: "12", or "12:7" for a snooze. Crafted values are refused."""
    raw = str(body["actions"][0].get("value") or "")
    item, _, days = raw.partition(":")
    try:
        return int(item), int(days or 0)
    except ValueError:
        raise UserError("That button is not one of this action item's.") from None


def _shown(body: Body) -> PostRef | None:
    """The message the button sits in (the owner's reminder), to redraw it."""
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return PostRef(str(channel), str(ts)) if channel and ts else None


def done(env: Env, body: Body) -> None:
    item_id, _ = _value(body)
    actions.done(env, item_id, user_id(body))


def snooze(env: Env, body: Body) -> None:
    item_id, days = _value(body)
    actions.snooze(env, item_id, days, user_id(body), _shown(body))


def register(app: App, deps: Deps) -> None:
    app.action(ids.ACTION_DONE)(ack=ack_only, lazy=[guarded(deps, done)])
    app.action(ids.ACTION_SNOOZE)(ack=ack_only, lazy=[guarded(deps, snooze)])
    app.action(ids.ACTION_SNOOZE_WEEK)(ack=ack_only, lazy=[guarded(deps, snooze)])
