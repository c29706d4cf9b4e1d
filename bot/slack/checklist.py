"""`/oops checklist [runbook id or words]` and its Retire buttons, answered only to the person asking.

Both answer through the request's response_url (Bolt's Respond): the command's answer is ephemeral,
and a Retire click redraws that ephemeral message in place (replace_original) saying who retired what
and when. The slash command is routed here by report.open_report, which acks first.
"""

from __future__ import annotations

import json
import re

from slack_bolt import App

from bot.slack import ids
from bot.slack.common import Body, ack_only, guarded, respond
from bot.slack.payloads import action_key, user_id
from bot.slack.views.checklist import checklist_message
from bot.slack.views.common import esc, user, when
from bot.usecases import checklists
from bot.usecases.context import Deps, Env
from bot.usecases.ports import UserError

COMMAND = re.compile(r"^checklist(?:\s+(?P<query>.*))?$", re.IGNORECASE | re.DOTALL)


def wanted(text: str) -> bool:
    """Whether `/oops <text>` asks for the checklist."""
    return COMMAND.match(text) is not None


def show(env: Env, body: Body) -> None:
    """The answer to `/oops checklist …` (its ack has gone already)."""
    match = COMMAND.match(" ".join((body.get("text") or "").split()))
    query = checklists.parse_query((match and match.group("query")) or "", env.runbooks)
    text, blocks = checklist_message(checklists.build(env, query), env.config.team.tz)
    respond(body, text, blocks, replace=False)


def _button(body: Body) -> tuple[int, str]:
    try:
        value = json.loads(body["actions"][0].get("value") or "")
        return int(value["item"]), str(value.get("q") or "")
    except (ValueError, TypeError, KeyError, IndexError):
        raise UserError("That button is not one of this checklist's.") from None


def retire(env: Env, body: Body) -> None:
    item_id, query_text = _button(body)
    query = checklists.parse_query(query_text, env.runbooks)
    done = checklists.retire(env, item_id, query, user_id(body), action_key(body))
    tz = env.config.team.tz
    if done.already:
        notice = f"“{esc(done.text)}” was already retired by {user(done.by)} on {when(done.at, tz)}."
    else:
        sources = f" (learnt from {', '.join(done.refs)})" if done.refs else ""
        notice = f"✅ {user(done.by)} retired “{esc(done.text)}”{sources} on {when(done.at, tz)}."
    text, blocks = checklist_message(checklists.build(env, query), tz, notice=notice)
    respond(body, text, blocks, replace=True)


def register(app: App, deps: Deps) -> None:
    app.action(ids.CHECKLIST_RETIRE)(ack=ack_only, lazy=[guarded(deps, retire)])
