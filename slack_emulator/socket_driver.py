"""SlackDriver's twin for Socket Mode: the same payloads as over HTTP, sent as envelopes on the socket.

Apart from the emulator's Socket Mode server (slack_emulator/socket_mode.py) so that the server, which
the Web API starts for apps.connections.open, does not import the driver that in turn needs the Web API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_emulator.driver import SlackSide
from slack_emulator.limits import ACK_DEADLINE_SECONDS
from slack_emulator.server import SlackEmulator
from slack_emulator.socket_mode import Ack, Delivery


@dataclass
class SocketResponse:
    """The bot's ack to one envelope (or its absence after ``waited_seconds``)."""

    delivery: Delivery
    ack: Ack | None
    waited_seconds: float = field(default=0.0)

    @property
    def ok(self) -> bool:
        """Whether the bot acked the envelope at all (Slack then stops waiting)."""
        return self.ack is not None

    @property
    def envelope_id(self) -> str:
        """The envelope this answers."""
        return self.delivery.envelope_id

    @property
    def json(self) -> dict[str, Any] | None:
        """The ack's response payload, e.g. ``{"response_action": "errors", "errors": {...}}``."""
        return self.ack.payload if self.ack is not None else None

    @property
    def ack_body(self) -> dict[str, Any] | None:
        """The response payload Slack acts on (None for a bare ack)."""
        return self.json or None

    @property
    def elapsed_seconds(self) -> float:
        """Seconds from sending the envelope to its ack (the time waited if none came)."""
        return self.ack.elapsed_seconds if self.ack is not None else self.waited_seconds


class SocketModeDriver(SlackSide[SocketResponse]):
    """SlackDriver's twin for Socket Mode: the same payloads, sent as envelopes over the socket."""

    def __init__(
        self,
        emulator: SlackEmulator,
        team_id: str = "T0WHEY",
        api_app_id: str = "A0OOPS",
        clock: Callable[[], float] = time.time,
        *,
        verification_token: str = "legacy-verification-token",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(emulator, team_id, api_app_id, clock, verification_token=verification_token)
        self.server = emulator.socket_mode
        self.timeout = timeout

    def _await(self, delivery: Delivery, what: str) -> SocketResponse:
        """Wait for the ack; a missing or late one is an error banner, except for events (Slack retries)."""
        started = time.monotonic()
        ack = self.server.wait_ack(delivery, self.timeout)
        response = SocketResponse(delivery, ack, time.monotonic() - started)
        if delivery.type == "events_api":
            return response
        if ack is None:
            self.emulator.record_ui_error(
                f"{what}: no ack over the socket within {self.timeout:.1f}s (Slack gives up after 3s)"
            )
        elif ack.elapsed_seconds > ACK_DEADLINE_SECONDS:
            self.emulator.record_ui_error(
                f"{what}: bot acked after {ack.elapsed_seconds:.2f}s (Slack gives up after 3s)"
            )
        return response

    def _deliver_command(self, fields: dict[str, str], what: str) -> SocketResponse:
        """A slash command travels as a ``slash_commands`` envelope holding the same fields."""
        return self._await(self.server.deliver("slash_commands", fields), what)

    def _deliver_interaction(self, payload: dict[str, Any], what: str) -> SocketResponse:
        """Clicks, submissions and closes travel as ``interactive`` envelopes."""
        return self._await(self.server.deliver("interactive", payload), what)

    def _deliver_event(self, envelope: dict[str, Any]) -> SocketResponse:
        """Events travel as ``events_api`` envelopes; Slack retries those instead of showing an error."""
        return self._await(self.server.deliver("events_api", envelope), "event")

    def redeliver(self, response: SocketResponse, *, reason: str = "timeout") -> SocketResponse:
        """Deliver the same envelope again (same envelope_id and payload, next retry_attempt)."""
        delivery = self.server.redeliver(response.envelope_id, reason=reason)
        return self._await(delivery, f"redelivery of {response.envelope_id}")
