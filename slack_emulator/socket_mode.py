"""Slack's Socket Mode, emulated: a small WebSocket server speaking Slack's envelope protocol.

``oops serve`` runs in Socket Mode by default, so the tests must drive the bot the way Slack does
there: the bot calls ``apps.connections.open`` with its app-level token, opens the returned
``ws://`` URL, gets a ``hello``, then receives envelopes (``slash_commands``, ``interactive``,
``events_api``) and must answer each with ``{"envelope_id": ..., "payload": ...}`` within 3 seconds.
Every delivery and ack is recorded with its timing, and an envelope can be delivered again
(same envelope_id, ``retry_attempt`` + 1), as Slack retries, to test duplicate handling.

The WebSocket layer is RFC 6455 (Upgrade handshake with Sec-WebSocket-Accept, masked client frames,
fragmentation, ping/pong, close) on 127.0.0.1 without TLS. Stdlib only, like the rest of the
emulator, because it ships inside the package.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import json
import secrets
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_emulator.limits import ACK_DEADLINE_SECONDS

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_GOING_AWAY, CLOSE_PROTOCOL_ERROR = 1000, 1001, 1002
CLOSE_UNSUPPORTED_DATA, CLOSE_INVALID_DATA, CLOSE_TOO_BIG = 1003, 1007, 1009
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_HANDSHAKE_BYTES = 16 * 1024
LINK_PATH = "/link/"
ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
DEBUG_HOST = "applink-emulator"
# Slack pings every connection now and then. The emulator pings often: slack_sdk's close() waits for
# its reader's blocking recv (3 s timeout on ws://) to return, and a ping wakes it so closing is prompt.
KEEPALIVE_SECONDS = 0.1


# ---------------------------------------------------------------------- RFC 6455 framing


def websocket_accept(key: str) -> str:
    """The Sec-WebSocket-Accept value proving the server read the client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode("ascii")).digest()).decode("ascii")


