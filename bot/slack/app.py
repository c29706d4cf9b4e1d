"""The Bolt app: each step's listeners register themselves, as in bolt-python's starter template."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import (
    actions,
    apology,
    assess,
    checklist,
    decide,
    followup,
    home,
    report,
    retrospective,
    search,
)
from bot.slack.common import incident_of
from bot.slack.ids import COMMAND
from bot.usecases.context import Deps

log = logging.getLogger(__name__)
STEPS = (report, assess, decide, apology, retrospective, checklist, search, home, actions, followup)
__all__ = ["COMMAND", "build_app"]


def build_app(deps: Deps, client: WebClient, signing_secret: str, executor: Executor) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret,
        listener_executor=executor,
        # Our listeners ack first and finish after; the response must not wait for them.
        process_before_response=False,
    )
    for step in STEPS:
        step.register(app, deps)

    @app.error
    def _on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        """One log line (Slack's error code, never its text, which holds the API URL), no traceback."""
        code = error.response.get("error") if isinstance(error, SlackApiError) else None
        log.error(
            "a listener failed before answering, on OOPS-%s: %s%s",
            incident_of(body or {}),
            type(error).__name__,
            f" ({code})" if code else "",
        )
        log.debug("the failure in full", exc_info=error)
        return BoltResponse(status=500, body="")

    return app
