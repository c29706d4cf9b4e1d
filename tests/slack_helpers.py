"""Helpers for the over-the-wire Slack tests (tests/test_slack_*.py).

Everything here plays Slack's side or reads the outcome: it builds signed request bodies the way
Slack's servers do, serves the real bot (`bot.runtime.build_runtime`) over waitress against a
SlackEmulator, and reads the database afterwards. Nothing here patches the bot's own code.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from langchain_core.language_models import BaseChatModel
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, col, select

from bot.config import AppConfig
from bot.demo import DemoBot
from bot.http import EVENTS_PATH, BackgroundServer
from bot.runbook.incident import Status
from bot.runtime import Secrets, build_runtime
from bot.slack import ids
from bot.store.tables import DecisionLog, Draft, Incident, Post
from slack_emulator import DriverResponse, Message, SlackDriver, SlackEmulator
from slack_emulator.blockkit import STATEFUL_ELEMENTS, block_elements
from slack_emulator.driver import state_entry

REPORTER, DECIDER, REVIEWER = "U0AILSA", "U0MARC", "U0JO"
INCIDENT_CHANNEL = "C0OOPS"
TEAM_ID, APP_ID = "T0WHEY", "A0OOPS"

SUMMARY = "Welcome email sent to 27,463 existing customers"
DETAILS = "Existing customers were added to the list that starts the welcome flow."
# Question ids from runbooks/email-campaign.yaml. Scale: big (27,463 people); departments told by the
# runbook: support (customers), leadership (big), marketing (always); not finance, not communications.
# The "what went wrong" choice has been called both `what_went_wrong` and `problem`: only the question
# the modal asks is answered (see answer_values).
ANSWERS: dict[str, str] = {
    "people_affected": "27,463",
    "audience": "customers",
    "what_went_wrong": "wrong_list",
    "problem": "wrong_list",
    "complaints": "12",
    "public_posts": "no",
    "still_happening": "no",
    "can_be_undone": "no",
}


# ---------------------------------------------------------------------------------------------- serving


def workspace_emulator(config: AppConfig) -> SlackEmulator:
    """An emulator with demo_bot's workspace: #oops, each department's channel, three people."""
    channels = {INCIDENT_CHANNEL: "oops"}
    for dept in config.departments.values():
        name = dept.channel.lstrip("#")
        channels.setdefault(f"C0{name.upper()[:8]}", name)
    if config.digest_channel and config.digest_channel.startswith("#"):  # where the weekly summary goes
        channels.setdefault("C0WEEKLY", config.digest_channel.lstrip("#"))
    users = {REPORTER: "ailsa", DECIDER: "marc", REVIEWER: "jo"}
    return SlackEmulator(channels=channels, users=users)


@contextmanager
def serve_bot(
    config: AppConfig,
    database_url: str,
    emulator: SlackEmulator,
    *,
    chat_model: BaseChatModel | None = None,
) -> Iterator[DemoBot]:
    """The real bot (build_runtime + waitress on 127.0.0.1) against an emulator the caller owns.

    Like bot.demo.demo_bot, except that the emulator outlives the bot (so a second bot can take over
    the same workspace and database) and a chat model can be passed in.
    """
    signing_secret = secrets.token_hex(16)
    secrets_ = Secrets(
        bot_token=emulator.bot_token,
        app_token=None,
        signing_secret=signing_secret,
        api_url=emulator.base_url,
    )
    runtime = build_runtime(
        config.model_copy(update={"database_url": database_url}), secrets_, chat_model=chat_model
    )
    server = None
    try:
        runtime.start()
        server = BackgroundServer(runtime.app, signing_secret).start()
        url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
        yield DemoBot(runtime, emulator, SlackDriver(url, signing_secret, emulator))
    finally:
        if server is not None:
            server.stop()
        runtime.stop()


# ---------------------------------------------------------------------------------------------- reading


def blocks_text(message: Any) -> str:
    """A message's fallback text and every text in its blocks, for "does it say X" checks."""
    parts: list[str] = [getattr(message, "text", "") or ""]
    parts.append(json.dumps(getattr(message, "blocks", []) or [], ensure_ascii=False))
    return "\n".join(parts)


elements = block_elements  # the emulator's own reading of a block, so tests and emulator agree


def has_element(message: Message, action_id: str) -> bool:
    return any(e.get("action_id") == action_id for b in message.blocks for e in elements(b))


def shows(emu: SlackEmulator, action_id: str) -> bool:
    """Whether any message shows a control with this action id now."""
    return emu.find_message(lambda m: has_element(m, action_id)) is not None


def button_message(bot: DemoBot, action_id: str) -> Message:
    """The message showing a control with this action id now (first in posting order)."""
    message = bot.emulator.find_message(lambda m: has_element(m, action_id))
    assert message is not None, f"no message shows a {action_id!r} control"
    return message


