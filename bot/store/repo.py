"""Queries over the mistake history. A Repo lives for one transaction (see ``Store.transaction``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, func
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


class Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # incidents -----------------------------------------------------------------------------------
    def add_incident(self, incident: Incident) -> Incident:
        now = utcnow()
        incident.created_at = incident.created_at or now
        incident.updated_at = now
        self.session.add(incident)
        self.session.flush()
        return incident

    def incident(self, incident_id: int, *, lock: bool = False) -> Incident | None:
        """``lock`` takes a row lock (PostgreSQL) so two clicks on one incident queue up."""
        query = select(Incident).where(Incident.id == incident_id)
        if lock:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def incident_by_source(self, source_key: str) -> Incident | None:
        return self.session.exec(select(Incident).where(Incident.source_key == source_key)).first()

    def touch(self, incident: Incident) -> None:
        incident.updated_at = utcnow()
        self.session.add(incident)

    def incidents(self, *, limit: int = 50) -> list[Incident]:
        query = select(Incident).order_by(col(Incident.id).desc()).limit(limit)
        return list(self.session.exec(query))

    # decision log --------------------------------------------------------------------------------
    def log(self, incident_id: int, step: str, choice: str, actor: str, note: str = "") -> DecisionLog:
        row = DecisionLog(
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
        query = (
            select(DecisionLog).where(DecisionLog.incident_id == incident_id).order_by(col(DecisionLog.id))
        )
        return list(self.session.exec(query))

    # posts ---------------------------------------------------------------------------------------
    def post(self, incident_id: int, kind: str) -> Post | None:
        query = select(Post).where(Post.incident_id == incident_id, Post.kind == kind)
        return self.session.exec(query).first()

    def drop_post(self, incident_id: int, kind: str) -> None:
        row = self.post(incident_id, kind)
        if row is not None:
            self.session.delete(row)

    def notice(self, incident_id: int, department: str) -> Notice | None:
        query = select(Notice).where(Notice.incident_id == incident_id, Notice.department == department)
        return self.session.exec(query).first()

    def set_post(self, incident_id: int, kind: str, channel: str, ts: str) -> None:
        row = self.post(incident_id, kind) or Post(incident_id=incident_id, kind=kind, channel=channel, ts=ts)
        row.channel, row.ts = channel, ts
        self.session.add(row)

    # departments ---------------------------------------------------------------------------------
    def notices(self, incident_id: int) -> list[Notice]:
        query = select(Notice).where(Notice.incident_id == incident_id).order_by(col(Notice.id))
        return list(self.session.exec(query))

    def add_notice(self, notice: Notice) -> Notice:
        notice.created_at = utcnow()
        self.session.add(notice)
        self.session.flush()
        return notice

    # drafts --------------------------------------------------------------------------------------
    def latest_draft(self, incident_id: int) -> Draft | None:
        query = select(Draft).where(Draft.incident_id == incident_id).order_by(col(Draft.version).desc())
        return self.session.exec(query).first()

    def add_draft(self, incident_id: int, subject: str, body: str, author: str, source: str) -> Draft:
        latest = self.latest_draft(incident_id)
        draft = Draft(
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
        query = select(Retrospective).where(Retrospective.incident_id == incident_id)
        return self.session.exec(query).first()

    def add_retrospective(self, retro: Retrospective, checklist: list[str], runbook_id: str) -> None:
        retro.created_at = utcnow()
        self.session.add(retro)
        for text in checklist:
            self.session.add(
                ChecklistItem(
                    incident_id=retro.incident_id, runbook_id=runbook_id, text=text[:300], created_at=utcnow()
                )
            )

    def checklist(self, incident_id: int) -> list[ChecklistItem]:
        query = select(ChecklistItem).where(ChecklistItem.incident_id == incident_id)
        return list(self.session.exec(query.order_by(col(ChecklistItem.id))))

    def lessons(self, runbook_id: str, *, limit: int = 10) -> list[str]:
        """The newest distinct checklist items learnt under a runbook."""
        query = (
            select(ChecklistItem.text, func.max(ChecklistItem.id).label("newest"))
            .where(ChecklistItem.runbook_id == runbook_id)
            .group_by(ChecklistItem.text)
            .order_by(func.max(ChecklistItem.id).desc())
            .limit(limit)
        )
        return [row[0] for row in self.session.exec(query)]

    # deliveries ----------------------------------------------------------------------------------
    def claim(self, key: str) -> bool:
        """True the first time ``key`` is seen; a re-delivery gets False and does nothing."""
        if self.session.get(Delivery, key) is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(Delivery(key=key, seen_at=utcnow()))
        except IntegrityError:
            return False
        return True


class Store:
    """The database behind the bot: hands out one Repo per transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def read(self) -> Iterator[Repo]:
        """A transaction that only reads: on SQLite it takes no write lock."""
        with Session(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False) as session:
            yield Repo(session)
            session.commit()  # nothing to write; unlike rollback, it leaves the loaded rows readable

    @contextmanager
    def transaction(self) -> Iterator[Repo]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield Repo(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
