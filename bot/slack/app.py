"""The Bolt app: which listener answers which command, click and submission."""

from __future__ import annotations

import logging
import re
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.listeners import Listeners

log = logging.getLogger(__name__)
COMMAND = "/oops"


def build_app(listeners: Listeners, client: WebClient, signing_secret: str, executor: Executor) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret,
        listener_executor=executor,
        # Our listeners ack first and finish after; the response must not wait for them.
        process_before_response=False,
    )
    register(app, listeners)

    @app.error
    def _on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        log.exception("listener failed", exc_info=error)
        return BoltResponse(status=500, body="")

    return app


def register(app: App, on: Listeners) -> None:
    lazy = on._guarded
    app.command(COMMAND)(on.open_report)
    app.action(ids.RUNBOOK_SELECT)(on.switch_runbook)
    app.view(ids.REPORT_VIEW)(ack=on.check_report, lazy=[lazy(on.create_incident)])

    app.action(ids.REASSESS)(on.open_reassess)
    app.view(ids.REASSESS_VIEW)(ack=on.check_reassess, lazy=[lazy(on.reassess)])
    app.action(ids.ADD_DEPARTMENT)(ack=on.ack_only, lazy=[lazy(on.add_department)])

    app.action(re.compile("^" + re.escape(ids.DECIDE_PREFIX)))(on.open_decide)
    app.view(ids.DECIDE_VIEW)(ack=on.check_decide, lazy=[lazy(on.decide)])
    app.action(ids.CHANGE_DECISION)(ack=on.ack_only, lazy=[lazy(on.change_decision)])

    app.action(ids.DRAFT_REGENERATE)(ack=on.ack_only, lazy=[lazy(on.regenerate)])
    app.action(ids.DRAFT_EDIT)(on.open_edit)
    app.view(ids.EDIT_DRAFT_VIEW)(ack=on.check_edit, lazy=[lazy(on.save_edit)])
    app.action(ids.DRAFT_APPROVE)(ack=on.ack_only, lazy=[lazy(on.approve)])

    app.action(ids.RETRO_WHEN)(on.ack_only)
    app.action(ids.RETRO_SCHEDULE)(ack=on.ack_only, lazy=[lazy(on.schedule_retro)])
    app.action(ids.RETRO_START)(on.open_retro)
    app.action(ids.RETRO_HOLD)(on.open_retro)
    app.view(ids.RETRO_VIEW)(ack=on.check_retro, lazy=[lazy(on.submit_retro)])