def all_messages(emu: SlackEmulator) -> list[Message]:
    """Every message (top-level and replies) in every channel."""
    out: list[Message] = []
    for top in emu.all_messages():
        out.append(top)
        out.extend(top.replies)
    return out


def view_block(view: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    block = next((b for b in view["blocks"] if b.get("block_id") == block_id), None)
    assert block is not None, f"no block {block_id!r} in view {view.get('callback_id')}"
    return block


def view_block_ids(view: Mapping[str, Any]) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


def ephemerals_since(emu: SlackEmulator, start: int, user: str) -> list[str]:
    return [e.text for e in emu.ephemerals[start:] if e.user == user]


def rows(bot: DemoBot, model: type[SQLModel], **where: Any) -> list[Any]:
    """All rows of a table (optionally filtered by column == value), detached from the session."""
    with Session(bot.runtime.engine) as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        pk = next(iter(model.__table__.primary_key.columns))  # type: ignore[attr-defined]
        found = list(session.exec(query.order_by(col(getattr(model, pk.name)))))
        for row in found:
            session.expunge(row)
        return found


def only_incident(bot: DemoBot) -> Incident:
    incidents = rows(bot, Incident)
    assert len(incidents) == 1, f"expected one incident, found {len(incidents)}"
    return incidents[0]


def decision_steps(bot: DemoBot, step: str) -> list[DecisionLog]:
    return rows(bot, DecisionLog, step=step)


def drafts(bot: DemoBot) -> list[Draft]:
    return rows(bot, Draft)


def posted(bot: DemoBot, incident_id: int, kind: str) -> Message:
    """The message the bot recorded (in its Post table) for one part of the incident."""
    found = [p for p in rows(bot, Post, incident_id=incident_id) if p.kind == kind]
    assert found, f"the bot recorded no {kind!r} message for incident {incident_id}"
    message = bot.emulator.message(found[0].channel, found[0].ts)
    assert message is not None, f"the {kind!r} message is not in the emulator"
    return message


def db_dump(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table of ours, as comparable text, to show that nothing changed."""
    out: dict[str, list[tuple[str, ...]]] = {}
    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    with engine.connect() as conn:
        for name in names:
            found = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted(tuple(repr(v) for v in row) for row in found)
    return out


def job_ids(engine: Engine) -> list[str]:
    """The stored reminder jobs (the weekly summary's job is there too, and always is)."""
    with engine.connect() as conn:
        query = text("SELECT id FROM apscheduler_jobs WHERE id LIKE 'retro-reminder-%' ORDER BY id")
        return list(conn.execute(query).scalars())


# ---------------------------------------------------------------------------------------------- raw requests


def _user(emu: SlackEmulator, user: str) -> dict[str, Any]:
    name = emu.user_name(user)
    return {"id": user, "username": name, "name": name, "team_id": TEAM_ID}


def _team(emu: SlackEmulator) -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": emu.team_domain}


def form_body(fields: Mapping[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def payload_body(payload: Mapping[str, Any]) -> bytes:
    """An interaction payload as Slack posts it: form-encoded ``payload=<json>``."""
    return form_body({"payload": json.dumps(payload)})


def slash_body(bot: DemoBot, text: str, *, user: str = REPORTER, channel: str = INCIDENT_CHANNEL) -> bytes:
    emu = bot.emulator
    return form_body(
        {
            "token": bot.driver.verification_token,
            "team_id": TEAM_ID,
            "team_domain": emu.team_domain,
            "channel_id": channel,
            "channel_name": emu.channel_name(channel),
            "user_id": user,
            "user_name": emu.user_name(user),
            "command": "/oops",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": emu.new_response_url(channel, user=user),
            "trigger_id": emu.new_trigger_id(user),
        }
    )


def view_submission_payload(
    bot: DemoBot, view: Mapping[str, Any], values: Mapping[str, Any], user: str
) -> dict[str, Any]:
    """A view_submission for ``view`` with ``values`` (by input block id; others keep their initial value)."""
    emu = bot.emulator
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        block_id = block["block_id"]
        if block_id in values:
            entry = state_entry(element, values[block_id])
        else:
            entry = state_entry(element, None, use_initial=True)
        state.setdefault(block_id, {})[element["action_id"]] = entry
    submitted = copy.deepcopy(dict(view))
    submitted["state"] = {"values": state}
    submitted.pop("errors", None)
    return {
        "type": "view_submission",
        "team": _team(emu),
        "user": _user(emu, user),
        "api_app_id": APP_ID,
        "token": bot.driver.verification_token,
        "trigger_id": emu.new_trigger_id(user),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def rendered_control(
    bot: DemoBot, action_id: str, *, option: str | None = None, value: str | None = None
) -> tuple[Message, Message, dict[str, Any], dict[str, Any]]:
    """(message, version, block, element): a control with this action id (offering ``option``, for a
    select; carrying ``value``, for a button) in any version the bot ever posted, newest version first.
    A person whose Slack has not refreshed yet can still press an old one."""
    for message in all_messages(bot.emulator):
        for version in [message, *reversed(message.edits)]:
            for block in version.blocks:
                for element in elements(block):
                    if element.get("action_id") != action_id:
                        continue
                    offered = {o.get("value") for o in element.get("options") or []}
                    if option is not None and option not in offered:
                        continue
                    if value is None or element.get("value") == value:
                        return message, version, block, element
    shown = f" with value {value!r}" if value is not None else ""
    raise AssertionError(f"the bot never rendered a {action_id!r} control{shown}")


def block_actions_payload(
    bot: DemoBot,
    message: Message,
    version: Message,
    block: Mapping[str, Any],
    element: Mapping[str, Any],
    user: str,
    *,
    option: str | None = None,
    action_ts: str | None = None,
) -> dict[str, Any]:
    """A block_actions payload for pressing ``element`` (or picking ``option`` in a select) as shown in
    ``version`` of ``message``; stateful elements of that version are sent with their initial values."""
    emu = bot.emulator
    action: dict[str, Any] = {
        "action_id": element["action_id"],
        "block_id": block.get("block_id", ""),
        "type": element.get("type", "button"),
        "action_ts": action_ts or f"{time.time():.6f}",
    }
    if element.get("type") == "button":
        action["text"] = copy.deepcopy(element.get("text"))
        if "value" in element:
            action["value"] = element["value"]
    else:
        chosen = next((o for o in element.get("options") or [] if o.get("value") == option), None)
        assert chosen is not None, f"no option {option!r} in {element['action_id']!r}"
        action["selected_option"] = copy.deepcopy(chosen)
    state: dict[str, dict[str, Any]] = {}
    for b in version.blocks:
        for e in elements(b):
            if e.get("type") in STATEFUL_ELEMENTS:
                state.setdefault(b.get("block_id", ""), {})[e["action_id"]] = state_entry(
                    e, None, use_initial=True
                )
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": False,
    }
    if message.thread_ts and message.thread_ts != message.ts:
        container["thread_ts"] = message.thread_ts
    shown = copy.deepcopy(message)
    shown.blocks = copy.deepcopy(version.blocks)
    return {
        "type": "block_actions",
        "user": _user(emu, user),
        "api_app_id": APP_ID,
        "token": bot.driver.verification_token,
        "container": container,
        "trigger_id": emu.new_trigger_id(user),
        "team": _team(emu),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": message.channel, "name": emu.channel_name(message.channel)},
        "message": shown.to_api(TEAM_ID, APP_ID),
        "state": {"values": state},
        "response_url": emu.new_response_url(message.channel, user=user, message_ts=message.ts),
        "actions": [action],
    }


def press(
    bot: DemoBot, action_id: str, user: str, *, option: str | None = None, value: str | None = None
) -> DriverResponse:
    """Press a control as the bot once rendered it (possibly a stale version), as a signed request."""
    message, version, block, element = rendered_control(bot, action_id, option=option, value=value)
    payload = block_actions_payload(bot, message, version, block, element, user, option=option)
    return bot.driver.send(payload_body(payload))


def post_raw(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    """POST without the driver's signing (to send requests with headers missing); returns the status."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


# ---------------------------------------------------------------------------------------------- the flow


def answer_values(view: Mapping[str, Any], answers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Modal values for the runbook questions the view asks (``q_<id>`` blocks)."""
    blocks = set(view_block_ids(view))
    wanted = {ids.QUESTION_PREFIX + k: v for k, v in (ANSWERS if answers is None else answers).items()}
    return {k: v for k, v in wanted.items() if k in blocks}


def open_report(
    bot: DemoBot, text: str = SUMMARY, user: str = REPORTER, *, channel: str = INCIDENT_CHANNEL
) -> dict[str, Any]:
    response = bot.driver.slash("/oops", text, user=user, channel=channel)
    assert response.status == 200, response.body_text
    bot.settle()
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.REPORT_VIEW
    return view


def report(
    bot: DemoBot,
    answers: Mapping[str, str] | None = None,
    *,
    summary: str = SUMMARY,
    channel: str = INCIDENT_CHANNEL,
) -> DriverResponse:
    """/oops (typed in ``channel``), then submit the report modal; returns the submission's ack."""
    view = open_report(bot, summary, channel=channel)
    values: dict[str, Any] = {"details": DETAILS, **answer_values(view, answers)}
    response = bot.driver.submit_view(view["id"], values, user=REPORTER)
    bot.settle()
    return response


def click(bot: DemoBot, action_id: str, user: str = DECIDER) -> DriverResponse:
    """Press a button the bot shows now, and wait for everything it started."""
    message = button_message(bot, action_id)
    response = bot.driver.click(message.channel, message.ts, action_id, user=user)
    assert response.status == 200, response.body_text
    bot.settle()
    return response


def decide(bot: DemoBot, choice: str, user: str = DECIDER, note: str = "") -> DriverResponse:
    """Press a decision button and submit its modal."""
    click(bot, ids.DECIDE_PREFIX + choice, user)
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.DECIDE_VIEW
    values = {"note": note} if note else {}
    response = bot.driver.submit_view(view["id"], values, user=user)
    assert response.status == 200, response.body_text
    bot.settle()
    return response


def walk_to_drafting(bot: DemoBot) -> int:
    """Report, and decide to send a correction: the apology draft v1 is waiting for approval."""
    assert report(bot).status == 200
    decide(bot, "correct", note="One short, honest correction.")
    incident = only_incident(bot)
    assert incident.status == Status.DRAFTING, incident.status
    assert incident.id is not None
    return incident.id


def walk_to_retro_scheduled(bot: DemoBot) -> int:
    incident_id = walk_to_drafting(bot)
    click(bot, ids.DRAFT_APPROVE)
    click(bot, ids.RETRO_SCHEDULE)
    assert only_incident(bot).status == Status.RETRO_SCHEDULED
    return incident_id


def run_reminder_job(bot: DemoBot, incident_id: int) -> JobExecutionEvent:
    """Time passes: bring the stored reminder job forward, wait until it has run, and return how it
    ended (``event.exception`` is set when the job raised).

    ``bot.settle()`` only covers Slack listeners; the job runs on APScheduler's own threads, so its end
    is taken from the scheduler's job-executed event (a public APScheduler hook, nothing patched).
    """
    job_id = f"retro-reminder-{incident_id}"
    outcomes: list[JobExecutionEvent] = []
    finished = threading.Event()

    def on_job(event: JobExecutionEvent) -> None:
        if event.job_id == job_id:
            outcomes.append(event)
            finished.set()

    scheduler = bot.runtime.scheduler
    scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        assert bot.runtime.retro_scheduler.run_now(incident_id), "no reminder job is stored"
        assert finished.wait(timeout=15), "the reminder job did not run"
    finally:
        scheduler.remove_listener(on_job)
    return outcomes[0]


def fire_reminder(bot: DemoBot, incident_id: int) -> None:
    """Run the stored reminder job now; it must succeed and show 'Start the retrospective'."""
    outcome = run_reminder_job(bot, incident_id)
    assert outcome.exception is None, f"the reminder job failed: {outcome.exception!r}"
    assert shows(bot.emulator, ids.RETRO_START), "the reminder shows no 'Start the retrospective' button"
    bot.settle()


RETRO_VALUES = {
    "what_went_wrong": "Existing customers were added to the welcome list.",
    "root_cause": "Adding to a list triggers its flow, silently.",
    "what_we_change": "Flow-triggering lists are marked.",
    "checklist": "Check a list's automations before adding contacts",
}


def hold_retro(bot: DemoBot, user: str = REVIEWER) -> None:
    click(bot, ids.RETRO_START, user)
    view = bot.emulator.opened_views[-1]
    assert view["callback_id"] == ids.RETRO_VIEW
    response = bot.driver.submit_view(view["id"], RETRO_VALUES, user=user)
    assert response.status == 200, response.body_text
    bot.settle()


def walk_to_closed(bot: DemoBot) -> int:
    incident_id = walk_to_retro_scheduled(bot)
    fire_reminder(bot, incident_id)
    hold_retro(bot)
    assert only_incident(bot).status == Status.CLOSED
    return incident_id


# ---------------------------------------------------------------------------------------------- waiting


def actions(message: Message) -> list[dict[str, Any]]:
    return [b for b in message.blocks if b.get("type") == "actions"]


def approve_values(message: Message) -> list[str | None]:
    """The Approve button's value in each version of a message, oldest first (None: no button)."""
    out: list[str | None] = []
    for version in [*message.edits, message]:
        found = [
            e.get("value")
            for b in version.blocks
            for e in elements(b)
            if e.get("action_id") == ids.DRAFT_APPROVE
        ]
        out.append(found[0] if found else None)
    return out


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def dms(emu: SlackEmulator, user: str) -> list[Message]:
    return emu.messages(user)  # a user id resolves to the bot's direct-message channel with them
