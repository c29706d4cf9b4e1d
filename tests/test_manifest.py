"""The Slack app manifest: Socket Mode and HTTP shapes, Slack's field limits, and scopes that cover
every Web API method the bot calls, seen both in a full run and in the source."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient

from bot.demo import DemoBot, walk_incident
from bot.manifest import METHOD_SCOPES, build_manifest
from bot.slack.app import COMMAND
from bot.usecases import queries

BOT = Path(__file__).resolve().parent.parent / "bot"
HTTP_URL = "https://oops.example.com/slack/events"


def _urls(node: Any, path: str = "") -> list[str]:
    """Every key that holds a URL, anywhere in the manifest."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if "url" in key.lower():
                found.append(here)
            found += _urls(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _urls(item, f"{path}[{index}]")
    return found


def _command(manifest: dict[str, Any]) -> dict[str, Any]:
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    return commands[0]


def test_socket_mode_manifest_has_no_urls() -> None:
    manifest = build_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert _urls(manifest) == []
    command = _command(manifest)
    assert command["command"] == "/oops" and command["description"]
    assert len(command["description"]) <= 2000 and len(command.get("usage_hint", "")) <= 1000


def test_http_manifest_points_command_interactivity_and_events_at_the_server() -> None:
    manifest = build_manifest(http_url=HTTP_URL)
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert _command(manifest)["url"] == HTTP_URL
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": HTTP_URL}
    assert manifest["settings"]["event_subscriptions"]["request_url"] == HTTP_URL
    assert sorted(_urls(manifest)) == [
        "features.slash_commands[0].url",
        "settings.event_subscriptions.request_url",
        "settings.interactivity.request_url",
    ]


@pytest.mark.parametrize("http_url", [None, HTTP_URL])
def test_the_home_tab_is_enabled_and_its_event_subscribed(http_url: str | None) -> None:
    """Without both, Slack shows no Home tab, or never tells the bot it was opened."""
    manifest = build_manifest(http_url=http_url)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]


def test_the_manifest_has_the_fields_slack_requires() -> None:
    manifest = build_manifest()
    assert manifest["display_information"]["name"] == "oops"
    assert manifest["features"]["bot_user"]["display_name"]
    assert isinstance(manifest["oauth_config"]["scopes"]["bot"], list)
    assert manifest["_metadata"]["major_version"] == 1
    # What `oops manifest` prints must survive YAML both ways.
    assert yaml.safe_load(yaml.safe_dump(manifest)) == manifest


@pytest.mark.parametrize("name", ["oops", "Whey to Go · mistakes, owned and learnt from, together"])
def test_the_app_name_fits_slacks_35_characters(name: str) -> None:
    manifest = build_manifest(name=name)
    assert 1 <= len(manifest["display_information"]["name"]) <= 35
    assert len(manifest["features"]["bot_user"]["display_name"]) <= 80
    shown = manifest["display_information"]["name"]
    assert shown == name if len(name) <= 35 else name.startswith(shown)


def test_the_description_fits_slacks_limits() -> None:
    info = build_manifest()["display_information"]
    assert 1 <= len(info["description"]) <= 140
    assert len(info.get("long_description", "")) <= 4000


def test_commands_scope_is_requested() -> None:
    assert "commands" in build_manifest()["oauth_config"]["scopes"]["bot"]


def test_every_scope_in_the_method_table_is_requested() -> None:
    scopes = set(build_manifest()["oauth_config"]["scopes"]["bot"])
    needed = {scope for scope in METHOD_SCOPES.values() if scope}
    assert needed <= scopes, needed - scopes


def test_the_scopes_cover_every_method_the_full_flow_calls(sqlite_bot: DemoBot) -> None:
    bot = sqlite_bot
    incident_id = walk_incident(bot)
    assert queries.snapshot(bot.runtime.env(), incident_id).closed, "the walk did not reach the end"
    called = {call.method for call in bot.emulator.calls}
    assert {"chat.postMessage", "chat.update", "views.open"} <= called  # the flow really ran
    missing = sorted(called - set(METHOD_SCOPES))
    assert not missing, f"methods called but not in METHOD_SCOPES: {missing}"
    scopes = set(build_manifest()["oauth_config"]["scopes"]["bot"])
    uncovered = {m: METHOD_SCOPES[m] for m in called if METHOD_SCOPES[m] and METHOD_SCOPES[m] not in scopes}
    assert not uncovered, f"methods whose scope the manifest does not ask for: {uncovered}"
    # Notices go to department channels the bot may not have been invited to.
    assert "chat:write.public" in scopes


def _web_api_methods_in_source() -> dict[str, list[str]]:
    """``client.chat_postMessage(...)`` and the like anywhere in bot/, as API method names."""
    found: dict[str, list[str]] = {}
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            if "_" not in name or name.startswith("_") or not callable(getattr(WebClient, name, None)):
                continue
            if name in ("api_call", "with_retry_handlers") or name.endswith("_v2"):
                continue
            method = name.replace("_", ".")
            found.setdefault(method, []).append(f"{path.relative_to(BOT.parent)}:{node.lineno}")
    return found


def test_the_scopes_cover_every_method_in_the_source() -> None:
    """Paths the demo does not walk (a refusal, a runbook switch, a failed post) are covered too."""
    found = _web_api_methods_in_source()
    assert "chat.postMessage" in found and "views.open" in found  # the scan sees the bot's calls
    missing = {m: where for m, where in found.items() if m not in METHOD_SCOPES}
    assert not missing, f"Web API methods called in bot/ but not in METHOD_SCOPES: {missing}"
    scopes = set(build_manifest()["oauth_config"]["scopes"]["bot"])
    uncovered = {m: METHOD_SCOPES[m] for m in found if METHOD_SCOPES[m] and METHOD_SCOPES[m] not in scopes}
    assert not uncovered, uncovered
