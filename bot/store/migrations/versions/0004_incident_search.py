"""history search: each incident's words, indexed by the database (FTS5 on SQLite, GIN on PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

``incident_search`` holds one row an incident: its words as bot.store.search_text.document writes them
(the title apart, as it ranks higher; then details, runbook, the retrospective's lessons and
checklist items). SQLite gets an FTS5
external-content table over it, kept in step by triggers; PostgreSQL a stored tsvector column
('simple' configuration: the words are already folded and stemmed) with a GIN index. Existing
incidents are indexed here, in Python, with the same normaliser the bot uses.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from bot.store.search_backfill import documents

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE = [
    "CREATE VIRTUAL TABLE incident_search_fts USING fts5(title_text, search_text, content='incident_search',"
    " content_rowid='incident_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER incident_search_ai AFTER INSERT ON incident_search BEGIN"
    " INSERT INTO incident_search_fts(rowid, title_text, search_text)"
    " VALUES (new.incident_id, new.title_text, new.search_text); END",
    "CREATE TRIGGER incident_search_ad AFTER DELETE ON incident_search BEGIN"
    " INSERT INTO incident_search_fts(incident_search_fts, rowid, title_text, search_text)"
    " VALUES ('delete', old.incident_id, old.title_text, old.search_text); END",
    "CREATE TRIGGER incident_search_au AFTER UPDATE ON incident_search BEGIN"
    " INSERT INTO incident_search_fts(incident_search_fts, rowid, title_text, search_text)"
    " VALUES ('delete', old.incident_id, old.title_text, old.search_text);"
    " INSERT INTO incident_search_fts(rowid, title_text, search_text)"
    " VALUES (new.incident_id, new.title_text, new.search_text); END",
]
POSTGRESQL = [
    "ALTER TABLE incident_search ADD COLUMN search_tsv tsvector"
    " GENERATED ALWAYS AS (setweight(to_tsvector('simple'::regconfig, title_text), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, search_text), 'B')) STORED",
    "CREATE INDEX ix_incident_search_tsv ON incident_search USING gin (search_tsv)",
]


def upgrade() -> None:
    op.create_table(
        "incident_search",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("search_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index(op.f("ix_incident_search_team_id"), "incident_search", ["team_id"], unique=False)
    bind = op.get_bind()
    for statement in SQLITE if bind.dialect.name == "sqlite" else POSTGRESQL:
        op.execute(sa.text(statement))
    _index_existing(bind)


def _index_existing(bind: sa.Connection) -> None:
    """Every incident already there, a batch at a time (the triggers fill FTS5 as rows go in)."""
    for batch in documents(bind):
        bind.execute(
            sa.text(
                "INSERT INTO incident_search (incident_id, team_id, title_text, search_text)"
                " VALUES (:id, :team, :title, :words)"
            ),
            batch,
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("ai", "ad", "au"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS incident_search_{name}"))
        op.execute(sa.text("DROP TABLE IF EXISTS incident_search_fts"))
    op.drop_index(op.f("ix_incident_search_team_id"), table_name="incident_search")
    op.drop_table("incident_search")
