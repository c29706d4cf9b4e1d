"""The functions APScheduler runs. They are stored by name in the job table, so they must be
importable module-level functions taking plain arguments; the live handlers are looked up at
run time, which lets a job scheduled before a restart run in the process that comes after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_handlers: dict[str, Callable[..., object]] = {}


def set_handler(name: str, handler: Callable[..., object]) -> None:
    _handlers[name] = handler


def retro_reminder(incident_id: int) -> None:
    handler = _handlers.get("retro_reminder")
    if handler is None:
        # Raising would only make APScheduler log and drop it; say plainly what is missing.
        log.error("retro reminder for OOPS-%s fired before the bot wired its handlers", incident_id)
        return
    handler(incident_id)


def sweep() -> None:
    """Every minute: whatever came due (a second reminder, an action item's day, the watch after an
    apology). What is due lives in the incident tables, so a sweep after downtime finds it all."""
    handler = _handlers.get("sweep")
    if handler is None:
        log.error("sweep fired before the bot wired its handlers")
        return
    handler()


def weekly_summary(team: str) -> None:
    handler = _handlers.get("weekly_summary")
    if handler is None:
        log.error("weekly summary of %s fired before the bot wired its handlers", team)
        return
    handler(team)


def wake() -> None:
    """Does nothing: running at all makes the scheduler re-read the shared job table."""
