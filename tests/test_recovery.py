"""Nothing posted twice, nothing left half-done.

Each post's intent is recorded before it is made and the post carries its incident and part as Slack
message metadata, so a post whose outcome was lost (the bot killed between posting and saving, or
Slack answering 5xx after posting) is found again instead of made twice; and whatever a stopped bot
left half-done is finished when the next one starts, not only when someone types `/oops resume`.
The states a crash leaves are written into the database as the crash would leave them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

import tests.slack_helpers as h
from bot.config import AppConfig
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Draft, Post


def _lose(engine: Engine, incident_id: int, kind: str) -> None:
    """What a kill between posting ``kind`` and saving its reference leaves: an intent with no ts."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE post SET ts = NULL WHERE incident_id = :i AND kind = :k"),
            {"i": incident_id, "k": kind},
        )
        if kind == "header":
            conn.execute(text("UPDATE incident SET header_ts = NULL WHERE id = :i"), {"i": incident_id})


def _age(engine: Engine, incident_id: int) -> None:
    """The bot was down a while: the incident was last touched an hour ago."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE incident SET updated_at = :t WHERE id = :i"),
            {"t": datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1), "i": incident_id},
        )


def _top_level(emu: h.SlackEmulator) -> list[h.Message]:
    return emu.messages(h.INCIDENT_CHANNEL)


def test_a_header_whose_reference_was_lost_is_found_on_resume_not_posted_again(
    config: AppConfig, database_url: str
) -> None:
    with h.workspace_emulator(config) as emu, h.serve_bot(config, database_url, emu) as bot:
        h.report(bot)
        incident = h.only_incident(bot)
        assert incident.id is not None
        [header] = _top_level(emu)
        replies = len(emu.thread(h.INCIDENT_CHANNEL, header.ts))
        _lose(bot.runtime.engine, incident.id, "header")
        _lose(bot.runtime.engine, incident.id, "decision")

        bot.driver.slash("/oops", f"resume OOPS-{incident.id}", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
        bot.settle()

        assert [m.ts for m in _top_level(emu)] == [header.ts], "a second header was posted"
        assert len(emu.thread(h.INCIDENT_CHANNEL, header.ts)) == replies, "a thread part was posted twice"
        assert h.only_incident(bot).header_ts == header.ts
        assert all(p.ts for p in h.rows(bot, Post)), "every intent is settled"
        assert emu.calls_to("conversations.history") and emu.calls_to("conversations.replies")


def test_a_post_slack_made_but_answered_500_is_not_made_twice(config: AppConfig, database_url: str) -> None:
    with h.workspace_emulator(config) as emu, h.serve_bot(config, database_url, emu) as bot:
        emu.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)
        h.report(bot)
        [header] = _top_level(emu)
        incident = h.only_incident(bot)
        assert incident.header_ts == header.ts
        thread = emu.thread(h.INCIDENT_CHANNEL, header.ts)
        kinds = [m.metadata["event_payload"]["part"] for m in thread if m.metadata]
        assert sorted(kinds) == sorted(set(kinds)), f"a part was posted twice: {kinds}"
        assert h.shows(emu, ids.DECIDE_PREFIX + "correct")
        assert not emu.ui_errors, emu.ui_errors


def test_an_incident_left_drafting_without_a_draft_is_finished_when_the_bot_starts(
    config: AppConfig, database_url: str
) -> None:
    with h.workspace_emulator(config) as emu:
        with h.serve_bot(config, database_url, emu) as first:
            incident_id = h.walk_to_drafting(first)
            engine_url = database_url
            # The bot stopped while the model was writing: the decision is saved, the draft never was.
            with first.runtime.engine.begin() as conn:
                conn.execute(text("DELETE FROM draft WHERE incident_id = :i"), {"i": incident_id})
            assert h.rows(first, Draft) == []
            _age(first.runtime.engine, incident_id)
        with h.serve_bot(config, engine_url, emu) as second:
            second.runtime.wait_idle(timeout=30)  # recovery runs in the background at start
            [draft] = h.rows(second, Draft)
            assert draft.version == 1 and draft.author == "oops"
            incident = h.only_incident(second)
            assert incident.status == Status.DRAFTING
            shown = h.posted(second, incident_id, "draft")
            assert h.has_element(shown, ids.DRAFT_APPROVE), "the recovered draft can be approved"
            assert not emu.ui_errors, emu.ui_errors


def test_a_report_saved_but_never_posted_is_posted_when_the_bot_starts(
    config: AppConfig, database_url: str
) -> None:
    with h.workspace_emulator(config) as emu:
        emu.fail_next("chat.postMessage", status=200, error="channel_not_found")
        with h.serve_bot(config, database_url, emu) as first:
            h.report(first)
            assert _top_level(emu) == [], "Slack refused the header"
            incident = h.only_incident(first)
            assert incident.header_ts is None and incident.id is not None
            _age(first.runtime.engine, incident.id)
        with h.serve_bot(config, database_url, emu) as second:
            second.runtime.wait_idle(timeout=30)
            [header] = _top_level(emu)
            assert h.only_incident(second).header_ts == header.ts
            assert h.shows(emu, ids.REASSESS)
            assert all(p.ts for p in h.rows(second, Post))


def test_an_incident_changed_a_moment_ago_is_left_to_the_process_working_on_it(
    config: AppConfig, database_url: str
) -> None:
    """Another process may be posting it right now: recovery at start must not post it a second time."""
    with h.workspace_emulator(config) as emu:
        emu.fail_next("chat.postMessage", status=200, error="channel_not_found")
        with h.serve_bot(config, database_url, emu) as first:
            h.report(first)
            assert h.only_incident(first).header_ts is None
        with h.serve_bot(config, database_url, emu) as second:
            second.runtime.wait_idle(timeout=30)
            assert _top_level(emu) == []
            assert h.only_incident(second).header_ts is None


def test_a_post_slack_may_have_made_is_not_made_again_when_slack_will_not_say(
    config: AppConfig, database_url: str
) -> None:
    """A 500 after posting, then the look-up refused for a moment: the header is not posted blind.
    The intent stays; resume looks again and finds the one header."""
    with h.workspace_emulator(config) as emu, h.serve_bot(config, database_url, emu) as bot:
        emu.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)
        emu.fail_next("conversations.history", status=503, error="service_unavailable", times=3)
        h.report(bot)
        assert len(_top_level(emu)) == 1
        incident = h.only_incident(bot)
        assert incident.header_ts is None, "nobody knows yet where the header went"
        bot.driver.slash("/oops", f"resume OOPS-{incident.id}", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
        bot.settle()
        [header] = _top_level(emu)
        assert h.only_incident(bot).header_ts == header.ts
        assert h.shows(emu, ids.DECIDE_PREFIX + "correct")


def test_an_answer_slack_says_may_have_posted_is_looked_for_before_resume_posts(
    config: AppConfig, database_url: str
) -> None:
    """Slack's 200 'fatal_error' may come after the message was made: it is not taken as a refusal."""
    with h.workspace_emulator(config) as emu, h.serve_bot(config, database_url, emu) as bot:
        emu.fail_next("chat.postMessage", status=200, error="fatal_error", after_effect=True)
        h.report(bot)
        incident = h.only_incident(bot)
        bot.driver.slash("/oops", f"resume OOPS-{incident.id}", user=h.REPORTER, channel=h.INCIDENT_CHANNEL)
        bot.settle()
        assert len(_top_level(emu)) == 1, "a second header"
        assert h.only_incident(bot).header_ts == _top_level(emu)[0].ts


