"""Socket Mode over the wire: the real bot connects to the emulator exactly as `oops serve` does.

`oops serve` defaults to Socket Mode, so this is what most teams run: slack_bolt's SocketModeHandler
calls apps.connections.open with the app-level token, opens the ws:// URL, and answers envelopes.
The emulator's endpoint is checked first with the websockets library's own client (tickets, hello,
envelopes, acks, closes), so the bot tests below fail only for the bot's reasons.

The bot tests share one bot and emulator (module scope: starting and stopping a bot over a socket
is most of their cost), so each reads only what it caused, from a Mark taken when it starts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session, select
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus
from websockets.frames import CloseCode
from websockets.sync.client import connect

from bot.config import AppConfig
from bot.demo import ANSWERS, DETAILS, INCIDENT_CHANNEL, SUMMARY, _fill
from bot.runtime import Runtime, Secrets, build_runtime
from bot.slack import ids
from bot.store.tables import Incident
from slack_emulator import Message, SlackEmulator, SocketModeDriver, SocketModeServer, SocketResponse
from slack_emulator.limits import ACK_DEADLINE_SECONDS

ROOT = Path(__file__).resolve().parent.parent
REPORTER = "U0AILSA"
USERS = {REPORTER: "ailsa", "U0MARC": "marc", "U0JO": "jo"}


# ---------------------------------------------------------------------- the bot in Socket Mode


@dataclass(frozen=True)
class Mark:
    """Where the shared bot's records stood when a test began."""

    deliveries: int
    problems: int
    ui_errors: int
    ephemerals: int
    connections_opened: int
    connection_urls: int
    incidents: frozenset[int]
    channel_messages: frozenset[str]


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

    def mark(self) -> Mark:
        """Where the records stand now; a test reads only what came after."""
        self.settle()
        return Mark(
            deliveries=len(self.server.deliveries),
            problems=len(self.server.problems),
            ui_errors=len(self.emulator.ui_errors),
            ephemerals=len(self.emulator.ephemerals),
            connections_opened=len([c for c in self.server.connections if c.opened_at is not None]),
            connection_urls=len(self.emulator.calls_to("apps.connections.open")),
            incidents=frozenset(i.id for i in _incidents(self) if i.id is not None),
            channel_messages=frozenset(m.ts for m in self.emulator.messages(INCIDENT_CHANNEL)),
        )

    def new_incidents(self, mark: Mark) -> list[Incident]:
        """Incidents opened since ``mark``."""
        return [i for i in _incidents(self) if i.id not in mark.incidents]

    def new_channel_messages(self, mark: Mark) -> list[Message]:
        """Top-level messages posted in #oops since ``mark``."""
        return [m for m in self.emulator.messages(INCIDENT_CHANNEL) if m.ts not in mark.channel_messages]


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


@pytest.fixture(scope="module")
def socket_bot(config: AppConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SocketBot]:
    """Built by build_runtime and connected by SocketModeHandler, as `oops serve` does it."""
    before = set(threading.enumerate())
    database = tmp_path_factory.mktemp("socket-bot") / "oops.db"
    with SlackEmulator(channels=_channels(config), users=USERS) as emulator:
        secrets_ = Secrets(
            bot_token=emulator.bot_token,
            app_token=emulator.app_token,
            signing_secret=None,
            api_url=emulator.base_url,
        )
        runtime = build_runtime(config.model_copy(update={"database_url": f"sqlite:///{database}"}), secrets_)
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


def _assert_every_ack_in_time(bot: SocketBot, mark: Mark) -> None:
    """Slack gives up on an envelope after 3 s: every one since ``mark`` must have been acked before."""
    deliveries = bot.server.deliveries[mark.deliveries :]
    assert deliveries, "nothing was delivered"
    late = [
        (d.type, d.envelope_id, None if d.ack is None else round(d.ack.elapsed_seconds, 3))
        for d in deliveries
        if d.ack is None or d.ack.elapsed_seconds >= ACK_DEADLINE_SECONDS
    ]
    assert late == [], f"envelopes not acked within {ACK_DEADLINE_SECONDS}s: {late}"
    assert bot.server.problems[mark.problems :] == []
    assert bot.emulator.ui_errors[mark.ui_errors :] == []


# ---------------------------------------------------------------------- connecting


def test_bot_connects_with_its_app_token_and_gets_hello(socket_bot: SocketBot) -> None:
    emu, server = socket_bot.emulator, socket_bot.server
    call = emu.calls_to("apps.connections.open")[-1]
    assert call.ok
    url = urllib.parse.urlsplit(call.response["url"])
    assert (url.scheme, url.hostname, url.port, url.path) == ("ws", "127.0.0.1", server.port, "/link/")
    [ticket] = urllib.parse.parse_qs(url.query)["ticket"]

    conn = server.open_connections[-1]
    assert f"ticket={ticket}" in conn.path, "the bot opened the URL it was given"
    assert conn.headers["upgrade"].lower() == "websocket"
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
        with connect(url) as first:
            assert json.loads(first.recv(timeout=2))["type"] == "hello"
        with pytest.raises(InvalidStatus) as reused:
            connect(url)
        assert reused.value.response.status_code == 401
    assert emu.calls_to("apps.connections.open")[0].ok


