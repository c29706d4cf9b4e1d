"""A local Slack (Web API, HTTP and Socket Mode senders, transcript) so tests and the demo run the bot
over the wire."""

from slack_emulator.driver import DriverResponse, SlackDriver, slack_signature
from slack_emulator.server import Call, Ephemeral, Message, ResponsePost, SlackEmulator
from slack_emulator.socket_driver import SocketModeDriver, SocketResponse
from slack_emulator.socket_mode import Ack, Delivery, SocketModeServer
from slack_emulator.transcript import render_channel, render_message

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
