"""history search in three languages: Italian and German stems and umlauts typed plainly; two indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

bot.store.search_text now indexes each word under its English, Italian and German stems (so
`consegnati` finds `consegnato`) and a word with an umlaut also as typed without one (`oe` for `ö`):
every incident's words are written again (SQLite's triggers and PostgreSQL's generated column follow).
Two indexes keep pages cheap on a long history: incidents of a workspace newest first (search by
filters alone, the Home tab) and a workspace's newest checklist items over every runbook.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.search_backfill import documents

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incident_team_created", "incident", ["team_id", "created_at"], unique=False)
    op.create_index("ix_checklistitem_team_id", "checklistitem", ["team_id", "id"], unique=False)
    _rewrite_words()


def _rewrite_words() -> None:
    bind = op.get_bind()
    for batch in documents(bind):
        bind.execute(
            sa.text(
                "UPDATE incident_search SET title_text = :title, search_text = :words"
                " WHERE incident_id = :id AND (title_text <> :title OR search_text <> :words)"
            ),
            batch,
        )


def downgrade() -> None:
    # The words stay as they are: the older bot's queries still find them (its English stems are there).
    op.drop_index("ix_checklistitem_team_id", table_name="checklistitem")
    op.drop_index("ix_incident_team_created", table_name="incident")
