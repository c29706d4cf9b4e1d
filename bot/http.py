"""HTTP mode: Slack's requests on /slack/events, served by waitress (a production WSGI server).

Every request is checked here before Bolt sees it, in this order: the signature (slack_sdk's
SignatureVerifier over the raw body, within 5 minutes), then the body's syntax, then the shape of the
fields Bolt and our listeners read. Anything that fails gets a 4xx and one log line: Bolt would
otherwise raise while parsing it and answer 500 with a traceback. /healthz answers load balancers.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from waitress import create_server
from waitress.server import BaseWSGIServer, MultiSocketServer

from bot.slack.shape import shape_error

EVENTS_PATH = "/slack/events"
# Slack's largest request, a 100-block modal submitted with every input full, stays well under this.
MAX_BODY_BYTES = 4 * 1024 * 1024
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
log = logging.getLogger(__name__)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class Refused(Exception):
    """A request answered before Bolt: ``status`` and a short reason (logged, never echoed in full)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def wsgi_app(app: App, signing_secret: str) -> WsgiApp:
    """The bot as a WSGI application: /healthz, and /slack/events through the checks above."""
    verifier = SignatureVerifier(signing_secret)

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            return _answer(start_response, 200, b"ok\n")
        if path != EVENTS_PATH:
            return _answer(start_response, 404, b"not found\n")
        if method != "POST":
            return _answer(start_response, 405, b"POST only\n", [("Allow", "POST")])
        try:
            response = app.dispatch(_bolt_request(environ, verifier))
        except Refused as refused:
            log.warning(
                "refused a request to %s from %s: %s %s",
                path,
                environ.get("REMOTE_ADDR", "?"),
                refused.status,
                refused.reason,
            )
            return _answer(start_response, refused.status, f"{refused.reason}\n".encode())
        return _bolt_answer(start_response, response)

    return application


def _bolt_request(environ: Environ, verifier: SignatureVerifier) -> BoltRequest:
    """The request as Bolt takes it, once it is known to come from Slack and to be well formed."""
    raw = _read_body(environ)
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    if timestamp is None or signature is None:
        raise Refused(401, "not signed (X-Slack-Request-Timestamp or X-Slack-Signature missing)")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(400, "X-Slack-Request-Timestamp is not a number of seconds")
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    if not signature.isascii() or not verifier.is_valid(body, timestamp, signature):
        raise Refused(401, "invalid signature, or a timestamp more than 5 minutes off")
    headers = {
        name[5:].lower().replace("_", "-"): value
        for name, value in environ.items()
        if name.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    try:
        request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
    except Exception as exc:  # Bolt parses and reads the body here; any failure is the body's
        raise Refused(400, f"the body cannot be parsed ({type(exc).__name__})") from None
    problem = shape_error(request.body)
    if problem:
        raise Refused(400, f"not a Slack request: {problem}")
    return request


def _read_body(environ: Environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, "Content-Length is not a number") from None
    if length < 0:
        raise Refused(400, "Content-Length is negative")
    if length > MAX_BODY_BYTES:
        raise Refused(413, f"the body is over {MAX_BODY_BYTES} bytes")
    stream = environ.get("wsgi.input")
    return stream.read(length) if stream is not None and length else b""


def _answer(
    start_response: StartResponse, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]


def _bolt_answer(start_response: StartResponse, response: BoltResponse) -> Iterable[bytes]:
    wsgi = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
    start_response(wsgi.status, wsgi.get_headers())
    return wsgi.get_body()


def make_server(
    app: App, signing_secret: str, host: str = "0.0.0.0", port: int = 3000, threads: int = 8
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server; ``port=0`` picks a free one (read it back from ``server.effective_port``)."""
    return create_server(
        wsgi_app(app, signing_secret),
        host=host,
        port=port,
        threads=threads,
        ident="oops",
        max_request_body_size=MAX_BODY_BYTES,
    )


class BackgroundServer:
    """Serve on a thread and stop cleanly: the loop thread itself closes the sockets, so no select()
    is left waiting on a closed descriptor (the demo and the tests start and stop many servers)."""

    def __init__(
        self, app: App, signing_secret: str, host: str = "127.0.0.1", port: int = 0, threads: int = 4
    ) -> None:
        self.server = make_server(app, signing_secret, host=host, port=port, threads=threads)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="oops-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.effective_port)  # type: ignore[union-attr]

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def _loop(self) -> None:
        server = self.server
        while not self._stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)  # type: ignore[union-attr]
        server.task_dispatcher.shutdown()
        server.asyncore.close_all(server._map)  # type: ignore[union-attr]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
