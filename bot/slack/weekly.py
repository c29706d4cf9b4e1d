"""`/oops weekly [2026-W47]`: the weekly summary, shown only to the person asking.

The slash command is routed here by report.open_report, which acks first (Slack's 3 seconds); the
answer goes through the request's response_url, ephemeral: the same message the digest channel gets
on the scheduled day, for any week, whenever someone wants it.
"""

from __future__ import annotations

import re

from bot.runbook.weeks import Week
from bot.slack.common import Body, respond
from bot.slack.views.digest import weekly_message
from bot.usecases import digest
from bot.usecases.context import Env
from bot.usecases.ports import UserError

# A week starts with its year (2026-W47) or a W and digits: "/oops weekly newsletter" is a report.
COMMAND = re.compile(r"^weekly(?:\s+(?P<week>(?:\d|w\d)\S*))?$", re.IGNORECASE)


def wanted(text: str) -> bool:
    """Whether `/oops <text>` asks for the weekly summary."""
    return COMMAND.match(text) is not None


def show(env: Env, body: Body) -> None:
    """The answer to `/oops weekly …` (its ack has gone already)."""
    match = COMMAND.match(" ".join((body.get("text") or "").split()))
    label = match.group("week") if match else None
    now = env.now()
    try:
        week = Week.parse(label) if label else digest.last_complete(now, env.config.team.tz)
    except ValueError as exc:
        raise UserError(f"{exc}. `/oops weekly` alone shows the last complete week.") from None
    text, blocks = weekly_message(digest.summarize(env, week, now))
    respond(body, text, blocks, replace=False)
