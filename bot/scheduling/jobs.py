"""The functions APScheduler runs. They are stored by name in the job table, so they must be
importable module-level functions taking plain arguments; the live handlers are looked up at
run time, which lets a job scheduled before a restart run in the process that comes after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_handlers: dict[str, Callable[[int], object]] = {}


def set_handler(name: str, handler: Callable[[int], object]) -> None:
    _handlers[name] = handler


def retro_reminder(incident_id: int) -> None:
    handler = _handlers.get("retro_reminder")
    if handler is None:
        # Raising would only make APScheduler log and drop it; say plainly what is missing.
        log.error("retro reminder for OOPS-%s fired before the bot wired its handlers", incident_id)
        return
    handler(incident_id)


def wake() -> None:
    """Does nothing: running at all makes the scheduler re-read the shared job table."""
