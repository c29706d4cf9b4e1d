"""Block Kit builders: they turn a Snapshot into Slack messages and modals, and nothing else."""

# Builders of view models register themselves with @draws when their module is imported: import here.
from bot.slack.views import actions as _actions  # noqa: F401  (the action item reminder)
from bot.slack.views import digest as _digest  # noqa: F401  (the weekly summary)
from bot.slack.views import followup  # noqa: F401  (the reminders to people, the watch)
from bot.slack.views.common import validate_message, validate_view
from bot.slack.views.registry import render_view
from bot.slack.views.thread import department_notice, render

__all__ = ["department_notice", "render", "render_view", "validate_message", "validate_view"]
