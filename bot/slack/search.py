"""`/oops search <words>` and its More button, answered only to the person asking.

The slash command is routed here by report.open_report, which acks first (Slack's 3 seconds); the
answer goes through the request's response_url, ephemeral, and More redraws it in place
(replace_original) with the next page. Each hit shown links to its thread (the header's permalink,
asked of Slack once per process: Env.permalink).
"""

from __future__ import annotations

import json
import re

from slack_bolt import App

from bot.slack import ids
from bot.slack.common import Body, ack_only, guarded, respond
from bot.slack.views.search import cap, help_message, search_message
from bot.usecases import history
from bot.usecases.context import Deps, Env
from bot.usecases.ports import UserError

COMMAND = re.compile(r"^search(?:\s+(?P<query>.*))?$", re.IGNORECASE | re.DOTALL)
PAGE_MAX = 1000  # a crafted button cannot ask for an absurd offset


def wanted(text: str) -> bool:
    """Whether `/oops <text>` asks for a search."""
    return COMMAND.match(text) is not None


def _answer(env: Env, body: Body, query_text: str, page: int, *, replace: bool) -> None:
    if not query_text.strip():
        text, blocks = help_message()
        respond(body, text, blocks, replace=replace)
        return
    results = history.search(env, query_text, page)
    links = {
        hit.id: env.permalink(hit.channel, hit.header_ts)
        for hit in results.hits
        if hit.header_ts and hit.channel
    }
    text, blocks = search_message(results, query_text, links, env.config.team.tz)
    respond(body, text, blocks, replace=replace)


def show(env: Env, body: Body) -> None:
    """The answer to `/oops search …` (its ack has gone already)."""
    match = COMMAND.match(" ".join((body.get("text") or "").split()))
    query_text = cap((match and match.group("query")) or "")
    _answer(env, body, query_text, 1, replace=False)


def button_query(body: Body) -> tuple[str, int]:
    """The query and page a More button carries (here, and in the Home tab's search modal)."""
    try:
        value = json.loads(body["actions"][0].get("value") or "")
        page = int(value["p"])
        query_text = value["q"]
    except (ValueError, TypeError, KeyError, IndexError):
        raise UserError("That button is not one of this search's.") from None
    if not isinstance(query_text, str) or not 1 <= page <= PAGE_MAX:
        raise UserError("That button is not one of this search's.")
    return cap(query_text), page


def more(env: Env, body: Body) -> None:
    query_text, page = button_query(body)
    _answer(env, body, query_text, page, replace=True)


def register(app: App, deps: Deps) -> None:
    app.action(ids.SEARCH_MORE)(ack=ack_only, lazy=[guarded(deps, more)])
