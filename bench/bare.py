"""The floor: a bare Bolt app that only acknowledges /oops and opens a view.

Built exactly as the bot builds its app (same Bolt settings, a listener pool of the same size) and
served by the same waitress server with the same threads, so any gap the bench shows between the two
is the bot's own work. ``python -m bench.bare --port N`` serves it the way ``oops serve --http`` does,
reading SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL from the environment.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

COMMAND = "/oops"
LISTENER_THREADS = 10  # the bot's listener pool (bot.runtime.TrackingExecutor)
VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": "bare_report",
    "title": {"type": "plain_text", "text": "Report a mistake"},
    "submit": {"type": "plain_text", "text": "Open incident"},
    "blocks": [
        {
            "type": "input",
            "block_id": "summary",
            "label": {"type": "plain_text", "text": "What happened?"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


def build_bare_app(client: WebClient, signing_secret: str, executor: Executor | None = None) -> App:
    """A Bolt app with one listener: ack /oops, then open a modal with the request's trigger_id."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        listener_executor=executor
        or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="bare-listener"),
        process_before_response=False,
    )

    @app.command(COMMAND)
    def open_report(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=VIEW)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Serve the bare Bolt app over HTTP, as oops serve --http does."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args()
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from waitress import create_server  # the bot's server, with the same threads, minus its checks

    api_url = os.environ.get("SLACK_API_URL") or "https://slack.com/api/"
    client = WebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=api_url if api_url.endswith("/") else api_url + "/"
    )
    app = build_bare_app(client, os.environ["SLACK_SIGNING_SECRET"])
    create_server(SlackRequestHandler(app), host=args.host, port=args.port, threads=8).run()


if __name__ == "__main__":
    main()
