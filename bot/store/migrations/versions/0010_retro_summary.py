"""retro summary: the retrospective's summary as posted in the thread

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

The summary is written once (by the template, or by a chat model) and kept, so every redraw of the
thread (an action item done, a resume) shows the same words.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("retrospective") as batch:
        batch.add_column(
            sa.Column(
                "summary",
                sqlmodel.sql.sqltypes.AutoString(length=3000),
                nullable=False,
                server_default=sa.text("''"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("retrospective") as batch:
        batch.drop_column("summary")
