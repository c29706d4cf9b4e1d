"""Who may do what on an incident (app.yaml ``roles:`` and ``approvals:``), as one pure rule.

The use cases ask it before they change anything, so a crafted payload cannot skip a role that the
buttons only hide. It answers with a sentence for the person who clicked, or None when allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.config import AppConfig, Approvals, Roles
from bot.usecases.ports import UserError

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # a Slack user id, as Slack writes them


class Act(StrEnum):
    DECIDE = "decide"
    APPROVE = "approve"
    CLOSE = "close"


# What each role lets a person do, in the refusal's words.
_DOING = {
    Act.DECIDE: "decide what to do about mistakes",
    Act.APPROVE: "approve apologies",
    Act.CLOSE: "close incidents with their retrospective",
}


class IncidentLike(Protocol):
    @property
    def reporter(self) -> str: ...


@dataclass(frozen=True)
class Refusal:
    """Why a person may not act, in a sentence that says whom to ask."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def _names(users: Sequence[str]) -> str:
    mentions = [f"<@{user}>" for user in users]
    if len(mentions) == 1:
        return mentions[0]
    return ", ".join(mentions[:-1]) + " or " + mentions[-1]


def may(
    roles: Roles,
    action: Act,
    user: str,
    incident: IncidentLike,
    approvals_so_far: Sequence[str] = (),
    approvals: Approvals | None = None,
) -> Refusal | None:
    """None when ``user`` may do ``action`` on ``incident`` now, else the Refusal to show them.

    For APPROVE, the reporter may not approve alone unless ``approvals.reporter_may_approve``: with
    one approval required theirs is refused; with two or more it counts as one of them, since the
    others must be different people. ``approvals_so_far`` (who approved the version in hand) is
    given for the count; today's rule does not depend on it.
    """
    if not USER_ID.match(user or ""):  # a crafted payload with no user, or not a person's id
        return Refusal("I cannot tell who you are from that request, so I did nothing.")
    allowed = getattr(roles, action.value)
    if allowed is not None and user not in allowed:
        one = "one of them" if len(allowed) > 1 else "them"
        return Refusal(f"Only {_names(allowed)} may {_DOING[action]} here; ask {one}.")
    if action is not Act.APPROVE:
        return None
    rule = approvals or Approvals()
    if rule.reporter_may_approve or user != incident.reporter:
        return None
    if rule.required <= 1:
        return Refusal("Someone else must approve this apology: you reported it. Ask a colleague to.")
    return None  # one of several approvals: the others are other people, so never alone


def require(
    config: AppConfig, action: Act, user: str, incident: IncidentLike, approvals_so_far: Sequence[str] = ()
) -> None:
    """What a use case calls before it changes anything: UserError with the refusal's sentence."""
    refusal = may(config.roles, action, user, incident, approvals_so_far, config.approvals)
    if refusal is not None:
        raise UserError(str(refusal))