# ---------------------------------------------------------------------- the endpoint, with websockets' client


def test_socket_mode_endpoint_hello_envelopes_acks_and_closes() -> None:
    with SocketModeServer(app_id="A0OOPS", ping_interval=None) as server:
        with connect(server.issue_url()) as client:
            hello = json.loads(client.recv(timeout=2))
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0OOPS"} and "host" in hello["debug_info"]
            [conn] = server.connections
            assert conn.is_open and conn.opened_at is not None

            payload = {"command": "/oops", "text": "x" * 70_000}  # over 64 KiB: the 64-bit length form
            delivery = server.deliver("slash_commands", payload)
            envelope = json.loads(client.recv(timeout=2))
            assert envelope == {
                "envelope_id": delivery.envelope_id,
                "payload": payload,
                "type": "slash_commands",
                "accepts_response_payload": True,
                "retry_attempt": 0,
                "retry_reason": "",
            }
            # The ack, sent in two fragments, is read as one message.
            ack = json.dumps({"envelope_id": delivery.envelope_id, "payload": {"text": "ok"}})
            client.send([ack[:10], ack[10:]])
            received = server.wait_ack(delivery, timeout=2)
            assert received is not None and received.payload == {"text": "ok"}
            assert 0 <= received.elapsed_seconds < 2

            # Same envelope again, as Slack retries.
            again = server.redeliver(delivery.envelope_id)
            retried = json.loads(client.recv(timeout=2))
            assert retried["envelope_id"] == delivery.envelope_id and retried["payload"] == payload
            assert (retried["retry_attempt"], retried["retry_reason"]) == (1, "timeout")
            assert again.retry_attempt == 1

            # Pings both ways; the client's are recorded.
            assert client.ping(b"are you there").wait(2)
            server.wait_for(lambda _: b"are you there" in conn.pings_received, timeout=2)
            assert server.ping(timeout=2) >= 0

            # Slack asks for a reconnect with a disconnect message.
            server.send_disconnect("refresh_requested")
            assert json.loads(client.recv(timeout=2))["reason"] == "refresh_requested"

            client.close(CloseCode.NORMAL_CLOSURE, "bye")
        assert conn.wait_closed(2)
        assert (conn.closed_by, conn.close_code, conn.close_reason) == ("client", 1000, "bye")
        assert not conn.is_open and server.problems == []

        # A binary message is not Socket Mode: the server closes with 1003 and records it.
        with connect(server.issue_url()) as rude:
            rude.recv(timeout=2)
            rude.send(b'{"envelope_id": "x"}')
            with pytest.raises(ConnectionClosedError) as closed:
                rude.recv(timeout=2)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == CloseCode.UNSUPPORTED_DATA
        rude_conn = server.connections[-1]
        assert rude_conn.wait_closed(2) and (rude_conn.closed_by, rude_conn.close_code) == ("server", 1003)
        assert [p for p in server.problems if "1003" in p], server.problems

        # A bot still connected when Slack's endpoint stops is told 1001 (going away).
        with connect(server.issue_url()) as lingering:
            lingering.recv(timeout=2)
            server.stop()
            with pytest.raises(ConnectionClosedOK) as gone:
                lingering.recv(timeout=2)
        assert gone.value.rcvd is not None and gone.value.rcvd.code == CloseCode.GOING_AWAY
        assert server.connections[-1].closed_by == "server" and not server.running


def test_socket_mode_endpoint_refuses_bad_handshakes_with_http_errors() -> None:
    with SocketModeServer(app_id="A0OOPS", ping_interval=None) as server:
        url = server.issue_url()

        # A plain HTTP GET (no Upgrade) is refused, and does not spend the ticket.
        with pytest.raises(urllib.error.HTTPError) as plain:
            urllib.request.urlopen(url.replace("ws://", "http://"), timeout=5)
        assert plain.value.code == 426
        plain.value.close()
        with connect(url) as client:
            assert json.loads(client.recv(timeout=2))["type"] == "hello"

        refused: dict[str, int] = {}
        for what, bad_url in {
            "used ticket": url,
            "forged ticket": f"ws://127.0.0.1:{server.port}/link/?ticket=forged",
            "no ticket": f"ws://127.0.0.1:{server.port}/link/",
            "wrong path": url.replace("/link/", "/other/"),
        }.items():
            with pytest.raises(InvalidStatus) as status:
                connect(bad_url)
            refused[what] = status.value.response.status_code
        assert refused == {"used ticket": 401, "forged ticket": 401, "no ticket": 401, "wrong path": 404}
        assert len([p for p in server.problems if "handshake refused" in p]) == 5, server.problems
        assert [c.opened_at is not None for c in server.connections] == [
            False,
            True,
            False,
            False,
            False,
            False,
        ]


