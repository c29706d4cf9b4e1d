"""similar past mistakes: the list each incident showed when it opened, kept with it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

A nullable JSON column on ``incident``: the precedents (and the runbook's checklist items) chosen
once when the incident opens, so every redraw, resume and recovery shows the same list. Incidents
already there keep NULL: they opened before precedents were chosen, and none is shown for them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("incident", sa.Column("precedents", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incident") as batch:
        batch.drop_column("precedents")
