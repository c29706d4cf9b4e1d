"""Turning text into a Draft: the model's reply and the template's output share one format and one parser.

The format is deliberately plain ("Subject: …", blank line, body) rather than JSON or tool calls: every
provider, including small local models, can produce it, and a human can read a failed reply in the logs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # langchain-core is imported only when a model is used (it is slow to import)
    from langchain_core.messages import BaseMessage

from bot.drafting.models import BODY_MAX, SUBJECT_MAX, Draft

ELLIPSIS = "…"
_FENCE = re.compile(r"^\s*(```|~~~)[\w-]*\s*$")
# "Subject: x", "**Subject:** x", "**Subject**: x", "# Subject: x" …
_SUBJECT = re.compile(r"^[\s#>*_]*subject[\s*_]*:[\s*_]*(?P<subject>.*?)[\s*_]*$", re.IGNORECASE)
_BODY_LABEL = re.compile(r"^[\s#>*_]*body[\s*_]*:[\s*_]*$", re.IGNORECASE)
# A model may open with "Sure, here is the draft:"; more than this much preamble means it ignored us.
_MAX_PREAMBLE_LINES = 2


class DraftParseError(ValueError):
    """The text is not a usable draft; the chat-model path then falls back to the template drafter."""


def clip(text: str, limit: int) -> str:
    """Shorten to at most `limit` characters, cutting at a word boundary and marking the cut with '…'."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    # A single enormous "word" (a URL, say) is cut mid-word rather than dropped entirely.
    cut = cut[:space] if space > limit // 2 else cut[: limit - len(ELLIPSIS)]
    return cut.rstrip(" \n\t,;:-–—") + ELLIPSIS


def _strip_fences(lines: list[str]) -> list[str]:
    return [line for line in lines if not _FENCE.match(line)]


def parse_draft(text: str) -> Draft:
    """Parse "Subject: …" + blank line + body, tolerating fences, bold labels and a short preamble."""
    lines = _strip_fences(text.replace("\r\n", "\n").split("\n"))
    subject: str | None = None
    seen = 0
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        if not line.strip():
            continue
        match = _SUBJECT.match(line)
        if match:
            subject = match.group("subject").strip().strip("\"'").strip()
            break
        seen += 1
        if seen > _MAX_PREAMBLE_LINES:
            break
    if subject is None:
        raise DraftParseError("no 'Subject:' line at the start of the reply")
    if not subject:
        raise DraftParseError("the subject is empty")
    rest = lines[index + 1 :]
    while rest and not rest[0].strip():
        rest.pop(0)
    if rest and _BODY_LABEL.match(rest[0]):
        rest.pop(0)
    body = "\n".join(line.rstrip() for line in rest).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    if not body:
        raise DraftParseError("the body is empty")
    return Draft(subject=clip(" ".join(subject.split()), SUBJECT_MAX), body=clip(body, BODY_MAX))


def parse_reply(message: BaseMessage | str) -> Draft:
    """Parse a chat model's reply; `.text` joins content blocks, which some providers return as a list."""
    text = message if isinstance(message, str) else message.text
    return parse_draft(text)
