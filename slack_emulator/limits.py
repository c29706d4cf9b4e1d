"""Slack's documented deadlines and sizes, in one place for the Web API, the drivers and Socket Mode."""

from __future__ import annotations

ACK_DEADLINE_SECONDS = 3.0  # an app must ack a request or envelope within 3 s
TRIGGER_TTL_SECONDS = 3.0  # a trigger_id opens a modal only within 3 s of the interaction
MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_BYTES = 250_000
MAX_VIEW_STACK = 3
