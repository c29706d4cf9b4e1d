"""every row knows its Slack workspace; posts record intent; notices keep Slack's error code

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Rows written before this migration belong to the one workspace the bot served. The runtime passes
that workspace's team id (from auth.test) as ``config.attributes["team_id"]``; without it (a
migration run offline) they keep an empty team id, and the bot adopts them when it next starts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("incident", "post", "notice", "draft", "retrospective", "checklistitem", "decisionlog")


def upgrade() -> None:
    team = str(context.config.attributes.get("team_id") or "")
    for table in TABLES:
        # Added empty, filled, then required: new rows must say their workspace (no default).
        op.add_column(table, sa.Column("team_id", sa.String(length=32), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET team_id = :team").bindparams(team=team))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("team_id", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("post") as batch:
        batch.alter_column("ts", existing_type=sa.String(length=40), nullable=True)
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("error", sa.String(length=60), nullable=True))
    # A notice recorded as undelivered before this migration: its cause was kept in the log only.
    op.execute(sa.text("UPDATE notice SET error = 'not_delivered' WHERE ts IS NULL"))
    op.create_index("ix_incident_team_status", "incident", ["team_id", "status"])
    op.create_index("ix_checklistitem_team_runbook", "checklistitem", ["team_id", "runbook_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_checklistitem_team_runbook", table_name="checklistitem")
    op.drop_index("ix_incident_team_status", table_name="incident")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("error")
    op.execute(sa.text("DELETE FROM post WHERE ts IS NULL"))
    with op.batch_alter_table("post") as batch:
        batch.alter_column("ts", existing_type=sa.String(length=40), nullable=False)
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("team_id")
