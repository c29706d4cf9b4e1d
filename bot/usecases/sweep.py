"""The minute sweep: every feature that has something due at a time (a second reminder, an action
item's day, the watch after an apology) finds it here, in the database, and posts it once.

Each sweeper takes an Env and the time, reads what is due from indexed columns (so a sweep costs the
same however long the history), and posts through bot.usecases.once, so a sweep run twice, or by a
process that has just taken over, posts nothing twice. One sweeper failing does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from bot.usecases import actions, digest, retro_followup, watch
from bot.usecases.context import Deps, Env

log = logging.getLogger(__name__)

Sweeper = Callable[[Env, datetime], int]


def sweepers() -> list[tuple[str, Sweeper]]:
    """(name, function) of every sweeper, in the order they run. A feature adds its line here."""
    return [
        ("retro-followup", retro_followup.sweep_retros),  # a retrospective reminded again, then overdue
        ("watch", watch.sweep_watch),  # the figures after an apology
        ("action_items", actions.remind_due),  # an action item's day, then weekly while overdue
        ("weekly", digest.retry_weekly),  # a weekly summary whose run failed
    ]


def sweep(deps: Deps, teams: Iterable[str]) -> dict[str, int]:
    """Run every sweeper for every workspace; how many things each posted."""
    now = deps.clock()
    done: dict[str, int] = {}
    for team in teams:
        env = deps.env(team)
        for name, run in sweepers():
            try:
                done[name] = done.get(name, 0) + run(env, now)
            except Exception:
                log.exception("sweep: %s failed for workspace %s; the next sweep tries again", name, team)
    return done
