"""State lives in the database: a bot stopped after scheduling the retrospective is replaced by a new
one on the same database and workspace, and the stored reminder fires there and closes the incident."""

from __future__ import annotations

import urllib.error

import pytest
from sqlalchemy import create_engine

from bot.config import AppConfig
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.db import normalise_url
from bot.store.tables import Retrospective

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


def test_a_stored_reminder_fires_in_the_next_bot_and_its_button_closes_the_incident(
    config: AppConfig, database_url: str
) -> None:
    with h.workspace_emulator(config) as emu:
        with h.serve_bot(config, database_url, emu) as first:
            incident_id = h.walk_to_retro_scheduled(first)
            first_url = first.driver.request_url
            assert h.job_ids(first.runtime.engine) == [f"retro-reminder-{incident_id}"]
        assert not h.shows(emu, ids.RETRO_START), "no reminder yet: it is days away"

        # The first bot is gone: its port no longer answers, and the job is only in the database.
        with pytest.raises(urllib.error.URLError):
            h.post_raw(first_url, b"", {})
        engine = create_engine(normalise_url(database_url))
        try:
            assert h.job_ids(engine) == [f"retro-reminder-{incident_id}"]
        finally:
            engine.dispose()

        with h.serve_bot(config, database_url, emu) as second:
            assert second.runtime.retro_scheduler.scheduled(incident_id) is not None
            h.fire_reminder(second, incident_id)
            incident = h.only_incident(second)
            assert incident.status == Status.RETRO_DUE and incident.reminded_at is not None
            reminder = h.posted(second, incident_id, "reminder")
            assert reminder.thread_ts == incident.header_ts, "the reminder belongs in the incident's thread"

            h.hold_retro(second, h.REVIEWER)

            incident = h.only_incident(second)
            assert incident.status == Status.CLOSED and incident.closed_at is not None
            [retro] = h.rows(second, Retrospective)
            assert retro.submitted_by == h.REVIEWER
            assert h.job_ids(second.runtime.engine) == []
            steps = [r.step for r in h.rows(second, h.DecisionLog)]
            assert steps.count("retro_remind") == 1 and steps[-2:] == ["retro", "retro_summary"]
            assert not emu.ui_errors, emu.ui_errors
