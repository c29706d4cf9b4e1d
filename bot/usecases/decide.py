"""Decide: no action, correct, or make it big; and change one's mind before anything went out."""

from __future__ import annotations

from bot.runbook.incident import Action, Status, Step
from bot.runbook.model import Decision
from bot.usecases import apology, policy
from bot.usecases.context import BOT_ACTOR, Env, advance, get
from bot.usecases.policy import Act
from bot.usecases.ports import DECISION, DRAFT, HEADER, RETRO, UserError
from bot.usecases.thread import Thread

NOTE_MAX = 1000


def decide(
    env: Env,
    incident_id: int,
    choice: Decision,
    user: str,
    key: str,
    *,
    note: str = "",
    what_was_fixed: str = "",
    customer_action: str = "",
    offer: str | None = None,
) -> None:
    """Record the decision. ``offer`` None means the person was not asked: the brand's default offer
    applies; an offer emptied in the modal ("") means no offer."""
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return
        policy.require(env.config, Act.DECIDE, user, incident)
        if incident.decision == choice and incident.status != Status.DECIDING:
            raise UserError(f"Already recorded: {choice.label}, by <@{incident.decided_by}>.")
        new = advance(incident, Action.DECIDE, choice)
        incident.status, incident.decision = new.status, choice
        incident.decided_by, incident.decided_at = user, env.now()
        incident.decision_note = note.strip()[:NOTE_MAX]
        incident.what_was_fixed = what_was_fixed.strip()[:1000]
        incident.customer_action = customer_action.strip()[:1000]
        if offer is None:
            offer = env.config.brand.default_offer or ""
        incident.offer = offer.strip()[:300] if choice is Decision.make_it_big else ""
        repo.touch(incident)
        followed = "" if choice == incident.recommendation else " (not the recommendation)"
        repo.log(incident_id, Step.DECIDE, choice, user, (note.strip() + followed).strip())
    thread = Thread(env, incident_id)
    if new.status is Status.DRAFTING:
        thread.show(DRAFT, edit=(HEADER, DECISION, RETRO))  # "Drafting…" at once: a model may be slow
        apology.write_draft(env, incident_id, BOT_ACTOR)
    else:
        thread.show(RETRO, edit=(HEADER, DECISION, DRAFT))


def change_decision(env: Env, incident_id: int, user: str, key: str) -> None:
    """Undo a decision before anything went out: the team decides again."""
    with env.transaction() as repo:
        incident = get(repo, incident_id, lock=True)
        if not repo.claim(key):
            return
        policy.require(env.config, Act.DECIDE, user, incident)
        new = advance(incident, Action.CHANGE_DECISION)
        previous = incident.decision
        incident.status, incident.decision = new.status, None
        incident.decided_by, incident.decided_at = None, None
        repo.touch(incident)
        repo.log(incident_id, Step.DECIDE, "reopened", user, f"set aside: {previous}")
    Thread(env, incident_id).refresh(HEADER, DECISION, DRAFT, RETRO)
