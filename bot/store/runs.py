"""Runs of scheduled things, one row per key (bot.store.tables.JobRun): how a job posts at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.repo import Repo
from bot.store.tables import JobRun


@dataclass(frozen=True)
class Claim:
    """``fresh``: this call wrote the row. Otherwise the row was there: ``done`` when it names a post,
    else another run started at ``started_at`` and has not finished (or died)."""

    fresh: bool
    done: bool
    started_at: datetime | None
    ref: str = ""


class Runs:
    def __init__(self, repo: Repo) -> None:
        self.session = repo.session
        self.team = repo.team

    def claim(self, key: str, now: datetime) -> Claim:
        try:
            with self.session.begin_nested():
                self.session.add(JobRun(team_id=self.team, key=key, started_at=now, ref=""))
        except IntegrityError:
            row = self.get(key)
            if row is None:  # deleted between the insert and the read: try once more
                return self.claim(key, now)
            return Claim(False, row.finished_at is not None, row.started_at, row.ref)
        return Claim(True, False, now)

    def get(self, key: str) -> JobRun | None:
        query = select(JobRun).where(JobRun.team_id == self.team, JobRun.key == key)
        return self.session.exec(query).first()

    def take_over(self, key: str, seen_started_at: datetime, now: datetime) -> bool:
        """Restart a run that was started at ``seen_started_at`` and never finished; False when
        another process restarted or finished it first (compare and set on started_at)."""
        result = self.session.execute(
            update(JobRun)
            .where(
                col(JobRun.team_id) == self.team,
                col(JobRun.key) == key,
                col(JobRun.started_at) == seen_started_at,
                col(JobRun.finished_at).is_(None),
            )
            .values(started_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def finish(self, key: str, ref: str, now: datetime) -> None:
        self.session.execute(
            update(JobRun)
            .where(col(JobRun.team_id) == self.team, col(JobRun.key) == key)
            .values(finished_at=now, ref=ref[:120])
        )

    def refused(self, key: str, code: str, now: datetime) -> int:
        """Slack refused the post for sure: count the attempt (kept in ``ref`` while unfinished, as
        ``refused:N:code``) and restart the clock, so the next try comes once the run is stale."""
        row = self.get(key)
        if row is None or row.finished_at is not None:
            return 0
        attempts = refusals(row.ref) + 1
        row.ref, row.started_at = f"refused:{attempts}:{code}"[:120], now
        self.session.add(row)
        return attempts

    def give_up(self, key: str, code: str, now: datetime) -> None:
        """Stop trying: the run counts as finished, and says why it never posted."""
        self.finish(key, f"gave-up:{code}", now)

    def keys_posted_at(self, ref: str) -> list[str]:
        """The keys of the runs that made the post ``channel/ts`` (a click on it names where it was).
        Read only on a click in a direct message; not indexed, the table holds one row per post."""
        query = select(JobRun.key).where(JobRun.team_id == self.team, JobRun.ref == ref)
        return list(self.session.exec(query))

    def done(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` have finished runs (one query, for a sweep over many subjects)."""
        if not keys:
            return set()
        query = select(JobRun.key).where(
            JobRun.team_id == self.team, col(JobRun.key).in_(keys), col(JobRun.finished_at).is_not(None)
        )
        return set(self.session.exec(query))


def refusals(ref: str) -> int:
    """How many times an unfinished run was refused (0 for a run not refused yet)."""
    if not ref.startswith("refused:"):
        return 0
    try:
        return int(ref.split(":", 2)[1])
    except (IndexError, ValueError):
        return 0
