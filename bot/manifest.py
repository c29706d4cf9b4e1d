"""The Slack app manifest: everything Slack needs to create the app, in one paste.

Imports nothing heavier than the ids module: `oops manifest` and `oops --help` must start at once.
"""

from __future__ import annotations

from typing import Any

from bot.slack.ids import COMMAND

# Each Web API method the bot calls, and the bot scope it needs (None: no scope needed).
# tests/test_manifest.py checks every method the full flow calls is listed here.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": None,
    "views.open": None,
    "views.update": None,
    "views.publish": None,  # the App Home tab
    # Looking for a post whose outcome was lost, by its metadata, before posting it again.
    "conversations.history": "channels:history",
    "conversations.open": "im:write",  # the DM's id, to look for a reminder sent to a person
    "conversations.replies": "channels:history",
}
# Post in department channels the bot was not invited to (public channels only); read private
# channels' history the same way as public ones when the bot is a member.
EXTRA_SCOPES = ["commands", "chat:write.public", "groups:history", "im:history"]
# Events the bot subscribes to (none needs a scope): opening its Home tab redraws it.
BOT_EVENTS = ["app_home_opened"]


def bot_scopes() -> list[str]:
    return sorted({s for s in METHOD_SCOPES.values() if s} | set(EXTRA_SCOPES))


def build_manifest(name: str = "oops", http_url: str | None = None) -> dict[str, Any]:
    """Socket Mode unless ``http_url`` (e.g. https://oops.example.com/slack/events) is given."""
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Report a business mistake and walk its runbook",
        "usage_hint": "[what happened, in one line]",
        "should_escape": False,
    }
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    if http_url:
        command["url"] = http_url
        interactivity["request_url"] = http_url
        events["request_url"] = http_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name[:35],
            "description": "Walks the team through a mistake: scale, who to tell, decide, apologise, learn.",
            "background_color": "#3b2e5a",
        },
        "features": {
            # The Home tab shows the team's open incidents, retrospectives, lessons and a search; the
            # Messages tab keeps the direct messages the bot sends, read-only (it reads no messages).
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name[:80], "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": bot_scopes()}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": http_url is None,
            "token_rotation_enabled": False,
        },
    }