# ---------------------------------------------------------------------- the bot over the socket


def test_slash_command_over_the_socket_opens_the_report_modal(socket_bot: SocketBot) -> None:
    bot, emu = socket_bot, socket_bot.emulator
    mark, opened_before = bot.mark(), len(emu.calls_to("views.open"))
    response = bot.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    assert response.ok and response.elapsed_seconds < ACK_DEADLINE_SECONDS
    assert response.json is None, "a bare ack: the modal is the answer"
    assert (response.delivery.type, response.delivery.accepts_response_payload) == ("slash_commands", True)
    bot.settle()

    [views_open] = emu.calls_to("views.open")[opened_before:]
    assert views_open.ok, views_open.response
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.REPORT_VIEW
    assert emu.view_stack(REPORTER) == [view["id"]]
    runbook = next(b for b in view["blocks"] if b.get("block_id") == "runbook")
    assert runbook["element"]["initial_option"]["value"] == "email-campaign"
    _assert_every_ack_in_time(bot, mark)


def test_report_submission_over_the_socket_creates_header_and_thread(socket_bot: SocketBot) -> None:
    bot, emu = socket_bot, socket_bot.emulator
    mark = bot.mark()
    _, submitted = _report(bot)
    assert submitted.ok and submitted.json is None, "a valid report closes the modal"
    assert submitted.delivery.type == "interactive" and submitted.delivery.accepts_response_payload
    assert emu.view_stack(REPORTER) == []

    [header] = bot.new_channel_messages(mark)
    [incident] = bot.new_incidents(mark)
    assert re.search(rf"\b{incident.ref}\b", header.text) and SUMMARY in header.text
    replies = emu.thread(INCIDENT_CHANNEL, header.ts)[1:]
    assert len(replies) >= 3, [r.text for r in replies]
    texts = " ".join(r.text + json.dumps(r.blocks) for r in replies)
    assert "Scale" in texts and "Decide" in texts
    assert incident.header_ts == header.ts and incident.reporter == REPORTER
    assert incident.source_key == f"view:{submitted.delivery.payload['view']['id']}"

    # The thread's buttons work over the socket too: Decide opens the decision modal.
    action_id = ids.DECIDE_PREFIX + incident.recommendation
    prompt = next(m for m in replies if action_id in json.dumps(m.blocks))
    clicked = bot.driver.click(INCIDENT_CHANNEL, prompt.ts, action_id, user="U0MARC")
    bot.settle()
    assert clicked.ok and not clicked.delivery.accepts_response_payload, "block_actions take a bare ack"
    assert emu.opened_views[-1]["callback_id"] == ids.DECIDE_VIEW
    _assert_every_ack_in_time(bot, mark)


def test_invalid_submission_is_answered_with_errors_in_the_ack(socket_bot: SocketBot) -> None:
    bot, emu = socket_bot, socket_bot.emulator
    mark = bot.mark()
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
    assert bot.new_incidents(mark) == [] and bot.new_channel_messages(mark) == []
    _assert_every_ack_in_time(bot, mark)


def test_redelivered_submission_creates_one_incident(socket_bot: SocketBot) -> None:
    bot, emu, server = socket_bot, socket_bot.emulator, socket_bot.server
    mark = bot.mark()
    _, submitted = _report(bot)
    [header] = bot.new_channel_messages(mark)
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

    assert len(bot.new_incidents(mark)) == 1
    assert [m.ts for m in bot.new_channel_messages(mark)] == [header.ts]
    assert len(emu.thread(INCIDENT_CHANNEL, header.ts)) == thread_before
    new_ephemerals = emu.ephemerals[mark.ephemerals :]
    assert new_ephemerals == [], [e.text for e in new_ephemerals]
    _assert_every_ack_in_time(bot, mark)


def test_bot_reconnects_when_slack_refreshes_the_connection(socket_bot: SocketBot) -> None:
    bot, emu, server = socket_bot, socket_bot.emulator, socket_bot.server
    mark = bot.mark()
    old = server.open_connections[-1]
    server.send_disconnect("refresh_requested")
    new = server.wait_connected(timeout=5, total=mark.connections_opened + 1)
    assert new is not old and old.wait_closed(5)
    assert [c.ok for c in emu.calls_to("apps.connections.open")[mark.connection_urls :]] == [True]
    assert server.open_connections == [new], "the old connection is closed, not left dangling"

    response = bot.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    assert response.ok and response.delivery.connection_id == new.id
    bot.settle()
    assert emu.opened_views[-1]["callback_id"] == ids.REPORT_VIEW
    _assert_every_ack_in_time(bot, mark)


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
