"""Drafting the customer apology for an incident: a template offline, or a chat model with a fallback.

langchain-core takes about a second to import, so the parts that need it (the drafter itself) are
imported on first use: the models, the prompts and the parser load without it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bot.drafting.lazy import DrafterSetupError, LazyDrafter
from bot.drafting.models import BODY_MAX, SUBJECT_MAX, Draft, DraftRequest, sample_request
from bot.drafting.parse import DraftParseError, clip, parse_draft, parse_reply
from bot.drafting.prompts import PromptError, Prompts, load_prompts

if TYPE_CHECKING:
    from bot.drafting.drafter import build_drafter, make_chat_model, template_drafter

_FROM_DRAFTER = {"build_drafter", "make_chat_model", "template_drafter"}

__all__ = [
    "BODY_MAX",
    "SUBJECT_MAX",
    "Draft",
    "DraftParseError",
    "DraftRequest",
    "DrafterSetupError",
    "LazyDrafter",
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


def __getattr__(name: str) -> Any:
    if name in _FROM_DRAFTER:
        return getattr(importlib.import_module("bot.drafting.drafter"), name)
    raise AttributeError(f"module 'bot.drafting' has no attribute {name!r}")
