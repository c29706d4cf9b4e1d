"""Slack's Socket Mode, emulated: a WebSocket server speaking Slack's envelope protocol.

``oops serve`` runs in Socket Mode by default, so the tests must drive the bot the way Slack does
there: the bot calls ``apps.connections.open`` with its app-level token, opens the returned
``ws://`` URL, gets a ``hello``, then receives envelopes (``slash_commands``, ``interactive``,
``events_api``) and must answer each with ``{"envelope_id": ..., "payload": ...}`` within 3 seconds.
Every delivery and ack is recorded with its timing, and an envelope can be delivered again
(same envelope_id, ``retry_attempt`` + 1), as Slack retries, to test duplicate handling.

The WebSocket protocol itself (handshake, framing, ping/pong, closing) is the maintained
``websockets`` library's threading server, on 127.0.0.1 without TLS; this module adds what Slack
adds on top: one-use tickets in the URL, the hello, envelopes and their acks.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.sync.server import Server, ServerConnection, serve

from slack_emulator.limits import ACK_DEADLINE_SECONDS

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
LINK_PATH = "/link/"
ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
DEBUG_HOST = "applink-emulator"
# Slack pings every connection now and then. The emulator pings often: slack_sdk's close() waits for
# its reader's blocking recv (3 s timeout on ws://) to return, and a ping wakes it so closing is prompt.
KEEPALIVE_SECONDS = 0.1
CLOSE_TIMEOUT_SECONDS = 1.0  # how long a close waits for the client's answering close frame
NORMAL_CLOSES = frozenset({CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY})


# ---------------------------------------------------------------------- Socket Mode records


@dataclass
class Ack:
    """The bot's acknowledgement of one delivery, and how long after the delivery it came."""

    envelope_id: str
    payload: dict[str, Any] | None
    received_at: float  # time.monotonic()
    elapsed_seconds: float
    raw: dict[str, Any]


@dataclass
class Delivery:
    """One envelope sent to the bot (a retry is another Delivery with the same envelope_id)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int
    retry_reason: str
    connection_id: int
    sent_at: float  # time.monotonic()
    ack: Ack | None = None

    def message(self) -> dict[str, Any]:
        """The envelope exactly as Slack writes it on the socket."""
        return {
            "envelope_id": self.envelope_id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
        }


def default_accepts_response_payload(envelope_type: str, payload: dict[str, Any]) -> bool:
    """Slack lets the ack carry a response for slash commands, view submissions and option loads."""
    if envelope_type == "slash_commands":
        return True
    if envelope_type == "interactive":
        return payload.get("type") in ("view_submission", "block_suggestion")
    return False


# ---------------------------------------------------------------------- one WebSocket connection


class SocketConnection:
    """One WebSocket handshake Slack's endpoint received, and what became of it (for tests to read)."""

    def __init__(self, connection_id: int, path: str, headers: dict[str, str]) -> None:
        self.id = connection_id
        self.path = path
        self.headers = headers  # the handshake request's headers, names in lower case
        self.opened_at: float | None = None  # time.monotonic() of the handshake's 101
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed_by: str | None = None  # "client", "server" or "eof"
        self.pings_received: list[bytes] = []
        self.pongs_received: list[bytes] = []
        self._ws: ServerConnection | None = None
        self._hello_sent = threading.Event()
        self._closed = threading.Event()

    @property
    def is_open(self) -> bool:
        """Hello sent and not closing: envelopes can go out on it."""
        ws = self._ws
        return ws is not None and self._hello_sent.is_set() and ws.state is State.OPEN

    def wait_closed(self, timeout: float) -> bool:
        """Whether the connection closed within ``timeout`` seconds."""
        return self._closed.wait(timeout)

    join = wait_closed

    def _socket(self) -> ServerConnection:
        if self._ws is None:
            raise ConnectionError(f"Socket Mode connection {self.id} never opened")
        return self._ws

    def send_json(self, message: dict[str, Any]) -> None:
        """Send ``message`` as a JSON text message; ConnectionError once the connection is closing."""
        try:
            self._socket().send(json.dumps(message))
        except ConnectionClosed as exc:
            raise ConnectionError(f"Socket Mode connection {self.id} is closed: {exc}") from exc

    def ping(self, payload: bytes | None = None) -> threading.Event:
        """Send a ping; the event is set when the client's pong comes back."""
        try:
            return self._socket().ping(payload)
        except ConnectionClosed as exc:
            raise ConnectionError(f"Socket Mode connection {self.id} is closed: {exc}") from exc

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake and wait (briefly) for the client to answer it."""
        if self._ws is not None:
            self._ws.close(code, reason)

    def _record_close(self, closed: ConnectionClosed | None) -> None:
        """Who closed, with which code: from the close frames websockets saw each way."""
        if closed is None or (closed.rcvd is None and closed.sent is None):
            self.closed_by = "eof"
            return
        by_client = closed.sent is None or bool(closed.rcvd_then_sent)
        frame = closed.rcvd if by_client else closed.sent
        assert frame is not None
        self.closed_by = "client" if by_client else "server"
        self.close_code, self.close_reason = int(frame.code), frame.reason


class _Link(ServerConnection):
    """websockets' server connection, noting the pings and pongs the client sends (tests read them)."""

    record: SocketConnection | None = None

    def process_event(self, event: Any) -> None:
        """Note control frames, then let websockets handle every event as it does."""
        if isinstance(event, Frame) and self.record is not None:
            if event.opcode is Opcode.PING:
                self.record.pings_received.append(bytes(event.data))
            elif event.opcode is Opcode.PONG:
                self.record.pongs_received.append(bytes(event.data))
        super().process_event(event)


