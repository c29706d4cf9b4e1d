"""The apology's guardrails applied to one incident's draft: the same answer for the thread (which
hides Approve and says why) and for the approve use case (which refuses), so neither can drift."""

from __future__ import annotations

from bot.config import AppConfig
from bot.drafting.models import chosen_offer
from bot.runbook.guardrails import Finding, check
from bot.store.tables import Incident


def findings(config: AppConfig, incident: Incident, subject: str, body: str) -> list[Finding]:
    """What stops this draft from being approved; empty when nothing does. Placeholders, pings, blame
    and lengths are checked whatever the decision; the offer rule only once an apology is decided,
    against the offer the drafter was told to make (the brand's default when none was given)."""
    return check(
        subject,
        body,
        decision=incident.decision,
        decided_offer=chosen_offer(incident.decision, incident.offer, config.brand.default_offer),
        brand_offer=config.brand.default_offer,
        body_max=config.drafting.max_body_chars,
    )


def refusal(ref: str, version: int, found: list[Finding]) -> str:
    """The note the person who pressed Approve gets: every reason, and what to do next."""
    reasons = "\n".join(f"• {f.why}" for f in found)
    return f"v{version} of the apology for {ref} is not ready to approve:\n{reasons}\nEdit it, then approve."
