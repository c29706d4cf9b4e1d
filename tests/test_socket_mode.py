"""Socket Mode over the wire: the real bot connects to the emulator exactly as `oops serve` does.

`oops serve` defaults to Socket Mode, so this is what most teams run: slack_bolt's SocketModeHandler
calls apps.connections.open with the app-level token, opens the ws:// URL, and answers envelopes.
The emulator's WebSocket server is checked first against RFC 6455 with a raw stdlib client, so the
bot tests below fail only for the bot's reasons.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select

from bot.config import AppConfig
from bot.demo import ANSWERS, DETAILS, INCIDENT_CHANNEL, SUMMARY, _fill
from bot.runtime import Runtime, Secrets, build_runtime
from bot.slack import ids
from bot.store.tables import Incident
from slack_emulator import SlackEmulator, SocketModeDriver, SocketModeServer, SocketResponse
from slack_emulator.limits import ACK_DEADLINE_SECONDS
from slack_emulator.socket_mode import (
    CLOSE_NORMAL,
    CLOSE_PROTOCOL_ERROR,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    encode_frame,
    read_frame,
    websocket_accept,
)

ROOT = Path(__file__).resolve().parent.parent
REPORTER = "U0AILSA"
USERS = {REPORTER: "ailsa", "U0MARC": "marc", "U0JO": "jo"}


# ---------------------------------------------------------------------- the bot in Socket Mode


@dataclass
class SocketBot:
    """The real bot connected over Socket Mode, and the emulator playing Slack."""

    runtime: Runtime
    emulator: SlackEmulator
    driver: SocketModeDriver
    handler: SocketModeHandler

    @property
    def server(self) -> SocketModeServer:
        """The emulator's Socket Mode endpoint."""
        return self.emulator.socket_mode

    def settle(self) -> None:
        """Wait until the bot has finished what the last envelope started (its lazy listeners)."""
        self.runtime.wait_idle(timeout=30)


def _channels(config: AppConfig) -> dict[str, str]:
    """#oops plus each department's channel, so notices land somewhere a test can read."""
    channels = {INCIDENT_CHANNEL: "oops"}
    for dept in config.departments.values():
        name = dept.channel.lstrip("#")
        channels.setdefault(f"C0{name.upper()[:8]}", name)
    return channels


