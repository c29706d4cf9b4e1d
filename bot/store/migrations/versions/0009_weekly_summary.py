"""weekly summary: indexes to read a week's approved apologies and recorded watch figures

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25

The weekly summary reads the apologies approved in a week (draft.approved_at) and the figures
recorded after apologies in a week (incident_watch.recorded_at) by range, never by a scan.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_draft_team_approved", "draft", ["team_id", "approved_at"])
    op.create_index("ix_incident_watch_team_recorded", "incident_watch", ["team_id", "recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_incident_watch_team_recorded", table_name="incident_watch")
    op.drop_index("ix_draft_team_approved", table_name="draft")
