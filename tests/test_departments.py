"""Departments: a channel that refuses is shown as not delivered and stays on offer; picked again, it is
told once."""

from __future__ import annotations

from bot.config import AppConfig, Department
from bot.demo import DemoBot
from bot.slack import ids
from bot.store.tables import Notice

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


def _departments_state(bot: DemoBot, incident_id: int) -> tuple[str, set[str]]:
    """The Told message's text and the departments its select still offers."""
    message = h.posted(bot, incident_id, "departments")
    offered = {
        o.get("value")
        for b in message.blocks
        for e in h.elements(b)
        if e.get("action_id") == ids.ADD_DEPARTMENT
        for o in e.get("options") or []
    }
    return h.blocks_text(message), offered


def _pick_department(bot: DemoBot, department: str) -> None:
    message = h.button_message(bot, ids.ADD_DEPARTMENT)
    ack = bot.driver.select(message.channel, message.ts, ids.ADD_DEPARTMENT, department, user=h.DECIDER)
    assert ack.status == 200, ack.body_text
    bot.settle()


def test_a_department_whose_channel_does_not_exist_is_shown_untold_and_stays_on_offer(
    config: AppConfig, sqlite_url: str
) -> None:
    departments = {**config.departments, "nowhere": Department(label="Nowhere", channel="#nowhere")}
    with_nowhere = config.model_copy(update={"departments": departments})
    # The workspace is the team's usual one: it has no #nowhere.
    with h.workspace_emulator(config) as emu, h.serve_bot(with_nowhere, sqlite_url, emu) as bot:
        assert "nowhere" not in emu.channels.values()
        assert h.report(bot).status == 200
        incident_id = h.only_incident(bot).id or 0

        _pick_department(bot, "nowhere")
        [notice] = h.rows(bot, Notice, department="nowhere")
        assert notice.ts is None and notice.notified_by == h.DECIDER
        assert notice.error == "channel_not_found", "Slack's error code is kept, never its raw text"
        text, offered = _departments_state(bot, incident_id)
        assert "⚠️ *Nowhere*" in text and "*not delivered* (channel_not_found)" in text, text
        told = sum(1 for n in h.rows(bot, Notice) if n.ts)
        assert f"({told} told, 1 not delivered)" in text, text
        assert "nowhere" in offered, offered
        assert all("http" not in r.note for r in h.rows(bot, h.DecisionLog)), "no API URL in the log"

        # Picked again: tried again (Slack is asked again), still untold, still one row.
        start = len(emu.ephemerals)
        _pick_department(bot, "nowhere")
        attempts = [c for c in emu.calls_to("chat.postMessage") if c.args.get("channel") == "#nowhere"]
        assert len(attempts) == 2 and not any(c.ok for c in attempts)
        assert h.ephemerals_since(emu, start, h.DECIDER) == [], "a retry is not 'already knows'"
        [notice] = h.rows(bot, Notice, department="nowhere")
        assert notice.ts is None
        text, offered = _departments_state(bot, incident_id)
        assert "⚠️ *Nowhere*" in text and "nowhere" in offered
        tries = [r for r in h.decision_steps(bot, "notify") if r.choice == "nowhere"]
        assert len(tries) == 2 and all(
            r.note == "not delivered to #nowhere: channel_not_found" for r in tries
        ), tries
        # The emulator cannot create a channel later; the retry that succeeds is the next test.


def test_a_department_slack_refused_once_can_be_picked_again_and_is_then_told_once(
    sqlite_bot: DemoBot,
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    assert h.report(bot).status == 200
    incident_id = h.only_incident(bot).id or 0
    # #finance refuses the first notice (as a channel the bot is not in yet would), then accepts.
    emu.fail_next("chat.postMessage", status=200, error="channel_not_found", times=1)
    _pick_department(bot, "finance")
    [notice] = h.rows(bot, Notice, department="finance")
    assert notice.ts is None
    text, offered = _departments_state(bot, incident_id)
    assert "⚠️ *Finance*" in text and "finance" in offered, (text, offered)
    assert emu.messages("#finance") == []

    _pick_department(bot, "finance")
    [notice] = h.rows(bot, Notice, department="finance")
    assert notice.ts is not None and notice.notified_by == h.DECIDER
    [posted] = emu.messages("#finance")
    assert posted.ts == notice.ts and "OOPS-1" in h.blocks_text(posted)
    text, offered = _departments_state(bot, incident_id)
    assert "⚠️" not in text and "*Finance*" in text, text
    assert "finance" not in offered, offered
