"""checklist items say who added them, and can be retired (by whom, when)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Items written before this migration were added by their incident's retrospective: its submitter is
who added them. An item whose retrospective cannot be found keeps an empty ``created_by``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added empty, filled, then required: new rows must say who added them (no server default).
    op.add_column("checklistitem", sa.Column("created_by", sa.String(length=40), nullable=True))
    op.add_column("checklistitem", sa.Column("retired_at", bot.store.tables.UTCDateTime(), nullable=True))
    op.add_column("checklistitem", sa.Column("retired_by", sa.String(length=40), nullable=True))
    # A correlated subquery: the same statement on SQLite and PostgreSQL.
    op.execute(
        sa.text(
            "UPDATE checklistitem SET created_by = COALESCE(("
            " SELECT retrospective.submitted_by FROM retrospective"
            " WHERE retrospective.incident_id = checklistitem.incident_id"
            " AND retrospective.team_id = checklistitem.team_id), '')"
        )
    )
    with op.batch_alter_table("checklistitem") as batch:
        batch.alter_column("created_by", existing_type=sa.String(length=40), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("checklistitem") as batch:
        batch.drop_column("retired_by")
        batch.drop_column("retired_at")
        batch.drop_column("created_by")
