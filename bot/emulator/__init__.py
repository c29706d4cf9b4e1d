"""A local Slack (Web API + request sender + transcript) so tests and the demo run the bot over real HTTP."""

from bot.emulator.driver import DriverResponse, SlackDriver, slack_signature
from bot.emulator.server import Call, Ephemeral, Message, ResponsePost, SlackEmulator
from bot.emulator.transcript import render_channel, render_message

__all__ = [
    "Call",
    "DriverResponse",
    "Ephemeral",
    "Message",
    "ResponsePost",
    "SlackDriver",
    "SlackEmulator",
    "render_channel",
    "render_message",
    "slack_signature",
]
