"""Exactly once: a scheduled thing posts under a key recorded before it posts.

A double start, a takeover by another process or a retry finds the key and does not post again. A
run that died between its record and its post (kill -9, a lost machine) leaves the key unfinished;
after STALE another run looks in Slack for the post (by its Marker) and posts only if it is not there.
A post Slack refuses for sure (a deactivated person, a channel the bot was removed from) is tried
again once the run is stale, MAX_ATTEMPTS times in all, then given up with a log line: never a
retry every minute, forever.
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
MAX_ATTEMPTS = 6  # sure refusals, STALE apart: half an hour for someone to fix the channel


def post_once(
    env: Env,
    key: str,
    post: Callable[[], PostRef],
    *,
    find: Callable[[], PostRef | None] | None = None,
) -> PostRef | None:
    """Run ``post`` unless a run under ``key`` already did (or is doing it now). Returns the post when
    this call made it. A refusal Slack is sure of lets a run try again once STALE has passed (and
    gives up after MAX_ATTEMPTS); an uncertain one (a timeout, a 5xx) leaves the key to be checked
    with ``find`` once it is stale. Undelivered is raised either way, for the caller to say so."""
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
            _refused(env, key, exc.code)
        raise
    _finish(env, key, ref)
    return ref


def _refused(env: Env, key: str, code: str) -> None:
    with env.transaction() as repo:
        runs = Runs(repo)
        attempts = runs.refused(key, code, env.now())
        if attempts >= MAX_ATTEMPTS:
            runs.give_up(key, code, env.now())
            log.warning("run %s: Slack refused it %s times (%s); not trying again", key, attempts, code)


def _finish(env: Env, key: str, ref: PostRef) -> None:
    with env.transaction() as repo:
        Runs(repo).finish(key, f"{ref.channel}/{ref.ts}", env.now())


def ran(env: Env, key: str) -> bool:
    """Whether a run under ``key`` finished."""
    with env.read() as repo:
        row = Runs(repo).get(key)
    return row is not None and row.finished_at is not None
