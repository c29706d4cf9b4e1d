"""Reading an incident for a person: its picture, whether an action fits it now, its record."""

from __future__ import annotations

from typing import Any

from bot.runbook.incident import Action
from bot.runbook.model import Runbook
from bot.snapshot import Snapshot
from bot.store.runs import Runs
from bot.store.tables import DecisionLog, Incident
from bot.usecases import policy, snapshots
from bot.usecases.context import Env, allow, get
from bot.usecases.policy import Act
from bot.usecases.ports import UserError
from bot.usecases.retro_followup import DM_JOBS


def snapshot(env: Env, incident_id: int) -> Snapshot:
    with env.read() as repo:
        return snapshots.build(env, repo, get(repo, incident_id))


# The role each action needs (app.yaml ``roles:``); the use case checks it again when it acts.
_ROLE = {
    Action.DECIDE: Act.DECIDE,
    Action.CHANGE_DECISION: Act.DECIDE,
    Action.APPROVE_DRAFT: Act.APPROVE,
    Action.SUBMIT_RETRO: Act.CLOSE,
}


def _permitted(env: Env, incident: Incident, action: Action, user: str) -> None:
    allow(incident, action)
    if user and action in _ROLE:
        policy.require(env.config, _ROLE[action], user, incident)


def ready_for(env: Env, incident_id: int, action: Action, user: str = "") -> Snapshot:
    """The incident if ``action`` fits its state now (and ``user``'s role), else UserError saying why."""
    with env.read() as repo:
        incident = get(repo, incident_id)
        _permitted(env, incident, action, user)
        return snapshots.build(env, repo, incident)


def refusal(env: Env, incident_id: int, action: Action, user: str = "") -> str | None:
    """Why ``action`` cannot happen now (or by ``user``), or None; asked before a modal opens or
    closes, so nobody types for nothing and no typing is lost."""
    with env.read() as repo:
        try:
            _permitted(env, get(repo, incident_id), action, user)
        except UserError as exc:
            return str(exc)
    return None


def places(env: Env, incident_id: int) -> frozenset[str] | None:
    """The channels the bot posted the incident's messages to (its thread and its posts), as ids
    Slack gave back. Department notices carry no button, so their channels are not among them (and
    a configured ``#name`` would match any channel a payload claims that name for). None when there
    is no such incident here."""
    with env.read() as repo:
        incident = repo.incident(incident_id)
        if incident is None:
            return None
        posts = {post.channel for post in repo.posts(incident_id).values()}
    return frozenset({incident.channel, *posts} - {""})


def answers(env: Env, incident_id: int) -> tuple[Runbook, dict[str, Any]]:
    with env.read() as repo:
        incident = get(repo, incident_id)
    return env.runbooks[incident.runbook_id], dict(incident.answers)


def decision_log(env: Env, incident_id: int) -> list[DecisionLog]:
    with env.read() as repo:
        return repo.decision_log(incident_id)


def sent_to_person(env: Env, incident_id: int, channel: str, ts: str) -> bool:
    """Whether the message ``ts`` in the direct message ``channel`` is a reminder the bot sent a person
    about this incident (the runs that posted them record where)."""
    if not channel or not ts:
        return False
    with env.read() as repo:
        keys = Runs(repo).keys_posted_at(f"{channel}/{ts}")
    return any(key.split(":")[1:2] == [str(incident_id)] for key in keys if key.split(":")[0] in DM_JOBS)