def test_an_edit_slack_refuses_does_not_hold_back_the_reminder(config: AppConfig, sqlite_url: str) -> None:
    """Someone deleted the header: its redraw fails, and the reminder is posted all the same, once."""
    with h.workspace_emulator(config) as emu, h.serve_bot(config, sqlite_url, emu) as bot:
        incident_id = h.walk_to_retro_scheduled(bot)
        emu.fail_next("chat.update", status=200, error="message_not_found", times=50)
        outcome = h.run_reminder_job(bot, incident_id)
        bot.settle()
        assert outcome.exception is None
        assert h.shows(emu, ids.RETRO_START)
        assert h.only_incident(bot).status == Status.RETRO_DUE
        assert not [m for m in h.all_messages(emu) if "could not post" in (m.text or "")]


def test_a_process_that_restarts_beside_the_lease_holder_recovers_what_it_left(
    config: AppConfig, database_url: str
) -> None:
    """Recovery is not the lease holder's job alone: a second process, restarted while the first one
    keeps the lease, finishes the incident it left half-done, and posts nothing twice."""
    with h.workspace_emulator(config) as emu, h.serve_bot(config, database_url, emu) as holder:
        assert holder.runtime.runs_reminders
        with h.serve_bot(config, database_url, emu) as follower:
            assert not follower.runtime.runs_reminders
            h.report(follower)
            incident = h.only_incident(follower)
            assert incident.id is not None
            [header] = _top_level(emu)
            replies = len(emu.thread(h.INCIDENT_CHANNEL, header.ts))
        # It stopped between posting the decision prompt and saving where it went.
        _lose(holder.runtime.engine, incident.id, "decision")
        _age(holder.runtime.engine, incident.id)
        with h.serve_bot(config, database_url, emu) as restarted:
            assert not restarted.runtime.runs_reminders
            restarted.runtime.wait_idle(timeout=30)
            assert all(p.ts for p in h.rows(restarted, Post)), "the follower settled the intent"
            assert len(emu.thread(h.INCIDENT_CHANNEL, header.ts)) == replies, "a part was posted twice"
            assert [m.ts for m in _top_level(emu)] == [header.ts]
