"""The apology over the wire: a replaced draft cannot be approved, an older decision's draft is never
offered, and make it big offers exactly what the decide modal held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import AppConfig
from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.runbook.model import Decision
from bot.slack import ids
from bot.slack.views import thread
from bot.snapshot import DraftView, Snapshot
from bot.store.tables import Draft
from bot.usecases import decide, report

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


NOWHERE = "C0NOWHERE"  # a channel the workspace does not have (or the bot was never invited to)


def test_approving_a_draft_that_was_replaced_is_refused_naming_the_new_version(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    h.click(bot, ids.DRAFT_REGENERATE, h.DECIDER)
    assert [d.version for d in h.drafts(bot)] == [1, 2]

    # The Approve button carries the version on screen, and asks before approving.
    _, _, _, approve = h.rendered_control(bot, ids.DRAFT_APPROVE)
    assert approve["value"] == f"{incident_id}:2"
    confirm = approve.get("confirm") or {}
    assert confirm.get("title", {}).get("text") and "v2" in confirm.get("text", {}).get("text", "")
    assert confirm.get("confirm", {}).get("text") and confirm.get("deny", {}).get("text"), confirm

    # Someone whose Slack still shows v1 presses its Approve.
    start = len(emu.ephemerals)
    assert h.press(bot, ids.DRAFT_APPROVE, h.REVIEWER, value=f"{incident_id}:1").status == 200
    bot.settle()
    notes = h.ephemerals_since(emu, start, h.REVIEWER)
    assert len(notes) == 1 and "v2" in notes[0], notes
    incident = h.only_incident(bot)
    assert incident.status == Status.DRAFTING and not incident.draft_approved
    assert all(d.approved_by is None for d in h.drafts(bot))
    assert h.decision_steps(bot, "approve") == []

    h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)
    incident = h.only_incident(bot)
    assert incident.status == Status.SCHEDULING and incident.draft_approved
    assert [(d.version, d.approved_by) for d in h.drafts(bot)] == [(1, None), (2, h.DECIDER)]
    assert [(r.choice, r.actor) for r in h.decision_steps(bot, "approve")] == [("v2", h.DECIDER)]


def _drafting_snapshot(draft: DraftView) -> Snapshot:
    tz = ZoneInfo("Europe/London")
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    return Snapshot(
        id=7,
        ref="OOPS-7",
        title="Welcome email sent to existing customers",
        details="",
        runbook_id="email-campaign",
        runbook_name="Email campaign",
        reporter=h.REPORTER,
        channel=h.INCIDENT_CHANNEL,
        header_ts="1.000001",
        status=Status.DRAFTING,
        scale="big",
        scale_reasons=("27,463 people",),
        answers=(),
        recommendation=Decision.correct,
        recommendation_reason="customers noticed",
        decision=Decision.make_it_big,
        decided_by=h.DECIDER,
        decided_at=now,
        decision_note="",
        can_change_decision=True,
        notices=(),
        addable_departments=(),
        draft=draft,
        retro_at=None,
        retro_default=now + timedelta(days=2),
        retro=None,
        lessons=(),
        tz=tz,
        created_at=now - timedelta(hours=1),
        closed_at=None,
    )


def test_the_draft_message_offers_no_approve_for_an_older_decisions_draft() -> None:
    old = DraftView(1, "Sorry", "We are sorry.", "oops", "template", None, None, current=False)
    _, blocks = thread.draft(_drafting_snapshot(old))
    assert [b for b in blocks if b.get("type") == "actions"] == [], blocks
    assert "draft v1" not in str(blocks) and "Sorry" not in str(blocks)

    # The same draft written for the decision in force is offered, as v1.
    _, blocks = thread.draft(
        _drafting_snapshot(
            DraftView(1, "Sorry", "We are sorry.", "oops", "template", None, None, current=True)
        )
    )
    values = [
        e.get("value")
        for b in blocks
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("action_id") == ids.DRAFT_APPROVE
    ]
    assert values == ["7:1"], blocks


def test_after_a_new_decision_approve_is_only_ever_offered_for_the_newest_draft(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    incident_id = h.walk_to_drafting(bot)
    draft_message = h.posted(bot, incident_id, "draft")
    edits_before = len(draft_message.edits)

    h.click(bot, ids.CHANGE_DECISION, h.DECIDER)
    h.decide(bot, "make_it_big", h.DECIDER, note="Bigger than we thought.")

    assert [d.version for d in h.drafts(bot)] == [1, 2]
    now = emu.message(draft_message.channel, draft_message.ts)
    assert now is not None
    offered = h.approve_values(now)
    assert offered[-1] == f"{incident_id}:2", offered
    since_change = offered[edits_before + 1 :]
    assert f"{incident_id}:1" not in since_change, (
        f"after the decision changed, the draft message offered v1 for approval: {offered}"
    )
    assert None in since_change, "while v2 was written, the message should have shown no Approve"

    # And v1 pressed from an old screen is refused.
    start = len(emu.ephemerals)
    assert h.press(bot, ids.DRAFT_APPROVE, h.REVIEWER, value=f"{incident_id}:1").status == 200
    bot.settle()
    notes = h.ephemerals_since(emu, start, h.REVIEWER)
    assert len(notes) == 1 and "v2" in notes[0], notes
    assert not h.only_incident(bot).draft_approved


@pytest.mark.parametrize(
    ("offer", "expected"),
    [pytest.param(None, False, id="offer-emptied"), pytest.param("keep", True, id="default-offer-kept")],
)
def test_make_it_big_offers_exactly_what_the_decide_modal_held(
    sqlite_bot: DemoBot, config: AppConfig, offer: str | None, expected: bool
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    default = config.brand.default_offer or ""
    assert "SORRY10" in default
    assert h.report(bot).status == 200
    h.click(bot, ids.DECIDE_PREFIX + "make_it_big", h.DECIDER)
    view = emu.opened_views[-1]
    assert h.view_block(view, "offer")["element"].get("initial_value") == default
    values: dict[str, Any] = {"note": "Customers deserve something."}
    if offer != "keep":
        values["offer"] = offer  # Slack sends an emptied input as null
    assert bot.driver.submit_view(view["id"], values, user=h.DECIDER).status == 200
    bot.settle()
    incident = h.only_incident(bot)
    assert incident.offer == (default if expected else ""), incident.offer
    h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)

    [draft] = h.rows(bot, Draft)
    assert draft.approved_by == h.DECIDER
    shown = h.blocks_text(h.posted(bot, incident.id or 0, "draft"))
    assert ("SORRY10" in draft.body) is expected, draft.body
    assert ("SORRY10" in shown) is expected
    assert ("To make up for it" in draft.body) is expected, draft.body


def test_a_decision_made_without_the_modal_gets_the_brands_default_offer(
    sqlite_bot: DemoBot, config: AppConfig
) -> None:
    """A decision that was never offered the choice (made by a use case, not the modal) applies the
    brand's default offer: the draft request is built for the brand, not left without it."""
    bot = sqlite_bot
    env = bot.runtime.env()
    valid, errors = report.validate_report(
        bot.runtime.runbooks, "email-campaign", h.SUMMARY, h.DETAILS, h.ANSWERS
    )
    assert valid is not None, errors
    snap = report.open_incident(env, valid, h.REPORTER, h.INCIDENT_CHANNEL, "test:offer:report")
    decide.decide(env, snap.id, Decision.make_it_big, h.DECIDER, "test:offer:decide", note="Big.")
    bot.settle()
    assert h.only_incident(bot).offer == config.brand.default_offer
    [draft] = h.rows(bot, Draft)
    assert "SORRY10" in draft.body and "To make up for it" in draft.body, draft.body
