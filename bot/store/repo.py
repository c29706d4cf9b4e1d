"""Queries over the mistake history. A Repo lives for one transaction and one workspace.

Every query filters by the Slack workspace (team id) the Repo was opened for, so an incident id
taken from a crafted payload of another workspace finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.store.db import READ_ONLY
from bot.store.tables import (
    ChecklistItem,
    DecisionLog,
    Delivery,
    Draft,
    Incident,
    Notice,
    Post,
    Retrospective,
    utcnow,
)

# Lessons are read from the newest rows only, so a redraw costs the same after 10,000 retrospectives.
LESSONS_WINDOW = 200


class Repo:
    def __init__(self, session: Session, team: str) -> None:
        self.session = session
        self.team = team

    # incidents -----------------------------------------------------------------------------------
    def add_incident(self, incident: Incident) -> Incident:
        now = utcnow()
        incident.team_id = self.team
        incident.created_at = incident.created_at or now
        incident.updated_at = now
        self.session.add(incident)
        self.session.flush()
        return incident

    def incident(self, incident_id: int, *, lock: bool = False) -> Incident | None:
        """``lock`` takes a row lock (PostgreSQL) so two clicks on one incident queue up."""
        query = select(Incident).where(Incident.id == incident_id, Incident.team_id == self.team)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def incident_by_source(self, source_key: str) -> Incident | None:
        query = select(Incident).where(Incident.source_key == source_key, Incident.team_id == self.team)
        return self.session.exec(query).first()

    def touch(self, incident: Incident) -> None:
        incident.updated_at = utcnow()
        self.session.add(incident)

    def incidents(self, *, limit: int = 50) -> list[Incident]:
        query = (
            select(Incident)
            .where(Incident.team_id == self.team)
            .order_by(col(Incident.id).desc())
            .limit(limit)
        )
        return list(self.session.exec(query))

    # decision log --------------------------------------------------------------------------------
    def log(self, incident_id: int, step: str, choice: str, actor: str, note: str = "") -> DecisionLog:
        row = DecisionLog(
            team_id=self.team,
            incident_id=incident_id,
            step=step,
            choice=choice[:200],
            actor=actor,
            note=note[:3000],
            at=utcnow(),
        )
        self.session.add(row)
        return row

    def decision_log(self, incident_id: int) -> list[DecisionLog]:
        query = select(DecisionLog).where(
            DecisionLog.incident_id == incident_id, DecisionLog.team_id == self.team
        )
        return list(self.session.exec(query.order_by(col(DecisionLog.id))))

    # posts ---------------------------------------------------------------------------------------
    def posts(self, incident_id: int) -> dict[str, Post]:
        query = select(Post).where(Post.incident_id == incident_id, Post.team_id == self.team)
        return {row.kind: row for row in self.session.exec(query)}

    def post(self, incident_id: int, kind: str) -> Post | None:
        query = select(Post).where(
            Post.incident_id == incident_id, Post.kind == kind, Post.team_id == self.team
        )
        return self.session.exec(query).first()

    def intend_post(self, incident_id: int, kind: str, channel: str, *, known: Post | None = None) -> Post:
        """Record that a post is about to be made, before making it (see usecases.thread).
        ``known`` is the row when the caller has it, to save a query."""
        return known or self.post(incident_id, kind) or self.add_intent(incident_id, kind, channel)

    def add_intent(self, incident_id: int, kind: str, channel: str) -> Post:
        """The intent of a post the caller knows was never recorded."""
        row = Post(team_id=self.team, incident_id=incident_id, kind=kind, channel=channel, ts=None)
        self.session.add(row)
        return row

    def set_post(
        self, incident_id: int, kind: str, channel: str, ts: str, *, known: Post | None = None
    ) -> Post:
        row = self.intend_post(incident_id, kind, channel, known=known)
        row.channel, row.ts = channel, ts
        self.session.add(row)
        return row

    def drop_post(self, incident_id: int, kind: str) -> None:
        row = self.post(incident_id, kind)
        if row is not None:
            self.session.delete(row)

    # departments ---------------------------------------------------------------------------------
    def notices(self, incident_id: int) -> list[Notice]:
        query = select(Notice).where(Notice.incident_id == incident_id, Notice.team_id == self.team)
        return list(self.session.exec(query.order_by(col(Notice.id))))

    def notice(self, incident_id: int, department: str) -> Notice | None:
        query = select(Notice).where(
            Notice.incident_id == incident_id, Notice.department == department, Notice.team_id == self.team
        )
        return self.session.exec(query).first()

    def add_notice(self, notice: Notice) -> Notice:
        notice.team_id = self.team
        notice.created_at = notice.created_at or utcnow()
        self.session.add(notice)
        self.session.flush()
        return notice

    # drafts --------------------------------------------------------------------------------------
    def latest_draft(self, incident_id: int) -> Draft | None:
        query = select(Draft).where(Draft.incident_id == incident_id, Draft.team_id == self.team)
        return self.session.exec(query.order_by(col(Draft.version).desc())).first()

    def add_draft(self, incident_id: int, subject: str, body: str, author: str, source: str) -> Draft:
        latest = self.latest_draft(incident_id)
        draft = Draft(
            team_id=self.team,
            incident_id=incident_id,
            version=(latest.version + 1) if latest else 1,
            subject=subject,
            body=body,
            author=author,
            source=source,
            created_at=utcnow(),
        )
        self.session.add(draft)
        self.session.flush()
        return draft

    # retrospective -------------------------------------------------------------------------------
    def retrospective(self, incident_id: int) -> Retrospective | None:
        query = select(Retrospective).where(
            Retrospective.incident_id == incident_id, Retrospective.team_id == self.team
        )
        return self.session.exec(query).first()

    def add_retrospective(self, retro: Retrospective, checklist: list[str], runbook_id: str) -> None:
        retro.team_id = self.team
        retro.created_at = utcnow()
        self.session.add(retro)
        for text in checklist:
            self.session.add(
                ChecklistItem(
                    team_id=self.team,
                    incident_id=retro.incident_id,
                    runbook_id=runbook_id,
                    text=text[:300],
                    created_by=retro.submitted_by,
                    created_at=utcnow(),
                )
            )

    def checklist(self, incident_id: int) -> list[ChecklistItem]:
        query = select(ChecklistItem).where(
            ChecklistItem.incident_id == incident_id, ChecklistItem.team_id == self.team
        )
        return list(self.session.exec(query.order_by(col(ChecklistItem.id))))

    def lessons(self, runbook_id: str, *, limit: int = 10) -> list[str]:
        """The newest distinct checklist items learnt under a runbook and not retired (an index range,
        never a scan)."""
        query = (
            select(ChecklistItem.text)
            .where(
                ChecklistItem.team_id == self.team,
                ChecklistItem.runbook_id == runbook_id,
                col(ChecklistItem.retired_at).is_(None),
            )
            .order_by(col(ChecklistItem.id).desc())
            .limit(LESSONS_WINDOW)
        )
        out: list[str] = []
        for text in self.session.exec(query):
            if text not in out:
                out.append(text)
                if len(out) == limit:
                    break
        return out

    # deliveries ----------------------------------------------------------------------------------
    def claim(self, key: str) -> bool:
        """True the first time ``key`` is seen; a re-delivery gets False and does nothing."""
        key = f"{self.team}:{key}"[:200]
        if self.session.get(Delivery, key) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(Delivery(key=key, seen_at=utcnow()))
        except IntegrityError:
            return False
        return True


class Store:
    """The database behind the bot: hands out one Repo per transaction and workspace."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def read(self, team: str) -> Iterator[Repo]:
        """A transaction that only reads: on SQLite it takes no write lock."""
        with Session(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session:
            yield Repo(session, team)
            session.commit()  # nothing to write; unlike rollback, it leaves the loaded rows readable

    @contextmanager
    def transaction(self, team: str) -> Iterator[Repo]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield Repo(session, team)
                session.commit()
            except BaseException:
                session.rollback()
                raise