def _wait_threads_gone(before: set[threading.Thread], timeout: float = 5.0) -> list[str]:
    """Names of threads started since ``before`` still alive after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left or time.monotonic() > deadline:
            return [t.name for t in left]
        time.sleep(0.02)


@pytest.fixture
def socket_bot(config: AppConfig, tmp_path: Path) -> Iterator[SocketBot]:
    """Built by build_runtime and connected by SocketModeHandler, as `oops serve` does it."""
    before = set(threading.enumerate())
    with SlackEmulator(channels=_channels(config), users=USERS) as emulator:
        secrets_ = Secrets(
            bot_token=emulator.bot_token,
            app_token=emulator.app_token,
            signing_secret=None,
            api_url=emulator.base_url,
        )
        runtime = build_runtime(
            config.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'oops.db'}"}), secrets_
        )
        runtime.start()
        handler = SocketModeHandler(runtime.app, secrets_.app_token)
        try:
            handler.connect()  # non-blocking, unlike start()
            emulator.socket_mode.wait_connected(timeout=5)
            yield SocketBot(runtime, emulator, SocketModeDriver(emulator), handler)
        finally:
            handler.close()
            runtime.stop()
    assert _wait_threads_gone(before) == [], "threads left running after the bot and emulator stopped"


def _report(bot: SocketBot, values: dict[str, Any] | None = None) -> tuple[SocketResponse, SocketResponse]:
    """/oops then Submit on the report modal, filled as the demo story does (or with ``values``)."""
    opened = bot.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    bot.settle()
    view = bot.emulator.opened_views[-1]
    if values is None:
        values = {"details": DETAILS}
        values.update(_fill(view, {ids.QUESTION_PREFIX + k: v for k, v in ANSWERS.items()}))
    submitted = bot.driver.submit_view(view["id"], values, user=REPORTER)
    bot.settle()
    return opened, submitted


def _incidents(bot: SocketBot) -> list[Incident]:
    with Session(bot.runtime.engine) as session:
        incidents = list(session.exec(select(Incident)).all())
        for incident in incidents:
            session.expunge(incident)
        return incidents


def _assert_every_ack_in_time(bot: SocketBot) -> None:
    """Slack gives up on an envelope after 3 s: every one must have been acked before that."""
    deliveries = bot.server.deliveries
    assert deliveries, "nothing was delivered"
    late = [
        (d.type, d.envelope_id, None if d.ack is None else round(d.ack.elapsed_seconds, 3))
        for d in deliveries
        if d.ack is None or d.ack.elapsed_seconds >= ACK_DEADLINE_SECONDS
    ]
    assert late == [], f"envelopes not acked within {ACK_DEADLINE_SECONDS}s: {late}"
    assert bot.server.problems == []
    assert bot.emulator.ui_errors == []


# ---------------------------------------------------------------------- connecting


def test_bot_connects_with_its_app_token_and_gets_hello(socket_bot: SocketBot) -> None:
    emu, server = socket_bot.emulator, socket_bot.server
    [call] = emu.calls_to("apps.connections.open")
    assert call.ok
    url = urllib.parse.urlsplit(call.response["url"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("ws", "127.0.0.1", server.port, "/link/")
    assert urllib.parse.parse_qs(url.query)["ticket"]

    [conn] = server.connections
    assert conn.is_open and conn.headers["upgrade"].lower() == "websocket"
    assert server.ping(timeout=2) < 1.0, "slack_sdk answers pings with pongs"
    assert conn.pings_received, "slack_sdk pings the server right after connecting"
    assert server.problems == []


def test_apps_connections_open_takes_only_the_app_level_token() -> None:
    with SlackEmulator() as emu:
        as_app = WebClient(base_url=emu.base_url)
        url = as_app.apps_connections_open(app_token=emu.app_token)["url"]
        assert url.startswith(f"ws://127.0.0.1:{emu.socket_mode.port}/link/?ticket=")

        with pytest.raises(SlackApiError) as bot_token:
            as_app.apps_connections_open(app_token=emu.bot_token)
        assert bot_token.value.response["error"] == "not_allowed_token_type"
        with pytest.raises(SlackApiError) as unknown:
            as_app.apps_connections_open(app_token="xapp-1-A0OTHER-1-nope")
        assert unknown.value.response["error"] == "invalid_auth"
        with pytest.raises(SlackApiError) as app_token_elsewhere:
            WebClient(token=emu.app_token, base_url=emu.base_url).chat_postMessage(
                channel="C0OOPS", text="hi"
            )
        assert app_token_elsewhere.value.response["error"] == "not_allowed_token_type"
        assert WebClient(token=emu.bot_token, base_url=emu.base_url).auth_test()["ok"], "bot token unchanged"

        # A ticket opens one connection; a second handshake with it is refused.
        with _RawClient(url) as first:
            assert first.read_json()["type"] == "hello"
        with pytest.raises(ConnectionRefusedError, match="401"):
            _RawClient(url).__enter__()
    assert emu.calls_to("apps.connections.open")[0].ok


# ---------------------------------------------------------------------- RFC 6455, with a raw client


class _RawClient:
    """The least WebSocket client that follows RFC 6455, to check the server without slack_sdk."""

    def __init__(self, url: str, key: str | None = None) -> None:
        self.url = urllib.parse.urlsplit(url)
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        self.sock = socket.create_connection((self.url.hostname, self.url.port), timeout=5)
        self.buffer = b""
        self.response_headers: dict[str, str] = {}

    def __enter__(self) -> _RawClient:
        request = (
            f"GET {self.url.path}?{self.url.query} HTTP/1.1\r\nHost: {self.url.hostname}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode().split("\r\n")
        self.response_headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
        if " 101 " not in status_line + " ":
            self.sock.close()
            raise ConnectionRefusedError(status_line)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def recv_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True) -> None:
        self.sock.sendall(encode_frame(opcode, payload, fin=fin, mask=os.urandom(4) if masked else None))

    def read_json(self) -> dict[str, Any]:
        frame = read_frame(self.recv_exact)
        assert (frame.opcode, frame.fin, frame.masked) == (OP_TEXT, True, False), "server frames: unmasked"
        return json.loads(frame.payload)


def test_websocket_server_follows_rfc_6455() -> None:
    # The handshake example of RFC 6455 section 1.3.
    assert websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    with SocketModeServer(app_id="A0OOPS", ping_interval=None) as server:
        with _RawClient(server.issue_url(), key="dGhlIHNhbXBsZSBub25jZQ==") as client:
            assert client.response_headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
            hello = client.read_json()
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0OOPS"} and "host" in hello["debug_info"]

            payload = {"command": "/oops", "text": "x" * 70_000}  # over 64 KiB: the 64-bit length form
            delivery = server.deliver("slash_commands", payload)
            envelope = client.read_json()
            assert envelope == {
                "envelope_id": delivery.envelope_id,
                "payload": payload,
                "type": "slash_commands",
                "accepts_response_payload": True,
                "retry_attempt": 0,
                "retry_reason": "",
            }
            # The ack, masked and fragmented in two frames, is reassembled.
            ack = json.dumps({"envelope_id": delivery.envelope_id, "payload": {"text": "ok"}}).encode()
            client.send(OP_TEXT, ack[:10], fin=False)
            client.send(OP_CONTINUATION, ack[10:])
            received = server.wait_ack(delivery, timeout=2)
            assert received is not None and received.payload == {"text": "ok"}
            assert 0 <= received.elapsed_seconds < 2

            # Same envelope again, as Slack retries.
            again = server.redeliver(delivery.envelope_id)
            retried = client.read_json()
            assert retried["envelope_id"] == delivery.envelope_id and retried["payload"] == payload
            assert (retried["retry_attempt"], retried["retry_reason"]) == (1, "timeout")
            assert again.retry_attempt == 1

            # Client ping -> server pong with the same payload; server ping -> client pong.
            client.send(OP_PING, b"are you there")
            pong = read_frame(client.recv_exact)
            assert (pong.opcode, pong.payload) == (OP_PONG, b"are you there")

            # The client closes; the server echoes the close code and hangs up.
            client.send(OP_CLOSE, struct.pack("!H", CLOSE_NORMAL) + b"bye")
            echo = read_frame(client.recv_exact)
            assert echo.opcode == OP_CLOSE and struct.unpack("!H", echo.payload[:2])[0] == CLOSE_NORMAL
        [conn] = server.connections
        assert conn.wait_closed(2) and (conn.closed_by, conn.close_code) == ("client", CLOSE_NORMAL)

        # An unmasked client frame is a protocol error: close 1002.
        with _RawClient(server.issue_url()) as rude:
            rude.read_json()
            rude.send(OP_TEXT, b"{}", masked=False)
            close = read_frame(rude.recv_exact)
            assert close.opcode == OP_CLOSE
            assert struct.unpack("!H", close.payload[:2])[0] == CLOSE_PROTOCOL_ERROR
        assert any("masked" in p for p in server.problems)

        # No ticket, no connection.
        with pytest.raises(ConnectionRefusedError, match="401"):
            _RawClient(f"ws://127.0.0.1:{server.port}/link/?ticket=forged").__enter__()


# ---------------------------------------------------------------------- the bot over the socket


def test_slash_command_over_the_socket_opens_the_report_modal(socket_bot: SocketBot) -> None:
    bot, emu = socket_bot, socket_bot.emulator
    response = bot.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    assert response.ok and response.elapsed_seconds < ACK_DEADLINE_SECONDS
    assert response.json is None, "a bare ack: the modal is the answer"
    assert (response.delivery.type, response.delivery.accepts_response_payload) == ("slash_commands", True)
    bot.settle()

    [views_open] = emu.calls_to("views.open")
    assert views_open.ok, views_open.response
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.REPORT_VIEW
    assert emu.view_stack(REPORTER) == [view["id"]]
    runbook = next(b for b in view["blocks"] if b.get("block_id") == "runbook")
    assert runbook["element"]["initial_option"]["value"] == "email-campaign"
    _assert_every_ack_in_time(bot)


def test_report_submission_over_the_socket_creates_header_and_thread(socket_bot: SocketBot) -> None:
    bot, emu = socket_bot, socket_bot.emulator
    _, submitted = _report(bot)
    assert submitted.ok and submitted.json is None, "a valid report closes the modal"
    assert submitted.delivery.type == "interactive" and submitted.delivery.accepts_response_payload
    assert emu.view_stack(REPORTER) == []

    [header] = emu.messages(INCIDENT_CHANNEL)
    assert "OOPS-1" in header.text and SUMMARY in header.text
    replies = emu.thread(INCIDENT_CHANNEL, header.ts)[1:]
    assert len(replies) >= 3, [r.text for r in replies]
    texts = " ".join(r.text + json.dumps(r.blocks) for r in replies)
    assert "Scale" in texts and "Decide" in texts
    [incident] = _incidents(bot)
    assert incident.header_ts == header.ts and incident.reporter == REPORTER
    assert incident.source_key == f"view:{submitted.delivery.payload['view']['id']}"

    # The thread's buttons work over the socket too: Decide opens the decision modal.
    action_id = ids.DECIDE_PREFIX + incident.recommendation
    prompt = next(m for m in replies if action_id in json.dumps(m.blocks))
    clicked = bot.driver.click(INCIDENT_CHANNEL, prompt.ts, action_id, user="U0MARC")
    bot.settle()
    assert clicked.ok and not clicked.delivery.accepts_response_payload, "block_actions take a bare ack"
    assert emu.opened_views[-1]["callback_id"] == ids.DECIDE_VIEW
    _assert_every_ack_in_time(bot)


def test_invalid_submission_is_answered_with_errors_in_the_ack(socket_bot: SocketBot) -> None:
    bot, emu = socket_bot, socket_bot.emulator
    bot.driver.slash("/oops", "", user=REPORTER, channel=INCIDENT_CHANNEL)
    bot.settle()
    view = emu.opened_views[-1]
    values: dict[str, Any] = {"summary": None, "details": DETAILS}
    values.update(_fill(view, {ids.QUESTION_PREFIX + k: v for k, v in ANSWERS.items()}))
    response = bot.driver.submit_view(view["id"], values, user=REPORTER)
    bot.settle()

    assert response.ok and response.elapsed_seconds < ACK_DEADLINE_SECONDS
    assert response.json is not None and response.json["response_action"] == "errors"
    assert "summary" in response.json["errors"], response.json
    assert emu.view_stack(REPORTER) == [view["id"]], "the modal stays open, showing the errors"
    assert "summary" in emu.view(view["id"])["errors"]
    assert _incidents(bot) == [] and emu.messages(INCIDENT_CHANNEL) == []
    _assert_every_ack_in_time(bot)


def test_redelivered_submission_creates_one_incident(socket_bot: SocketBot) -> None:
    bot, emu, server = socket_bot, socket_bot.emulator, socket_bot.server
    _, submitted = _report(bot)
    header = emu.messages(INCIDENT_CHANNEL)[0]
    thread_before = len(emu.thread(INCIDENT_CHANNEL, header.ts))

    retried = bot.driver.redeliver(submitted)
    bot.settle()
    assert retried.ok and retried.elapsed_seconds < ACK_DEADLINE_SECONDS
    first, again = [d for d in server.deliveries if d.envelope_id == submitted.envelope_id]
    assert (first.retry_attempt, again.retry_attempt, again.retry_reason) == (0, 1, "timeout")
    assert again.payload == first.payload

    # Slack also retries while the first delivery is still being handled: both at once.
    racing = [server.redeliver(submitted.envelope_id) for _ in range(2)]
    assert all(server.wait_ack(d, timeout=ACK_DEADLINE_SECONDS) is not None for d in racing)
    assert [d.retry_attempt for d in racing] == [2, 3]
    bot.settle()

    assert len(_incidents(bot)) == 1
    assert [m.ts for m in emu.messages(INCIDENT_CHANNEL)] == [header.ts]
    assert len(emu.thread(INCIDENT_CHANNEL, header.ts)) == thread_before
    assert emu.ephemerals == [], [e.text for e in emu.ephemerals]
    _assert_every_ack_in_time(bot)


def test_bot_reconnects_when_slack_refreshes_the_connection(socket_bot: SocketBot) -> None:
    bot, emu, server = socket_bot, socket_bot.emulator, socket_bot.server
    old = server.connections[0]
    server.send_disconnect("refresh_requested")
    new = server.wait_connected(timeout=5, total=2)
    assert new is not old and old.wait_closed(5)
    assert [c.ok for c in emu.calls_to("apps.connections.open")] == [True, True]

    response = bot.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    assert response.ok and response.delivery.connection_id == new.id
    bot.settle()
    assert emu.opened_views[-1]["callback_id"] == ids.REPORT_VIEW
    _assert_every_ack_in_time(bot)


# ---------------------------------------------------------------------- `oops serve` itself


def test_oops_serve_defaults_to_socket_mode_and_needs_no_signing_secret(
    config: AppConfig, tmp_path: Path
) -> None:
    with SlackEmulator(channels=_channels(config), users=USERS) as emulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OOPS_"))}
        env.update(
            {
                "SLACK_BOT_TOKEN": emulator.bot_token,
                "SLACK_APP_TOKEN": emulator.app_token,
                "SLACK_API_URL": emulator.base_url,
                "OOPS_CONFIG": str(ROOT / "app.yaml"),
                "OOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
            }
        )
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path, stdout=out, stderr=out
            )
        try:
            try:
                emulator.socket_mode.wait_connected(timeout=30)
            except TimeoutError:
                pytest.fail(f"oops serve did not connect:\n{log.read_text()}")
            driver = SocketModeDriver(emulator)
            assert driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL).ok
            emulator.wait_for(lambda e: bool(e.calls_to("views.open")), timeout=10)
            view = emulator.opened_views[-1]
            values = _fill(view, {ids.QUESTION_PREFIX + k: v for k, v in ANSWERS.items()})
            assert driver.submit_view(view["id"], values, user=REPORTER).ok
            header = emulator.wait_for_message(INCIDENT_CHANNEL, contains="OOPS-1", timeout=15)
            emulator.wait_for(lambda e: len(e.thread(INCIDENT_CHANNEL, header.ts)) >= 4, timeout=15)
            assert process.poll() is None
            assert all(d.ack is not None for d in emulator.socket_mode.deliveries)
            assert emulator.ui_errors == [] and emulator.socket_mode.problems == []
        finally:
            process.terminate()
            process.wait(timeout=10)
