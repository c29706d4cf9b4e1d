"""The apology's guardrails applied to one incident's draft: the same answer for the thread (which
hides Approve and says why) and for the approve use case (which refuses), so neither can drift."""

from __future__ import annotations

from bot.config import AppConfig
from bot.runbook.guardrails import Finding, check
from bot.runbook.model import Decision
from bot.store.tables import Incident


def findings(config: AppConfig, incident: Incident, subject: str, body: str) -> list[Finding]:
    """What stops this draft from being approved for the incident's decision; empty when nothing does.
    A draft with no apology decided (no action, or none yet) has nothing to check against."""
    if incident.decision not in (Decision.correct.value, Decision.make_it_big.value):
        return []
    return check(
        subject,
        body,
        decision=incident.decision,
        decided_offer=incident.offer,
        brand_offer=config.brand.default_offer,
        body_max=config.drafting.max_body_chars,
    )


def refusal(ref: str, version: int, found: list[Finding]) -> str:
    """The note the person who pressed Approve gets: every reason, and what to do next."""
    reasons = "\n".join(f"• {f.why}" for f in found)
    return f"v{version} of the apology for {ref} is not ready to approve:\n{reasons}\nEdit it, then approve."