# ---------------------------------------------------------------------- the Socket Mode endpoint


class SocketModeServer:
    """Slack's Socket Mode endpoint on 127.0.0.1: issues tickets, says hello, delivers envelopes.

    Everything is recorded (deliveries with their acks and timings, refused handshakes, unexpected
    closes), so tests check what Slack would have seen: an ack within 3 s, the ack's response
    payload, one incident for a redelivered envelope.
    """

    def __init__(
        self,
        app_id: str = "A0OOPS",
        *,
        host: str = "127.0.0.1",
        ping_interval: float | None = KEEPALIVE_SECONDS,
    ) -> None:
        self.app_id = app_id
        self.host = host
        self.ping_interval = ping_interval
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._tickets: dict[str, bool] = {}  # ticket -> redeemed
        self._connections: list[SocketConnection] = []
        self._deliveries: list[Delivery] = []
        self._acks: list[Ack] = []
        self._other_messages: list[str] = []
        self._problems: list[str] = []
        self._counter = 0
        self._server: Server | None = None
        self._serve_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeServer:
        """Listen on a free port; websockets accepts in a thread and runs each connection in its own."""
        if self._server is not None:
            return self
        self._server = serve(
            self._serve_connection,
            self.host,
            0,
            process_request=self._process_request,
            process_response=self._process_response,
            create_connection=_Link,
            compression=None,
            ping_interval=self.ping_interval,
            close_timeout=CLOSE_TIMEOUT_SECONDS,
            max_size=MAX_MESSAGE_BYTES,
        )
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, name="socket-mode-accept", daemon=True
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        """Close every connection (1001 going away) and stop listening; records stay readable."""
        server, thread = self._server, self._serve_thread
        if server is None:
            return
        self._server = self._serve_thread = None
        server.shutdown()  # closes open connections with 1001 and waits for their threads
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether it accepts connections (between start() and stop())."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (start() first)."""
        if self._server is None:
            raise RuntimeError("SocketModeServer is not started")
        return int(self._server.socket.getsockname()[1])

    # ------------------------------------------------------------------ the handshake

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """Record the attempt; websockets then checks it is a WebSocket handshake."""
        with self._lock:
            self._counter += 1
            record = SocketConnection(
                self._counter, request.path, {k.lower(): v for k, v in request.headers.raw_items()}
            )
            self._connections.append(record)
        if isinstance(ws, _Link):
            ws.record = record
        return None

    def _process_response(
        self, ws: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        """A valid WebSocket handshake must also be for the link path with an unused ticket."""
        record = ws.record if isinstance(ws, _Link) else None
        if response.status_code == 101:
            url = urllib.parse.urlsplit(request.path)
            ticket = urllib.parse.parse_qs(url.query).get("ticket", [""])[0]
            if url.path.rstrip("/") != LINK_PATH.rstrip("/"):
                response = ws.respond(404, f"no WebSocket endpoint at {url.path!r}\n")
            elif not self._redeem(ticket):
                response = ws.respond(401, f"invalid or used ticket {ticket!r}\n")
            else:
                return None
        who = f"connection {record.id}" if record is not None else "a connection"
        why = response.body.decode("utf-8", errors="replace").strip()
        self._record_problem(f"{who}: handshake refused ({response.status_code}): {why}")
        if record is not None:
            record.closed_by = "server"
            record._closed.set()
        return response

    # ------------------------------------------------------------------ one open connection

    def _serve_connection(self, ws: ServerConnection) -> None:
        """Say hello, then read acks until the connection closes (websockets' handler thread)."""
        record = ws.record if isinstance(ws, _Link) else None
        if record is None:  # not a connection made by start(): nothing to record it in
            ws.close(CloseCode.INTERNAL_ERROR, "unknown connection")
            return
        record._ws = ws
        record.opened_at = time.monotonic()
        closed: ConnectionClosed | None = None
        try:
            # Counted as sent before it is: a client that reads the hello may look at once, and
            # must find the connection open (a send that fails closes it, which is_open sees).
            hello = json.dumps(self._hello())  # counts the connections open before this one
            record._hello_sent.set()
            ws.send(hello)
            self._notify()
            while True:
                message = ws.recv()
                if isinstance(message, bytes):
                    ws.close(CloseCode.UNSUPPORTED_DATA, "Socket Mode messages are JSON text frames")
                    continue
                self._on_text(record, message)
        except ConnectionClosed as exc:
            closed = exc
        finally:
            record._record_close(closed)
            if record.close_code is not None and record.close_code not in NORMAL_CLOSES:
                self._record_problem(
                    f"connection {record.id}: closed by the {record.closed_by} with "
                    f"{record.close_code} {record.close_reason!r}"
                )
            record._closed.set()
            self._notify()

    # ------------------------------------------------------------------ tickets (apps.connections.open)

    def issue_url(self) -> str:
        """A fresh ``ws://`` URL for apps.connections.open; its ticket opens one connection."""
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets[ticket] = False
        return f"ws://{self.host}:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    def _redeem(self, ticket: str) -> bool:
        with self._lock:
            if self._tickets.get(ticket) is not False:
                return False
            self._tickets[ticket] = True
            return True

    # ------------------------------------------------------------------ connection events

    def _hello(self) -> dict[str, Any]:
        """Slack's first message on a new connection (counting the one being opened)."""
        return {
            "type": "hello",
            "num_connections": 1 + len(self.open_connections),
            "debug_info": {"host": DEBUG_HOST, "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }

    def _notify(self) -> None:
        with self._lock:
            self._changed.notify_all()

    def _record_problem(self, description: str) -> None:
        with self._lock:
            self._problems.append(description)
            self._changed.notify_all()

    def _on_text(self, conn: SocketConnection, text: str) -> None:
        """An ack is ``{"envelope_id": ..., "payload": {...}}``; it answers the oldest unacked delivery."""
        now = time.monotonic()
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            message = None
        with self._lock:
            if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
                self._other_messages.append(text)
                self._problems.append(f"connection {conn.id}: message that is not an ack: {text[:200]}")
                self._changed.notify_all()
                return
            envelope_id = message["envelope_id"]
            pending = [d for d in self._deliveries if d.envelope_id == envelope_id and d.ack is None]
            known = [d for d in self._deliveries if d.envelope_id == envelope_id]
            target = pending[0] if pending else (known[-1] if known else None)
            payload = message.get("payload")
            ack = Ack(
                envelope_id=envelope_id,
                payload=payload if isinstance(payload, dict) else None,
                received_at=now,
                elapsed_seconds=now - target.sent_at if target is not None else 0.0,
                raw=message,
            )
            self._acks.append(ack)
            if target is None:
                self._problems.append(f"connection {conn.id}: ack for unknown envelope {envelope_id}")
            elif target.ack is None:
                target.ack = ack
            else:
                self._problems.append(f"connection {conn.id}: envelope {envelope_id} acked twice")
            self._changed.notify_all()

    # ------------------------------------------------------------------ what tests read

    @property
    def connections(self) -> list[SocketConnection]:
        """Every connection ever accepted, oldest first (live objects)."""
        with self._lock:
            return list(self._connections)

    @property
    def open_connections(self) -> list[SocketConnection]:
        """Connections that can receive envelopes now."""
        return [c for c in self.connections if c.is_open]

    @property
    def deliveries(self) -> list[Delivery]:
        """Every envelope sent, retries included, in order (copies)."""
        with self._lock:
            return copy.deepcopy(self._deliveries)

    @property
    def acks(self) -> list[Ack]:
        """Every ack received, in order (copies)."""
        with self._lock:
            return copy.deepcopy(self._acks)

    @property
    def problems(self) -> list[str]:
        """Protocol errors, refused handshakes, stray or duplicate acks: each one a bug somewhere."""
        with self._lock:
            return list(self._problems)

    @property
    def tickets_issued(self) -> int:
        """How many times apps.connections.open handed out a URL."""
        with self._lock:
            return len(self._tickets)

    def wait_for(self, predicate: Callable[[SocketModeServer], bool], timeout: float = 5.0) -> None:
        """Block until ``predicate(self)`` holds (the client works in its own threads)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"Socket Mode condition not met within {timeout:.1f}s; "
                        f"connections open: {len(self.open_connections)}, problems: {self._problems[-5:]}"
                    )
                self._changed.wait(timeout=min(remaining, 0.05))

    def wait_connected(self, timeout: float = 5.0, *, total: int = 1) -> SocketConnection:
        """Wait until ``total`` connections have been opened in all and the newest is open."""

        def ready(server: SocketModeServer) -> bool:
            opened = [c for c in server.connections if c.opened_at is not None]
            return len(opened) >= total and opened[-1].is_open

        self.wait_for(ready, timeout)
        return self.open_connections[-1]

    # ------------------------------------------------------------------ sending

    def _target(self, connection: SocketConnection | None) -> SocketConnection:
        if connection is not None:
            return connection
        live = self.open_connections
        if not live:
            raise ConnectionError("no open Socket Mode connection: is the bot connected?")
        return live[-1]  # the newest, as a refreshed client expects

    def deliver(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        connection: SocketConnection | None = None,
    ) -> Delivery:
        """Send one envelope to the bot; the Delivery collects the ack when it comes."""
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {envelope_type!r}; Slack sends {sorted(ENVELOPE_TYPES)}")
        conn = self._target(connection)
        accepts = (
            default_accepts_response_payload(envelope_type, payload)
            if accepts_response_payload is None
            else accepts_response_payload
        )
        delivery = Delivery(
            envelope_id=envelope_id
            or f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}",
            type=envelope_type,
            payload=copy.deepcopy(payload),
            accepts_response_payload=accepts,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            connection_id=conn.id,
            sent_at=time.monotonic(),
        )
        with self._lock:
            self._deliveries.append(delivery)
        conn.send_json(delivery.message())
        return delivery

    def redeliver(self, envelope_id: str, *, reason: str = "timeout") -> Delivery:
        """Slack's retry: the same envelope_id and payload again, with the next retry_attempt."""
        with self._lock:
            earlier = [d for d in self._deliveries if d.envelope_id == envelope_id]
        if not earlier:
            raise KeyError(f"envelope {envelope_id} was never delivered")
        first = earlier[0]
        return self.deliver(
            first.type,
            first.payload,
            accepts_response_payload=first.accepts_response_payload,
            envelope_id=envelope_id,
            retry_attempt=max(d.retry_attempt for d in earlier) + 1,
            retry_reason=reason,
        )

    def wait_ack(self, delivery: Delivery, timeout: float = ACK_DEADLINE_SECONDS) -> Ack | None:
        """The ack for ``delivery``, or None if none came within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while delivery.ack is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(timeout=min(remaining, 0.05))
            return copy.deepcopy(delivery.ack)

    def send_disconnect(
        self, reason: str = "refresh_requested", connection: SocketConnection | None = None
    ) -> None:
        """Ask the client to reconnect, as Slack does every few hours (``warning``, ``refresh_requested``)."""
        self._target(connection).send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": DEBUG_HOST}}
        )

    def ping(self, connection: SocketConnection | None = None, timeout: float = 3.0) -> float:
        """Ping the client and return the round trip in seconds; TimeoutError if no pong comes."""
        conn = self._target(connection)
        started = time.monotonic()
        if not conn.ping().wait(timeout):
            raise TimeoutError(f"no pong from Socket Mode connection {conn.id} within {timeout:.1f}s")
        return time.monotonic() - started
