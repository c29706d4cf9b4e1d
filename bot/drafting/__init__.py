"""Drafting the customer apology for an incident: a template offline, or a chat model with a fallback."""

from bot.drafting.drafter import DrafterSetupError, build_drafter, make_chat_model, template_drafter
from bot.drafting.models import BODY_MAX, SUBJECT_MAX, Draft, DraftRequest, sample_request
from bot.drafting.parse import DraftParseError, clip, parse_draft, parse_reply
from bot.drafting.prompts import PromptError, Prompts, load_prompts

__all__ = [
    "BODY_MAX",
    "SUBJECT_MAX",
    "Draft",
    "DraftParseError",
    "DraftRequest",
    "DrafterSetupError",
    "PromptError",
    "Prompts",
    "build_drafter",
    "clip",
    "load_prompts",
    "make_chat_model",
    "parse_draft",
    "parse_reply",
    "sample_request",
    "template_drafter",
]
