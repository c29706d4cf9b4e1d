"""Slack listeners: each acknowledges at once, then turns the payload into one use-case call.

Slack waits 3 seconds for the acknowledgement and a modal's trigger_id lives 3 seconds, so a
listener opens its modal or acks first; the slow part (posting to several channels, drafting with
a model) runs in a lazy listener after the ack. Listeners hold no rules: refusals come from the
use cases as UserError and are shown only to the person who clicked.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runbook.incident import Action
from bot.runbook.model import Decision
from bot.services import DETAILS_MAX, SUMMARY_MAX, RetroInput, Services, UserError, parse_checklist
from bot.slack import ids
from bot.slack.messenger import SlackMessenger
from bot.slack.payloads import (
    action_key,
    answers_from,
    incident_id,
    metadata,
    question_errors,
    user_id,
    view_key,
    view_values,
)
from bot.slack.views import modals
from bot.snapshot import Snapshot

log = logging.getLogger(__name__)
HELP = (
    "*/oops* `what happened, in one line` opens a report: scale, who to tell, decision, apology, retro.\n"
    "*/oops resume OOPS-7* posts whatever OOPS-7 is missing in this channel (after Slack refused a post).\n"
    "*/oops help* shows this."
)
RESUME = re.compile(r"^resume\s+(?:oops-)?(\d+)$", re.IGNORECASE)
Body = dict[str, Any]


class Listeners:
    def __init__(self, services: Services, client: WebClient, messenger: SlackMessenger) -> None:
        self.services = services
        self.client = client
        self.messenger = messenger

    # telling the person ----------------------------------------------------------------------------
    def _tell(self, body: Body, text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        if channel is None:
            incident = metadata(body.get("view") or {}).get("incident")
            if incident is not None:
                channel = self.services.snapshot(int(incident)).channel
        user = user_id(body)
        try:
            if channel:
                self.messenger.tell(channel, user, text)
                return
        except SlackApiError as exc:
            log.info("no ephemeral in %s (%s); sending a direct message", channel, exc.response.get("error"))
        try:
            self.client.chat_postMessage(channel=user, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s (%s)", user, text, exc.response.get("error"))

    def _guarded(self, fn: Callable[[Body], None]) -> Callable[..., None]:
        """Run a lazy step; a refusal or a Slack error becomes a note to the person, never silence."""

        @functools.wraps(fn)
        def run(body: Body) -> None:
            try:
                fn(body)
            except UserError as exc:
                self._tell(body, str(exc))
            except SlackApiError as exc:
                log.exception("Slack refused a call")
                self._tell(
                    body,
                    f"Slack refused part of that ({exc.response.get('error')}). "
                    "What was recorded is safe; try the button again.",
                )

            except Exception:
                log.exception("%s failed", fn.__name__)
                self._tell(body, "Something went wrong on my side and it is logged. Please try that again.")

        return run

    def _ready(self, body: Body, action: Action) -> Snapshot | None:
        """The clicked incident if ``action`` fits its state; otherwise tell the person why and give None."""
        try:
            return self.services.ready_for(incident_id(body["actions"][0]["value"]), action)
        except UserError as exc:
            self._tell(body, str(exc))
            return None

    def _open(self, body: Body, view: dict[str, Any]) -> None:
        self.client.views_open(trigger_id=body["trigger_id"], view=view)

    # /oops and the report modal ------------------------------------------------------------------------
    def open_report(self, ack: Ack, body: Body) -> None:
        text = " ".join((body.get("text") or "").split())
        if text.lower() in ("help", "?"):
            ack(text=HELP)
            return
        resume = RESUME.match(text)
        if resume:
            ref = f"OOPS-{resume.group(1)}"
            ack(text=f"Picking {ref} up where it stopped…")
            self._guarded(self._resume)(body)
            return
        summary, details = (text, "") if len(text) <= SUMMARY_MAX else ("", text)
        if len(details) > DETAILS_MAX:
            ack(text=f"That was long: the first {DETAILS_MAX:,} characters are in the details; add the rest.")
        else:
            ack()
        runbook_id = self.services.suggest_runbook(text)
        self._open(
            body,
            modals.report_modal(
                self.services.runbooks, runbook_id, body["channel_id"], summary=summary, details=details
            ),
        )

    def _resume(self, body: Body) -> None:
        match = RESUME.match(" ".join((body.get("text") or "").split()))
        assert match is not None
        self.services.resume(int(match.group(1)), body["channel_id"], user_id(body))

    def switch_runbook(self, ack: Ack, body: Body) -> None:
        """Picking another runbook redraws the modal with that runbook's questions."""
        ack()
        view = body["view"]
        values = view_values(view)
        runbook_id = body["actions"][0]["selected_option"]["value"]
        if runbook_id not in self.services.runbooks:
            return
        new = modals.report_modal(
            self.services.runbooks,
            runbook_id,
            metadata(view).get("channel", ""),
            summary=values.get("summary") or "",
            details=values.get("details") or "",
        )
        self.client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)

    def check_report(self, ack: Ack, body: Body) -> None:
        _, errors = self._report(body)
        runbook = self.services.runbooks.get(metadata(body["view"]).get("runbook") or "")
        self._ack_errors(ack, question_errors(errors, runbook.question_ids if runbook else ()))

    def create_incident(self, body: Body) -> None:
        report, _ = self._report(body)
        if report is None:
            return
        channel = metadata(body["view"]).get("channel") or user_id(body)
        self.services.report(report, user_id(body), channel, view_key(body))

    def _report(self, body: Body) -> tuple[Any, dict[str, str]]:
        view = body["view"]
        values = view_values(view)
        return self.services.validate_report(
            metadata(view).get("runbook"), values.get("summary"), values.get("details"), answers_from(values)
        )

    # scale and departments ----------------------------------------------------------------------------
    def open_reassess(self, ack: Ack, body: Body) -> None:
        ack()
        snap = self._ready(body, Action.REASSESS)
        if snap is None:
            return
        runbook = self.services.runbooks[snap.runbook_id]
        answers = self.services.answers(snap.id)
        self._open(body, modals.reassess_modal(snap, runbook, answers))

    def check_reassess(self, ack: Ack, body: Body) -> None:
        incident = int(metadata(body["view"])["incident"])
        runbook = self.services.runbook_of(incident)
        errors = self.services.check_answers(incident, answers_from(view_values(body["view"])))
        self._ack_errors(ack, question_errors(errors, runbook.question_ids))

    @staticmethod
    def _ack_errors(ack: Ack, errors: dict[str, str]) -> None:
        """Errors keep the modal open with what the person typed; no errors close it."""
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def _ack_if_ready(self, ack: Ack, body: Body, action: Action, block: str) -> None:
        """Close the modal only if the incident still allows it; else say why on ``block``."""
        refusal = self.services.refusal(int(metadata(body["view"])["incident"]), action)
        self._ack_errors(ack, {block: refusal} if refusal else {})

    def check_decide(self, ack: Ack, body: Body) -> None:
        self._ack_if_ready(ack, body, Action.DECIDE, "note")

    def reassess(self, body: Body) -> None:
        if self._refused_in_modal(body, Action.REASSESS):
            return
        view = body["view"]
        self.services.reassess(
            int(metadata(view)["incident"]), answers_from(view_values(view)), user_id(body), view_key(body)
        )

    def add_department(self, body: Body) -> None:
        action = body["actions"][0]
        incident = incident_id(action["block_id"].removeprefix(ids.ADD_DEPARTMENT_BLOCK))
        self.services.add_department(
            incident, action["selected_option"]["value"], user_id(body), action_key(body)
        )

    # decision ------------------------------------------------------------------------------------------
    def open_decide(self, ack: Ack, body: Body) -> None:
        ack()
        action = body["actions"][0]
        choice = Decision(action["action_id"].removeprefix(ids.DECIDE_PREFIX))
        snap = self._ready(body, Action.DECIDE)
        if snap is None:
            return
        self._open(body, modals.decide_modal(snap, choice, self.services.config.brand.default_offer))

    def _refused_in_modal(self, body: Body, action: Action) -> bool:
        """Bolt runs a lazy step even after an 'errors' ack; the modal already said why, so stay quiet."""
        return self.services.refusal(int(metadata(body["view"])["incident"]), action) is not None

    def decide(self, body: Body) -> None:
        if self._refused_in_modal(body, Action.DECIDE):
            return
        view = body["view"]
        meta, values = metadata(view), view_values(view)
        self.services.decide(
            int(meta["incident"]),
            Decision(meta["choice"]),
            user_id(body),
            view_key(body),
            note=values.get("note") or "",
            what_was_fixed=values.get("what_was_fixed") or "",
            customer_action=values.get("customer_action") or "",
            offer=values.get("offer") or "",
        )

    def change_decision(self, body: Body) -> None:
        action = body["actions"][0]
        self.services.change_decision(incident_id(action["value"]), user_id(body), action_key(body))

    # apology -------------------------------------------------------------------------------------------
    def regenerate(self, body: Body) -> None:
        action = body["actions"][0]
        self.services.regenerate_draft(incident_id(action["value"]), user_id(body), action_key(body))

    def open_edit(self, ack: Ack, body: Body) -> None:
        ack()
        snap = self._ready(body, Action.EDIT_DRAFT)
        if snap is None:
            return
        if snap.draft is None:
            self._tell(body, f"The apology for {snap.ref} is still being written; try again in a moment.")
            return
        self._open(body, modals.edit_draft_modal(snap))

    def check_edit(self, ack: Ack, body: Body) -> None:
        meta, values = metadata(body["view"]), view_values(body["view"])
        errors = self.services.check_edit(
            int(meta["incident"]), meta.get("version"), values.get("subject") or "", values.get("body") or ""
        )
        self._ack_errors(ack, errors)

    def save_edit(self, body: Body) -> None:
        meta, values = metadata(body["view"]), view_values(body["view"])
        self.services.edit_draft(
            int(meta["incident"]),
            values.get("subject") or "",
            values.get("body") or "",
            user_id(body),
            view_key(body),
            version=meta.get("version"),
        )

    def approve(self, body: Body) -> None:
        incident, _, version = body["actions"][0]["value"].partition(":")
        self.services.approve_draft(
            incident_id(incident), user_id(body), action_key(body), version=int(version) if version else None
        )

    # retrospective -------------------------------------------------------------------------------------
    def schedule_retro(self, body: Body) -> None:
        action = body["actions"][0]
        picked = (body.get("state") or {}).get("values", {}).get("retro_when", {}).get(ids.RETRO_WHEN, {})
        stamp = picked.get("selected_date_time")
        incident = incident_id(action["value"])
        # An untouched picker may come without a value: the default it showed is what was meant.
        when = (
            datetime.fromtimestamp(int(stamp), UTC)
            if stamp is not None
            else self.services.snapshot(incident).retro_default
        )
        self.services.schedule_retro(incident, when, user_id(body), action_key(body))

    def open_retro(self, ack: Ack, body: Body) -> None:
        ack()
        snap = self._ready(body, Action.SUBMIT_RETRO)
        if snap is None:
            return
        self._open(body, modals.retro_modal(snap))

    def check_retro(self, ack: Ack, body: Body) -> None:
        errors = self.services.check_retro(self._retro(body))
        refusal = self.services.refusal(int(metadata(body["view"])["incident"]), Action.SUBMIT_RETRO)
        if refusal:
            errors["what_went_wrong"] = refusal
        self._ack_errors(ack, errors)

    def submit_retro(self, body: Body) -> None:
        if self._refused_in_modal(body, Action.SUBMIT_RETRO):
            return
        self.services.submit_retro(
            int(metadata(body["view"])["incident"]), self._retro(body), user_id(body), view_key(body)
        )

    @staticmethod
    def _retro(body: Body) -> RetroInput:
        values = view_values(body["view"])
        return RetroInput(
            what_went_wrong=values.get("what_went_wrong") or "",
            root_cause=values.get("root_cause") or "",
            what_we_change=values.get("what_we_change") or "",
            checklist=parse_checklist(values.get("checklist")),
        )

    @staticmethod
    def ack_only(ack: Ack) -> None:
        """Answer Slack now: the lazy step does the work, or (for a picker) the button that follows."""
        ack()
