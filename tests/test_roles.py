"""Roles and the approval policy (app.yaml ``roles:`` and ``approvals:``), over the wire: a click by
someone without the role is answered to them alone and changes nothing; the reporter does not
approve alone; several approvals are counted per draft version; a click from a channel the incident
was never posted to is refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import ValidationError

import tests.slack_helpers as h
from bot.config import AppConfig, Approvals, Roles
from bot.demo import DemoBot, demo_bot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Draft, DraftApproval
from bot.usecases import apology, decide, policy
from bot.usecases.policy import Act
from bot.usecases.ports import UserError

SUPPORT, FINANCE = "C0SUPPORT", "C0FINANCE"  # the runbook tells support, not finance (slack_helpers)


@contextmanager
def _bot(config: AppConfig, database_url: str, **update: Any) -> Iterator[DemoBot]:
    with demo_bot(config.model_copy(update=update), database_url) as bot:
        yield bot


def _told(bot: DemoBot, start: int, user: str) -> str:
    return " | ".join(h.ephemerals_since(bot.emulator, start, user))


def _approvals(bot: DemoBot) -> list[tuple[int, str]]:
    return sorted((a.draft_version, a.user) for a in h.rows(bot, DraftApproval))


def _edit(bot: DemoBot, user: str, subject: str) -> None:
    h.click(bot, ids.DRAFT_EDIT, user)
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.EDIT_DRAFT_VIEW
    body = "You got our welcome email by mistake; we fixed the list."
    assert bot.driver.submit_view(view["id"], {"subject": subject, "body": body}, user=user).status == 200
    bot.settle()


# ------------------------------------------------------------------------------------- the rule alone


class _Incident:
    reporter = h.REPORTER


@pytest.mark.parametrize(
    ("roles", "approvals", "user", "so_far", "refused"),
    [
        (Roles(), Approvals(), h.DECIDER, (), None),
        (Roles(), Approvals(), h.REPORTER, (), "you reported it"),
        (Roles(), Approvals(reporter_may_approve=True), h.REPORTER, (), None),
        (Roles(), Approvals(required=2), h.REPORTER, (), None),  # one of two: never alone
        (Roles(), Approvals(required=2), h.REPORTER, (h.DECIDER,), None),
        (Roles(approve=(h.REVIEWER,)), Approvals(), h.DECIDER, (), f"Only <@{h.REVIEWER}> may approve"),
        (Roles(approve=(h.REVIEWER, h.DECIDER)), Approvals(), h.DECIDER, (), None),
        (Roles(approve=(h.REVIEWER, h.REPORTER)), Approvals(), h.REPORTER, (), "you reported it"),
    ],
)
def test_who_may_approve(
    roles: Roles, approvals: Approvals, user: str, so_far: tuple[str, ...], refused: str | None
) -> None:
    refusal = policy.may(roles, Act.APPROVE, user, _Incident(), so_far, approvals)
    if refused is None:
        assert refusal is None, refusal
    else:
        assert refusal is not None and refused in str(refusal), refusal


def test_a_refusal_names_whom_to_ask() -> None:
    roles = Roles(decide=(h.DECIDER, h.REVIEWER))
    refusal = policy.may(roles, Act.DECIDE, h.REPORTER, _Incident())
    assert str(refusal) == (
        f"Only <@{h.DECIDER}> or <@{h.REVIEWER}> may decide what to do about mistakes here; ask one of them."
    )
    assert policy.may(roles, Act.DECIDE, h.REVIEWER, _Incident()) is None
    assert policy.may(roles, Act.CLOSE, h.REPORTER, _Incident()) is None, "an absent role means anyone"


def test_a_request_that_names_nobody_may_do_nothing() -> None:
    for user in ("", "nobody", "<!channel>"):
        for action in Act:
            refusal = policy.may(Roles(), action, user, _Incident())
            assert refusal is not None and "cannot tell who you are" in str(refusal), (user, action)
    assert policy.may(Roles(), Act.DECIDE, h.DECIDER, _Incident()) is None


def test_more_approvals_required_than_approvers_listed_is_refused_at_load(config: AppConfig) -> None:
    with pytest.raises(ValidationError, match="no apology could ever be approved"):
        AppConfig.model_validate(
            {
                **config.model_dump(exclude={"base_dir"}),
                "roles": {"approve": [h.REVIEWER]},
                "approvals": {"required": 2},
            }
        )
    two = {"roles": {"approve": [h.REVIEWER, h.DECIDER]}, "approvals": {"required": 2}}
    assert (
        AppConfig.model_validate({**config.model_dump(exclude={"base_dir"}), **two}).approvals.required == 2
    )


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("@support-leads", "user groups are not supported yet"),
        ("S0LEADS", "user groups are not supported yet"),
        ("marc", "is not a Slack user id"),
    ],
)
def test_roles_accept_only_user_ids(entry: str, said: str) -> None:
    with pytest.raises(ValidationError, match=said):
        Roles(approve=(h.REVIEWER, entry))
    assert Roles(approve=("U0JO", "W0ENTERPRISE")).approve == ("U0JO", "W0ENTERPRISE")
    with pytest.raises(ValidationError):
        Approvals(required=6)


# ------------------------------------------------------------------------------------- over the wire


def test_each_role_refuses_others_and_lets_its_people_act(config: AppConfig, database_url: str) -> None:
    roles = Roles(decide=(h.DECIDER,), approve=(h.REVIEWER,), close=(h.DECIDER,))
    with _bot(config, database_url, roles=roles) as bot:
        emu = bot.emulator
        assert h.report(bot).status == 200

        start, views = len(emu.ephemerals), len(emu.opened_views)
        h.click(bot, ids.DECIDE_PREFIX + "correct", h.REVIEWER)
        assert len(emu.opened_views) == views, "the decision modal opened for someone who may not decide"
        assert f"Only <@{h.DECIDER}> may decide" in _told(bot, start, h.REVIEWER)
        assert h.only_incident(bot).status == Status.DECIDING
        h.decide(bot, "correct", h.DECIDER)
        incident = h.only_incident(bot)
        assert incident.status == Status.DRAFTING and incident.id is not None
        env = bot.runtime.env(bot.runtime.team_id)
        with pytest.raises(UserError, match="may decide"):  # the use case itself, as a crafted call would
            decide.change_decision(env, incident.id, h.REVIEWER, "crafted-change")

        start = len(emu.ephemerals)
        h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)
        assert f"Only <@{h.REVIEWER}> may approve apologies here; ask them." in _told(bot, start, h.DECIDER)
        assert h.only_incident(bot).status == Status.DRAFTING and _approvals(bot) == []
        h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
        assert h.only_incident(bot).draft_approved

        h.click(bot, ids.RETRO_SCHEDULE, h.REPORTER)  # scheduling has no role: anyone
        assert h.only_incident(bot).status == Status.RETRO_SCHEDULED
        start, views = len(emu.ephemerals), len(emu.opened_views)
        h.click(bot, ids.RETRO_HOLD, h.REVIEWER)
        assert len(emu.opened_views) == views
        assert f"Only <@{h.DECIDER}> may close" in _told(bot, start, h.REVIEWER)
        h.click(bot, ids.RETRO_HOLD, h.DECIDER)
        view = emu.opened_views[-1]
        assert view["callback_id"] == ids.RETRO_VIEW
        crafted = bot.driver.submit_view(view["id"], h.RETRO_VALUES, user=h.REVIEWER)
        bot.settle()
        assert "may close" in crafted.body_text, "the modal should keep the text and say who may close"
        assert h.only_incident(bot).status == Status.RETRO_SCHEDULED
        assert bot.driver.submit_view(view["id"], h.RETRO_VALUES, user=h.DECIDER).status == 200
        bot.settle()
        assert h.only_incident(bot).status == Status.CLOSED


def test_the_reporter_cannot_approve_alone_by_default(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    incident_id = h.walk_to_drafting(bot)
    start = len(bot.emulator.ephemerals)
    h.click(bot, ids.DRAFT_APPROVE, h.REPORTER)
    assert "Someone else must approve this apology: you reported it" in _told(bot, start, h.REPORTER)
    assert h.only_incident(bot).status == Status.DRAFTING and _approvals(bot) == []
    env = bot.runtime.env(bot.runtime.team_id)
    with pytest.raises(UserError, match="you reported it"):
        apology.approve(env, incident_id, h.REPORTER, "crafted-approve")
    h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
    [draft] = h.drafts(bot)
    assert h.only_incident(bot).draft_approved and draft.approved_by == h.REVIEWER


def test_the_reporter_may_approve_when_the_team_allows_it(config: AppConfig, sqlite_url: str) -> None:
    with _bot(config, sqlite_url, approvals=Approvals(reporter_may_approve=True)) as bot:
        h.walk_to_drafting(bot)
        h.click(bot, ids.DRAFT_APPROVE, h.REPORTER)
        [draft] = h.drafts(bot)
        assert h.only_incident(bot).draft_approved and draft.approved_by == h.REPORTER


def test_two_approvals_need_two_people_and_a_second_click_counts_once(
    config: AppConfig, database_url: str
) -> None:
    with _bot(config, database_url, approvals=Approvals(required=2)) as bot:
        incident_id = h.walk_to_drafting(bot)
        h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
        h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
        assert _approvals(bot) == [(1, h.REVIEWER)]
        assert h.only_incident(bot).status == Status.DRAFTING
        [draft] = h.drafts(bot)
        assert draft.approved_by is None
        shown = h.blocks_text(h.posted(bot, incident_id, "draft"))
        assert f"Approved by <@{h.REVIEWER}> (1 of 2)" in shown, shown
        assert h.has_element(h.posted(bot, incident_id, "draft"), ids.DRAFT_APPROVE)

        h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)
        assert _approvals(bot) == sorted([(1, h.REVIEWER), (1, h.DECIDER)])
        [draft] = h.drafts(bot)
        incident = h.only_incident(bot)
        assert incident.draft_approved and incident.status == Status.SCHEDULING
        assert draft.approved_by == h.DECIDER and draft.approved_at is not None
        shown = h.blocks_text(h.posted(bot, incident_id, "draft"))
        assert f"Approved by <@{h.REVIEWER}>, <@{h.DECIDER}> on" in shown, shown


def test_an_edit_after_an_approval_needs_approving_again(config: AppConfig, sqlite_url: str) -> None:
    with _bot(config, sqlite_url, approvals=Approvals(required=2)) as bot:
        incident_id = h.walk_to_drafting(bot)
        h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
        _edit(bot, h.REVIEWER, "We welcomed you twice, sorry")
        assert [d.version for d in h.drafts(bot)] == [1, 2]
        shown = h.blocks_text(h.posted(bot, incident_id, "draft"))
        assert "draft v2" in shown and "1 of 2" not in shown, shown

        h.click(bot, ids.DRAFT_APPROVE, h.DECIDER)
        assert h.only_incident(bot).status == Status.DRAFTING, "v1's approval counted for v2"
        assert f"Approved by <@{h.DECIDER}> (1 of 2)" in h.blocks_text(h.posted(bot, incident_id, "draft"))
        h.click(bot, ids.DRAFT_APPROVE, h.REVIEWER)
        assert h.only_incident(bot).draft_approved
        approved = [(d.version, d.approved_by) for d in h.rows(bot, Draft)]
        assert approved == [(1, None), (2, h.REVIEWER)]
        assert _approvals(bot) == sorted([(1, h.REVIEWER), (2, h.DECIDER), (2, h.REVIEWER)])


def _approve_from(bot: DemoBot, channel: str, name: str, user: str) -> None:
    """The Approve button as drawn in the thread, sent as if clicked in another channel."""
    message, version, block, element = h.rendered_control(bot, ids.DRAFT_APPROVE)
    payload = h.block_actions_payload(bot, message, version, block, element, user)
    payload["channel"] = {"id": channel, "name": name}
    payload["container"]["channel_id"] = channel
    assert bot.driver.send(h.payload_body(payload)).ok
    bot.settle()


def test_an_approval_sent_from_another_channel_changes_nothing(live_bot: DemoBot) -> None:
    bot = live_bot
    incident_id = h.walk_to_drafting(bot)
    before = h.db_dump(bot.runtime.engine)
    start = len(bot.emulator.ephemerals)
    _approve_from(bot, FINANCE, "finance", h.REVIEWER)
    assert h.db_dump(bot.runtime.engine) == before, "a click from another channel changed the history"
    assert f"not from OOPS-{incident_id}'s thread" in _told(bot, start, h.REVIEWER)

    # Support was told, but a notice carries no button, and a channel's name is the payload's word:
    # a click claiming to be from #support is refused too.
    _approve_from(bot, SUPPORT, "support", h.REVIEWER)
    _approve_from(bot, "C0EVIL", "support", h.REVIEWER)
    assert h.db_dump(bot.runtime.engine) == before
    _approve_from(bot, h.INCIDENT_CHANNEL, "oops", h.REVIEWER)  # from its thread: approved
    assert h.only_incident(bot).draft_approved


def test_crafted_approvals_that_bend_where_they_came_from_change_nothing(sqlite_bot: DemoBot) -> None:
    """A reviewer's crafted clicks: no channel but a view, any D… id, a view's metadata naming another
    incident than the button, a value naming none while the block id names one. All refused."""
    bot = sqlite_bot
    h.walk_to_drafting(bot)
    before = h.db_dump(bot.runtime.engine)
    message, version, block, element = h.rendered_control(bot, ids.DRAFT_APPROVE)

    def send(change: Callable[[dict[str, Any]], None]) -> None:
        payload = h.block_actions_payload(bot, message, version, block, element, h.REVIEWER)
        change(payload)
        assert bot.driver.send(h.payload_body(payload)).ok
        bot.settle()

    def no_channel(p: dict[str, Any]) -> None:
        p.pop("channel", None)
        p["container"].pop("channel_id", None)
        p["view"] = {"id": "V0FAKE", "type": "home", "callback_id": ""}

    def any_dm(p: dict[str, Any]) -> None:
        p["channel"] = {"id": "D0WHATEVER", "name": "directmessage"}
        p["container"]["channel_id"] = "D0WHATEVER"

    def view_elsewhere(p: dict[str, Any]) -> None:
        p["channel"] = {"id": FINANCE, "name": "finance"}
        p["container"]["channel_id"] = FINANCE
        p["view"] = {
            "id": "V0FAKE",
            "type": "modal",
            "callback_id": "x",
            "private_metadata": '{"incident": 2}',
        }

    def value_names_none(p: dict[str, Any]) -> None:
        p["channel"] = {"id": "C0EVIL", "name": "evil"}
        p["container"]["channel_id"] = "C0EVIL"
        p["actions"][0]["value"] = "nope"
        p["actions"][0]["block_id"] = f"{p['actions'][0].get('block_id') or 'draft'}:1"

    for change in (no_channel, any_dm, view_elsewhere, value_names_none):
        send(change)
        assert h.db_dump(bot.runtime.engine) == before, change.__name__
    assert not h.only_incident(bot).draft_approved
