"""HTTP mode: Slack's requests on /slack/events, served by waitress (a production WSGI server).

Bolt verifies each request's signature (X-Slack-Signature over the raw body, within 5 minutes)
before any listener sees it. /healthz answers load balancers without touching Slack.
"""

from __future__ import annotations

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
