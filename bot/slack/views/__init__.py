"""Block Kit builders: they turn a Snapshot into Slack messages and modals, and nothing else."""

from bot.slack.views.common import validate_message, validate_view
from bot.slack.views.thread import department_notice, render

__all__ = ["department_notice", "render", "validate_message", "validate_view"]
