"""Every incident's search words, recomputed from its rows, for the migrations that (re)build the index.

Read with plain SQL a batch at a time (a migration runs against the schema of its day, not the models),
and made by bot.store.search_text.document, the normaliser the bot writes with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from bot.store.search_text import document

BATCH = 1000


def documents(bind: sa.Connection) -> Iterator[list[dict[str, Any]]]:
    """Batches of ``{"id", "team", "title", "words"}``, one per incident, in id order."""
    last = 0
    while True:
        incidents = bind.execute(
            sa.text(
                "SELECT id, team_id, title, details, runbook_id FROM incident WHERE id > :last"
                " ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not incidents:
            return
        span = {"low": incidents[0].id, "high": incidents[-1].id}
        lessons: dict[int, list[str]] = defaultdict(list)
        for row in bind.execute(
            sa.text(
                "SELECT incident_id, what_went_wrong, root_cause, what_we_change FROM retrospective"
                " WHERE incident_id BETWEEN :low AND :high ORDER BY id"
            ),
            span,
        ):
            lessons[row.incident_id] += [row.what_went_wrong, row.root_cause, row.what_we_change]
        for row in bind.execute(
            sa.text(
                "SELECT incident_id, text FROM checklistitem"
                " WHERE incident_id BETWEEN :low AND :high ORDER BY id"
            ),
            span,
        ):
            lessons[row.incident_id].append(row.text)
        yield [
            {"id": i.id, "team": i.team_id, "title": title, "words": body}
            for i in incidents
            for title, body in [document(i.title, i.details, i.runbook_id, lessons[i.id])]
        ]
        last = span["high"]
