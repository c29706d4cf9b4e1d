"""What the drafter is given and what it gives back.

The request is a flat, self-contained snapshot built by the service layer, so a draft can be
regenerated, tested or replayed without a database or the brand config at hand.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.config import Brand

# Slack's plain_text_input holds 3,000 characters; the margin leaves room for a human's edits.
SUBJECT_MAX = 150
BODY_MAX = 2900

Decision = Literal["correct", "make_it_big"]


class DraftRequest(BaseModel):
    """Everything a drafter may use. Anything not in here cannot leak into a customer email."""

    model_config = ConfigDict(frozen=True)

    incident_ref: str
    title: str
    details: str = ""
    runbook_name: str
    scale: str
    decision: Decision
    facts: list[tuple[str, str]] = Field(default_factory=list)
    what_was_fixed: str = ""
    customer_action: str = ""
    offer: str | None = None
    brand_name: str
    brand_voice: str
    signature: str
    # The brand's fallback offer, so the drafter can apply it without the config at hand.
    default_offer: str | None = None
    attempt: int = Field(default=0, ge=0)

    @classmethod
    def for_brand(cls, brand: Brand, **fields: Any) -> DraftRequest:
        """Fill the brand fields from app.yaml's `brand`, so callers cannot forget the default offer."""
        brand_fields = {
            "brand_name": brand.name,
            "brand_voice": brand.voice,
            "signature": brand.signature,
            "default_offer": brand.default_offer,
        }
        return cls(**{**brand_fields, **fields})

    @property
    def chosen_offer(self) -> str | None:
        """The offer to make (see ``chosen_offer``)."""
        return chosen_offer(self.decision, self.offer, self.default_offer)


def chosen_offer(decision: str | None, offer: str | None, default_offer: str | None) -> str | None:
    """The offer to make: only for make_it_big; the incident's own when one was given (an empty one
    means the team chose no offer), else the brand's default. One function, so the drafter and the
    guardrails (bot/usecases/draft_checks.py) agree on what the draft must offer."""
    if decision != "make_it_big":
        return None
    chosen = default_offer if offer is None else offer
    return chosen.strip() or None if chosen else None


class Draft(BaseModel):
    """A customer email a human reviews in Slack before anything is sent."""

    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    # Who wrote it: "template", or the provider ("openai" …). A model that failed leaves "template",
    # so the decision log can say honestly which drafter produced the text.
    source: str = "template"


def sample_request(decision: Decision = "make_it_big", *, filled: bool = True) -> DraftRequest:
    """A realistic request used to render every template once at start-up (and in tests)."""
    optional: dict[str, Any] = {}
    if filled:
        optional = {
            "details": "Sam added the existing-customer list to the new-subscriber group by mistake.",
            "facts": [
                ("How many people received it?", "27,463"),
                ("Did it contain a discount code?", "Yes, the 10% welcome code"),
            ],
            "what_was_fixed": "We took existing customers out of the welcome flow",
            "customer_action": "Nothing. If you fancy using the welcome code, it still works",
            "offer": "Free delivery on your next kit",
        }
    return DraftRequest(
        incident_ref="OOPS-0",
        title="Welcome email sent to 27,463 existing customers",
        runbook_name="Email campaign",
        scale="huge",
        decision=decision,
        brand_name="Sample Brand",
        brand_voice="Warm and plain.",
        signature="The Sample team",
        default_offer="10% off your next order with the code SORRY10",
        **optional,
    )
