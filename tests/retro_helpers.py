"""Helpers for the retrospective form and action item tests: a clock the test moves, closing an
incident with a cause and action items, and pressing a button inside an open modal with what was typed."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from bot.demo import DemoBot
from bot.slack import ids
from bot.store.tables import ActionItem
from slack_emulator import DriverResponse

try:
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]

ACTION = "Mark every list that starts a flow"


class Clock:
    """What ``Deps.clock`` returns: the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def local_today(bot: DemoBot) -> date:
    return datetime.now(UTC).astimezone(bot.runtime.config.team.tz).date()


def at_local(bot: DemoBot, day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at hour:minute in the team's time zone, as an aware UTC time."""
    tz = bot.runtime.config.team.tz
    return datetime.combine(day, clock_time(hour, minute), tzinfo=tz).astimezone(UTC)


def set_clock(bot: DemoBot, when: datetime) -> Clock:
    clock = Clock(when)
    bot.runtime.deps.clock = clock
    return clock


def open_retro_form(bot: DemoBot, user: str = h.REVIEWER) -> dict[str, Any]:
    """Walk an incident to its retrospective reminder and open the form."""
    incident_id = h.walk_to_retro_scheduled(bot)
    h.fire_reminder(bot, incident_id)
    h.click(bot, ids.RETRO_START, user)
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.RETRO_VIEW
    return view


def action_values(index: int, text: str, owner: str | None, due: date | None) -> dict[str, Any]:
    values: dict[str, Any] = {f"action_{index}_text": text}
    if owner is not None:
        values[f"action_{index}_owner"] = owner
    if due is not None:
        values[f"action_{index}_due"] = due.isoformat()
    return values


def close_with_action(
    bot: DemoBot, due: date, owner: str = h.DECIDER, cause: str = "automation"
) -> ActionItem:
    """Hold the retrospective with a cause and one action item; returns the stored item."""
    view = open_retro_form(bot)
    values = {**h.RETRO_VALUES, "cause": cause, **action_values(0, ACTION, owner, due)}
    response = bot.driver.submit_view(view["id"], values, user=h.REVIEWER)
    assert response.status == 200 and response.ack_body is None, response.body_text
    bot.settle()
    [item] = h.rows(bot, ActionItem)
    return item


def press_in_view(
    bot: DemoBot, view_id: str, block_id: str, typed: Mapping[str, Any], user: str = h.REVIEWER
) -> DriverResponse:
    """Press the button in ``block_id`` of an open modal, with ``typed`` in its inputs, as Slack sends it
    (a block_actions payload carrying the view and its state)."""
    view = bot.driver.submitted_view(view_id, typed)
    block = h.view_block(view, block_id)
    button = block["elements"][0]
    emu = bot.emulator
    payload = {
        "type": "block_actions",
        "user": h._user(emu, user),
        "api_app_id": h.APP_ID,
        "token": bot.driver.verification_token,
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": emu.new_trigger_id(user),
        "team": h._team(emu),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": block_id,
                "type": "button",
                "text": button["text"],
                "value": button.get("value"),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    response = bot.driver.send(h.payload_body(payload))
    bot.settle()
    return response


def tomorrow(bot: DemoBot) -> date:
    return local_today(bot) + timedelta(days=1)
