"""Exactly once: a scheduled thing posts under a key recorded before it posts.

A double start, a takeover by another process or a retry finds the key and does not post again. A
run that died between its record and its post (kill -9, a lost machine) leaves the key unfinished;
after STALE another run looks in Slack for the post (by its Marker) and posts only if it is not there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bot.store.runs import Runs
from bot.usecases.context import Env
from bot.usecases.ports import PostRef, Undelivered

log = logging.getLogger(__name__)
# Longer than any post takes; shorter than anyone would wait for a reminder that a dead process owed.
STALE = timedelta(minutes=5)


def post_once(
    env: Env,
    key: str,
    post: Callable[[], PostRef],
    *,
    find: Callable[[], PostRef | None] | None = None,
) -> PostRef | None:
    """Run ``post`` unless a run under ``key`` already did (or is doing it now). Returns the post when
    this call made it. A refusal Slack is sure of lets the next run try again; an uncertain one
    (a timeout, a 5xx) leaves the key to be checked with ``find`` once it is stale."""
    now = env.now()
    with env.transaction() as repo:
        runs = Runs(repo)
        claim = runs.claim(key, now)
        if not claim.fresh:
            if claim.done or claim.started_at is None or now - claim.started_at < STALE:
                return None
            if not runs.take_over(key, claim.started_at, now):
                return None
            log.info("run %s started at %s never finished: taking it over", key, claim.started_at)
    if not claim.fresh and find is not None:
        found = find()
        if found is not None:
            _finish(env, key, found)
            return None
    try:
        ref = post()
    except Undelivered as exc:
        if not exc.uncertain:
            with env.transaction() as repo:
                Runs(repo).forget(key)
        raise
    _finish(env, key, ref)
    return ref


def _finish(env: Env, key: str, ref: PostRef) -> None:
    with env.transaction() as repo:
        Runs(repo).finish(key, f"{ref.channel}/{ref.ts}", env.now())


def ran(env: Env, key: str) -> bool:
    """Whether a run under ``key`` finished."""
    with env.read() as repo:
        row = Runs(repo).get(key)
    return row is not None and row.finished_at is not None
