"""A local Slack (Web API, HTTP and Socket Mode senders, transcript) so tests and the demo run the bot
over the wire."""

from bot.emulator.driver import DriverResponse, SlackDriver, slack_signature
from bot.emulator.server import Call, Ephemeral, Message, ResponsePost, SlackEmulator
from bot.emulator.socket_mode import Ack, Delivery, SocketModeDriver, SocketModeServer, SocketResponse
from bot.emulator.transcript import render_channel, render_message

__all__ = [
    "Ack",
    "Call",
    "Delivery",
    "DriverResponse",
    "Ephemeral",
    "Message",
    "ResponsePost",
    "SlackDriver",
    "SlackEmulator",
    "SocketModeDriver",
    "SocketModeServer",
    "SocketResponse",
    "render_channel",
    "render_message",
    "slack_signature",
]
