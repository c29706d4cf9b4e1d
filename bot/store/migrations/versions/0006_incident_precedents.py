"""similar past mistakes: the list each incident showed when it opened, kept with it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

``incident_precedents``, one row an incident: the precedents (and the runbook's checklist items)
chosen once when it opens, as JSON, so every redraw, resume and recovery shows the same list.
Incidents already there get no row: they opened before precedents were chosen, and none is shown.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_precedents",
        sa.Column("incident_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )


def downgrade() -> None:
    op.drop_table("incident_precedents")
