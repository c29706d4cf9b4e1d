"""HTTP mode: Slack's requests on /slack/events, served by waitress (a production WSGI server).

Bolt verifies each request's signature (X-Slack-Signature over the raw body, within 5 minutes)
before any listener sees it. /healthz answers load balancers without touching Slack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import create_server
from waitress.server import BaseWSGIServer, MultiSocketServer

EVENTS_PATH = "/slack/events"


def wsgi_app(app: App) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return application


def make_server(
    app: App, host: str = "0.0.0.0", port: int = 3000, threads: int = 8
) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server; ``port=0`` picks a free one (read it back from ``server.effective_port``)."""
    return create_server(wsgi_app(app), host=host, port=port, threads=threads, ident="oops")


class BackgroundServer:
    """Serve on a thread and stop cleanly: the loop thread itself closes the sockets, so no select()
    is left waiting on a closed descriptor (the demo and the tests start and stop many servers)."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        self.server = make_server(app, host=host, port=port, threads=threads)
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
