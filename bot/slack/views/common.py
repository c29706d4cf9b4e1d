"""Small helpers shared by the Block Kit builders: Slack's text rules and limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Slack's published limits (Block Kit reference).
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_TEXT = 3000
BUTTON_TEXT = 75
OPTION_TEXT = 75
LABEL_TEXT = 2000
MODAL_TITLE = 24
FALLBACK_TEXT = 4000


def clip(text: str, limit: int) -> str:
    """Cut at a word near the limit and say so with an ellipsis; Slack rejects anything longer."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def esc(text: str) -> str:
    """Escape a person's text for mrkdwn, so '<' or '&' in a title cannot become a link or mention."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def user(user_id: str | None) -> str:
    if not user_id:
        return "someone"
    if user_id == "oops":
        return "oops"
    return f"<@{user_id}>"


def when(value: datetime | None, tz: Any) -> str:
    if value is None:
        return "—"
    return value.astimezone(tz).strftime("%a %d %b %Y, %H:%M %Z")


def blocks_json(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


def validate_message(blocks: list[dict[str, Any]], text: str) -> None:
    """Raise if a message breaks Slack's limits; used by the tests on every view we build."""
    if len(blocks) > MESSAGE_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks in one message (Slack allows {MESSAGE_BLOCKS})")
    if len(text) > FALLBACK_TEXT:
        raise ValueError(f"fallback text of {len(text)} characters")
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def validate_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()
