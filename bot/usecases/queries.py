"""Reading an incident for a person: its picture, whether an action fits it now, its record."""

from __future__ import annotations

from typing import Any

from bot.runbook.incident import Action
from bot.runbook.model import Runbook
from bot.snapshot import Snapshot
from bot.store.tables import DecisionLog
from bot.usecases import snapshots
from bot.usecases.context import Env, allow, get
from bot.usecases.ports import UserError


def snapshot(env: Env, incident_id: int) -> Snapshot:
    with env.read() as repo:
        return snapshots.build(env, repo, get(repo, incident_id))


def ready_for(env: Env, incident_id: int, action: Action) -> Snapshot:
    """The incident if ``action`` fits its state now, else UserError saying why."""
    with env.read() as repo:
        incident = get(repo, incident_id)
        allow(incident, action)
        return snapshots.build(env, repo, incident)


def refusal(env: Env, incident_id: int, action: Action) -> str | None:
    """Why ``action`` cannot happen now, or None; asked before a modal closes, so no typing is lost."""
    with env.read() as repo:
        try:
            allow(get(repo, incident_id), action)
        except UserError as exc:
            return str(exc)
    return None


def answers(env: Env, incident_id: int) -> tuple[Runbook, dict[str, Any]]:
    with env.read() as repo:
        incident = get(repo, incident_id)
    return env.runbooks[incident.runbook_id], dict(incident.answers)


def decision_log(env: Env, incident_id: int) -> list[DecisionLog]:
    with env.read() as repo:
        return repo.decision_log(incident_id)
