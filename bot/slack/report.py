"""/oops and the report modal: help, resume, checklist, search and weekly (their own modules),
opening the form, switching runbook, opening the incident."""

from __future__ import annotations

import re

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack import actions, checklist, ids, search, weekly
from bot.slack.common import Body, ack_errors, guarded, open_modal
from bot.slack.payloads import answers_from, metadata, question_errors, user_id, view_key, view_values
from bot.slack.views import modals
from bot.usecases import recovery, report
from bot.usecases.context import Deps, Env

HELP = (
    "*/oops* `what happened, in one line` opens a report: scale, who to tell, decision, apology, retro.\n"
    "*/oops resume OOPS-7* posts whatever OOPS-7 is missing in this channel (after Slack refused a post).\n"
    "*/oops checklist* `[runbook id or words]` shows the pre-flight checklist past retrospectives taught.\n"
    "*/oops search* `words` finds past mistakes (filters such as `scale:big`, `runbook:ID`), to you only.\n"
    "*/oops actions* `[mine]` lists the open action items from retrospectives (all, or yours), to you only.\n"
    "*/oops weekly* `[2026-W47]` shows a week's summary (default: the last complete week), to you only.\n"
    "*/oops help* shows this."
)
RESUME = re.compile(r"^resume\s+(?:oops-)?(\d+)$", re.IGNORECASE)


def _text(body: Body) -> str:
    return " ".join((body.get("text") or "").split())


def _validate(deps: Deps, body: Body) -> tuple[report.Report | None, dict[str, str]]:
    view = body["view"]
    values = view_values(view)
    return report.validate_report(
        deps.runbooks,
        metadata(view).get("runbook"),
        values.get("summary"),
        values.get("details"),
        answers_from(values),
    )


def register(app: App, deps: Deps) -> None:
    def resume(env: Env, body: Body) -> None:
        match = RESUME.match(_text(body))
        if match is not None:
            recovery.resume(env, int(match.group(1)), body["channel_id"], user_id(body))

    run_resume = guarded(deps, resume)
    # Words after /oops that name a command of their own, each answered to the person only.
    commands = [
        (feature.wanted, guarded(deps, feature.show)) for feature in (checklist, search, weekly, actions)
    ]

    @app.command(ids.COMMAND)
    def open_report(ack: Ack, body: Body, context: BoltContext, client: WebClient) -> None:
        text = _text(body)
        if text.lower() in ("help", "?"):
            ack(text=HELP)
            return
        resume_match = RESUME.match(text)
        if resume_match:
            ack(text=f"Picking OOPS-{resume_match.group(1)} up where it stopped…")
            run_resume(body, context, client)
            return
        for wanted, run in commands:
            if wanted(text):
                ack()
                run(body, context, client)
                return
        summary, details, note = report.prefill(text)
        if note:
            ack(text=note)
        else:
            ack()
        runbook_id = report.guess_runbook(deps.runbooks, text)
        view = modals.report_modal(
            deps.runbooks, runbook_id, body["channel_id"], summary=summary, details=details
        )
        open_modal(client, body, view)

    @app.action(ids.RUNBOOK_SELECT)
    def switch_runbook(ack: Ack, body: Body, client: WebClient) -> None:
        """Picking another runbook redraws the modal with that runbook's questions."""
        ack()
        view = body["view"]
        values = view_values(view)
        runbook_id = body["actions"][0]["selected_option"]["value"]
        if runbook_id not in deps.runbooks:
            return
        new = modals.report_modal(
            deps.runbooks,
            runbook_id,
            metadata(view).get("channel", ""),
            summary=values.get("summary") or "",
            details=values.get("details") or "",
        )
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)

    def check_report(ack: Ack, body: Body) -> None:
        _, errors = _validate(deps, body)
        runbook = deps.runbooks.get(metadata(body["view"]).get("runbook") or "")
        ack_errors(ack, question_errors(errors, runbook.question_ids if runbook else ()))

    def create_incident(env: Env, body: Body) -> None:
        valid, _ = _validate(deps, body)
        if valid is None:
            return
        channel = metadata(body["view"]).get("channel") or user_id(body)
        report.open_incident(env, valid, user_id(body), channel, view_key(body))

    app.view(ids.REPORT_VIEW)(ack=check_report, lazy=[guarded(deps, create_incident)])
