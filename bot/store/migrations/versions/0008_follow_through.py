"""follow-through: action items, watching after the apology, runs of scheduled jobs, causes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

``action_item`` (what a retrospective decided, with owner and due date), ``incident_watch`` (when to
ask for the figures after an apology, and what was recorded), ``job_run`` (one row per run of a
scheduled thing, under a unique key, so nothing posts twice), the retrospective's cause category,
and indexes the weekly summary reads a week through.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from bot.store.tables import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("text", _str(300), nullable=False),
        sa.Column("owner", _str(40), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_by", _str(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", _str(40), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_action_item_incident_id", "action_item", ["incident_id"])
    op.create_index("ix_action_item_team_due", "action_item", ["team_id", "done_at", "due"])
    op.create_index("ix_action_item_team_done", "action_item", ["team_id", "done_at"])
    op.create_index("ix_action_item_team_owner", "action_item", ["team_id", "owner"])
    op.create_table(
        "incident_watch",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("asked_at", UTCDateTime(), nullable=True),
        sa.Column("complaints", sa.Integer(), nullable=True),
        sa.Column("unsubscribes", sa.Integer(), nullable=True),
        sa.Column("replies", sa.Integer(), nullable=True),
        sa.Column("recorded_by", _str(40), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index("ix_incident_watch_team_due", "incident_watch", ["team_id", "asked_at", "due_at"])
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("key", _str(200), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("ref", _str(120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "key"),
    )
    with op.batch_alter_table("retrospective") as batch:
        batch.add_column(sa.Column("cause", _str(40), nullable=False, server_default=sa.text("''")))
    op.create_index("ix_retrospective_team_created", "retrospective", ["team_id", "created_at"])
    op.create_index("ix_checklistitem_team_created", "checklistitem", ["team_id", "created_at"])
    op.create_index("ix_incident_team_decided", "incident", ["team_id", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_incident_team_decided", table_name="incident")
    op.drop_index("ix_checklistitem_team_created", table_name="checklistitem")
    op.drop_index("ix_retrospective_team_created", table_name="retrospective")
    with op.batch_alter_table("retrospective") as batch:
        batch.drop_column("cause")
    op.drop_table("job_run")
    op.drop_index("ix_incident_watch_team_due", table_name="incident_watch")
    op.drop_table("incident_watch")
    for name in ("ix_action_item_team_owner", "ix_action_item_team_done", "ix_action_item_team_due"):
        op.drop_index(name, table_name="action_item")
    op.drop_index("ix_action_item_incident_id", table_name="action_item")
    op.drop_table("action_item")