def apply_mask(data: bytes, mask: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` (masking and unmasking are the same operation)."""
    if not data:
        return data
    repeated = (mask * (len(data) // 4 + 1))[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bytes | None = None) -> bytes:
    """One frame; servers send unmasked frames, clients must pass a 4-byte ``mask``."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask is not None else 0
    length = len(payload)
    if length < 126:
        head.append(mask_bit | length)
    elif length < 1 << 16:
        head.append(mask_bit | 126)
        head += struct.pack("!H", length)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", length)
    if mask is not None:
        return bytes(head) + mask + apply_mask(payload, mask)
    return bytes(head) + payload


@dataclass
class Frame:
    """One WebSocket frame as read off the wire (payload already unmasked)."""

    fin: bool
    opcode: int
    payload: bytes
    masked: bool
    rsv: int = 0


class ProtocolError(Exception):
    """The peer broke RFC 6455; the connection is closed with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def read_frame(recv_exact: Callable[[int], bytes], max_bytes: int = MAX_MESSAGE_BYTES) -> Frame:
    """Read one frame with ``recv_exact(n)`` (which returns exactly n bytes or raises)."""
    b1, b2 = recv_exact(2)
    length = b2 & 0x7F
    if length == 126:
        length = struct.unpack("!H", recv_exact(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", recv_exact(8))[0]
    if length > max_bytes:
        raise ProtocolError(CLOSE_TOO_BIG, f"frame of {length} bytes")
    masked = bool(b2 & 0x80)
    mask = recv_exact(4) if masked else b""
    payload = recv_exact(length) if length else b""
    return Frame(
        fin=bool(b1 & 0x80),
        opcode=b1 & 0x0F,
        payload=apply_mask(payload, mask) if masked else payload,
        masked=masked,
        rsv=b1 & 0x70,
    )


def close_payload(code: int | None, reason: str = "") -> bytes:
    """The body of a close frame: 2-byte code then UTF-8 reason (empty when no code)."""
    return b"" if code is None else struct.pack("!H", code) + reason.encode("utf-8")[:123]


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
    """One accepted WebSocket: handshake, then a reader thread that answers pings and reads acks."""

    def __init__(self, server: SocketModeServer, sock: socket.socket, connection_id: int) -> None:
        self.server = server
        self.id = connection_id
        self.path = ""
        self.headers: dict[str, str] = {}
        self.opened_at: float | None = None
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed_by: str | None = None  # "client", "server" or "eof"
        self.pings_received: list[bytes] = []
        self.pongs_received: list[bytes] = []
        self._sock = sock
        self._buffer = bytearray()
        self._send_lock = threading.Lock()
        self._close_sent = False
        self._open = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"socket-mode-link-{connection_id}", daemon=True
        )

    @property
    def is_open(self) -> bool:
        """Handshake done and not closed: envelopes can go out on it."""
        return self._open.is_set() and not self._closed.is_set() and not self._close_sent

    def start(self) -> None:
        """Handshake and read in a thread of its own, so a slow client never blocks accept()."""
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the reader thread to end."""
        self._thread.join(timeout)

    def wait_closed(self, timeout: float) -> bool:
        """Whether the connection closed within ``timeout`` seconds."""
        return self._closed.wait(timeout)

    # -- sending

    def send_frame(self, opcode: int, payload: bytes = b"") -> None:
        """Write one unmasked frame; raises ConnectionError once closing (RFC 6455 5.5.1) or gone."""
        data = encode_frame(opcode, payload)
        with self._send_lock:
            if self._closed.is_set() or self._close_sent:
                raise ConnectionError(f"Socket Mode connection {self.id} is closed")
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise ConnectionError(f"Socket Mode connection {self.id}: {exc}") from exc

    def send_json(self, message: dict[str, Any]) -> None:
        """Send a text frame holding ``message`` as JSON."""
        self.send_frame(OP_TEXT, json.dumps(message).encode("utf-8"))

    def ping(self, payload: bytes = b"") -> None:
        """Send a ping; the client must answer with a pong carrying the same payload."""
        self.send_frame(OP_PING, payload)

    def close(self, code: int = CLOSE_NORMAL, reason: str = "", *, timeout: float = 1.0) -> None:
        """Start the closing handshake, wait briefly for the client, then drop the TCP connection."""
        with self._send_lock:
            if self._open.is_set() and not self._close_sent and not self._closed.is_set():
                self._close_sent = True
                self.closed_by, self.close_code, self.close_reason = "server", code, reason
                with contextlib.suppress(OSError):
                    self._sock.sendall(encode_frame(OP_CLOSE, close_payload(code, reason)))
        if not self._closed.wait(timeout):
            self._shutdown()

    def _shutdown(self) -> None:
        """Wake the reader (blocked in recv) by shutting the socket down; it closes the socket."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    # -- reading

    def _recv_exact(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self._sock.recv(max(4096, n - len(self._buffer)))
            if not chunk:
                raise ConnectionError("connection closed by peer")
            self._buffer += chunk
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def _run(self) -> None:
        try:
            if self._handshake():
                hello = encode_frame(OP_TEXT, json.dumps(self.server._hello()).encode("utf-8"))
                with self._send_lock:  # open and hello together: nothing can be sent before hello
                    self._open.set()
                    self._sock.sendall(hello)
                self.server._notify()
                self._read_loop()
        except ProtocolError as exc:
            self.server._record_problem(f"connection {self.id}: {exc.reason} (closing with {exc.code})")
            self._fail(exc.code, exc.reason)
        except (ConnectionError, OSError, TimeoutError):
            if self.closed_by is None:
                self.closed_by = "eof"
        finally:
            self._closed.set()
            with contextlib.suppress(OSError):
                self._sock.close()
            self.server._on_closed(self)

    def _handshake(self) -> bool:
        """Answer the HTTP Upgrade request: 101 with Sec-WebSocket-Accept, or an HTTP error."""
        self._sock.settimeout(5.0)
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > MAX_HANDSHAKE_BYTES:
                return self._reject(431, "Request Header Fields Too Large", "handshake too large")
            chunk = self._sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            self._buffer += chunk
        head, _, rest = bytes(self._buffer).partition(b"\r\n\r\n")
        self._buffer = bytearray(rest)
        self._sock.settimeout(None)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                self.headers[name.strip().lower()] = value.strip()
        if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
            return self._reject(400, "Bad Request", f"not a WebSocket request line: {lines[0]!r}")
        self.path = parts[1]
        upgrade = {t.strip().lower() for t in self.headers.get("upgrade", "").split(",")}
        connection = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if "websocket" not in upgrade or "upgrade" not in connection:
            return self._reject(400, "Bad Request", "missing Upgrade: websocket / Connection: Upgrade")
        if self.headers.get("sec-websocket-version") != "13":
            return self._reject(426, "Upgrade Required", "Sec-WebSocket-Version must be 13")
        key = self.headers.get("sec-websocket-key", "")
        try:
            valid_key = len(base64.b64decode(key, validate=True)) == 16
        except (binascii.Error, ValueError):
            valid_key = False
        if not valid_key:
            return self._reject(400, "Bad Request", f"bad Sec-WebSocket-Key {key!r}")
        url = urllib.parse.urlsplit(self.path)
        if url.path.rstrip("/") != LINK_PATH.rstrip("/"):
            return self._reject(404, "Not Found", f"no WebSocket endpoint at {url.path!r}")
        ticket = urllib.parse.parse_qs(url.query).get("ticket", [""])[0]
        if not self.server._redeem(ticket):
            return self._reject(401, "Unauthorized", f"invalid or used ticket {ticket!r}")
        response = (
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {websocket_accept(key)}\r\n\r\n"
        )
        with self._send_lock:
            self._sock.sendall(response.encode("ascii"))
        self.opened_at = time.monotonic()
        return True

    def _reject(self, status: int, phrase: str, why: str) -> bool:
        self.server._record_problem(f"connection {self.id}: handshake refused ({status}): {why}")
        body = why.encode("utf-8")
        head = f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        if status == 426:
            head += "Sec-WebSocket-Version: 13\r\n"
        with self._send_lock:
            self._sock.sendall(head.encode("ascii") + b"Connection: close\r\n\r\n" + body)
        self.closed_by = "server"
        return False

    def _read_loop(self) -> None:
        parts: list[bytes] = []
        message_opcode: int | None = None
        total = 0
        while True:
            frame = read_frame(self._recv_exact)
            if frame.rsv:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set without an extension")
            if not frame.masked:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "client frames must be masked (RFC 6455 5.1)")
            if frame.opcode >= 0x8:
                if not frame.fin or len(frame.payload) > 125:
                    raise ProtocolError(CLOSE_PROTOCOL_ERROR, "fragmented or oversized control frame")
                if self._control(frame):
                    return
                continue
            if frame.opcode == OP_CONTINUATION:
                if message_opcode is None:
                    raise ProtocolError(CLOSE_PROTOCOL_ERROR, "continuation frame with no message started")
            elif frame.opcode in (OP_TEXT, OP_BINARY):
                if message_opcode is not None:
                    raise ProtocolError(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
                message_opcode = frame.opcode
            else:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {frame.opcode:#x}")
            parts.append(frame.payload)
            total += len(frame.payload)
            if total > MAX_MESSAGE_BYTES:
                raise ProtocolError(CLOSE_TOO_BIG, f"message over {MAX_MESSAGE_BYTES} bytes")
            if not frame.fin:
                continue
            data, opcode = b"".join(parts), message_opcode
            parts, message_opcode, total = [], None, 0
            if opcode == OP_BINARY:
                raise ProtocolError(CLOSE_UNSUPPORTED_DATA, "Socket Mode messages are JSON text frames")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolError(CLOSE_INVALID_DATA, "text frame is not UTF-8") from exc
            self.server._on_text(self, text)

    def _control(self, frame: Frame) -> bool:
        """Handle ping/pong/close; True once the connection is finished."""
        if frame.opcode == OP_PING:
            self.pings_received.append(frame.payload)
            with contextlib.suppress(ConnectionError):  # no pong once our close is out
                self.send_frame(OP_PONG, frame.payload)
            return False
        if frame.opcode == OP_PONG:
            self.pongs_received.append(frame.payload)
            self.server._notify()
            return False
        if frame.opcode == OP_CLOSE:
            code = struct.unpack("!H", frame.payload[:2])[0] if len(frame.payload) >= 2 else None
            reason = frame.payload[2:].decode("utf-8", errors="replace")
            with self._send_lock:
                if not self._close_sent:
                    self.closed_by, self.close_code, self.close_reason = "client", code, reason
                    self._close_sent = True
                    with contextlib.suppress(OSError):
                        self._sock.sendall(encode_frame(OP_CLOSE, close_payload(code)))
            return True
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown control opcode {frame.opcode:#x}")

    def _fail(self, code: int, reason: str) -> None:
        """Close after a protocol error, as RFC 6455 7.1.7 asks."""
        self.closed_by, self.close_code, self.close_reason = "server", code, reason
        with self._send_lock:
            if not self._close_sent:
                self._close_sent = True
                with contextlib.suppress(OSError):
                    self._sock.sendall(encode_frame(OP_CLOSE, close_payload(code, reason)))
        self._shutdown()


# ---------------------------------------------------------------------- the Socket Mode endpoint


class SocketModeServer:
    """Slack's Socket Mode endpoint on 127.0.0.1: issues tickets, says hello, delivers envelopes.

    Everything is recorded (deliveries with their acks and timings, protocol problems), so tests
    check what Slack would have seen: an ack within 3 s, the ack's response payload, one incident
    for a redelivered envelope.
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
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._keepalive_thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeServer:
        """Listen on a free port and accept in a daemon thread."""
        if self._listener is not None:
            return self
        listener = socket.create_server((self.host, 0))
        listener.settimeout(0.05)  # accept() polls so stop() is prompt
        self._listener = listener
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="socket-mode-accept", daemon=True
        )
        self._accept_thread.start()
        if self.ping_interval:
            self._keepalive_thread = threading.Thread(
                target=self._keepalive_loop,
                args=(self.ping_interval,),
                name="socket-mode-keepalive",
                daemon=True,
            )
            self._keepalive_thread.start()
        return self

    def stop(self) -> None:
        """Close every connection (1001 going away) and stop listening; records stay readable."""
        if self._listener is None:
            return
        self._stopping.set()
        for thread in (self._accept_thread, self._keepalive_thread):
            if thread is not None:
                thread.join(timeout=5)
        self._listener.close()
        self._listener = None
        self._accept_thread = self._keepalive_thread = None
        for conn in self.connections:
            conn.close(CLOSE_GOING_AWAY, "server stopping", timeout=0.5)
            conn.join(timeout=5)

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether it accepts connections (between start() and stop())."""
        return self._listener is not None

    @property
    def port(self) -> int:
        """The bound port (start() first)."""
        if self._listener is None:
            raise RuntimeError("SocketModeServer is not started")
        return int(self._listener.getsockname()[1])

    def _accept_loop(self) -> None:
        assert self._listener is not None
        listener = self._listener
        while not self._stopping.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._counter += 1
                conn = SocketConnection(self, sock, self._counter)
                self._connections.append(conn)
            conn.start()

    def _keepalive_loop(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            for conn in self.open_connections:
                with contextlib.suppress(ConnectionError):
                    conn.ping(b"keepalive")

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

    def _on_closed(self, conn: SocketConnection) -> None:
        self._notify()

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
        payload = secrets.token_hex(8).encode("ascii")
        started = time.monotonic()
        conn.ping(payload)
        self.wait_for(lambda _: payload in conn.pongs_received, timeout)
        return time.monotonic() - started
