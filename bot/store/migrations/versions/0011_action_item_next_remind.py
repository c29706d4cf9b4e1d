"""action item next remind: the day an open item's owner is next reminded, indexed

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25

The minute sweep read every open overdue item to find the few due (it grew with the history). Each
item now carries the day of its next reminder, kept in step when it is created, reminded, snoozed or
done (NULL once done), and the sweep reads ``next_remind_on <= day`` on (team_id, next_remind_on).
Existing rows are filled in here, in Python over the open rows, so it runs the same on SQLite and
PostgreSQL.
"""

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As bot.store.actions.REPEAT_EVERY when written; a migration keeps its own copy of the rule.
REPEAT_EVERY = timedelta(days=7)
BATCH = 1000

_item = sa.table(
    "action_item",
    sa.column("id", sa.Integer()),
    sa.column("due", sa.Date()),
    sa.column("done_at", sa.DateTime()),
    sa.column("snoozed_until", sa.Date()),
    sa.column("reminded_on", sa.Date()),
    sa.column("next_remind_on", sa.Date()),
)


def upgrade() -> None:
    with op.batch_alter_table("action_item") as batch:
        batch.add_column(sa.Column("next_remind_on", sa.Date(), nullable=True))
    op.create_index("ix_action_item_team_next_remind", "action_item", ["team_id", "next_remind_on"])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """Open rows only (done ones stay NULL): snoozed → that day; reminded → a week after; else due."""
    last = 0
    while True:
        rows = conn.execute(
            sa.select(_item.c.id, _item.c.due, _item.c.snoozed_until, _item.c.reminded_on)
            .where(_item.c.done_at.is_(None), _item.c.id > last)
            .order_by(_item.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"item": row.id, "next": _next(row.due, row.snoozed_until, row.reminded_on)} for row in rows
        ]
        conn.execute(
            _item.update()
            .where(_item.c.id == sa.bindparam("item"))
            .values(next_remind_on=sa.bindparam("next")),
            values,
        )
        last = rows[-1].id


def _next(due: date, snoozed_until: date | None, reminded_on: date | None) -> date:
    if snoozed_until is not None:
        return snoozed_until
    if reminded_on is not None:
        return reminded_on + REPEAT_EVERY
    return due


def downgrade() -> None:
    op.drop_index("ix_action_item_team_next_remind", table_name="action_item")
    with op.batch_alter_table("action_item") as batch:
        batch.drop_column("next_remind_on")
