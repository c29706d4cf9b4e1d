"""Plays Slack's side toward the bot: slash commands, button clicks, modal submissions, events.

Requests are built from the emulator's record of what the bot actually posted (messages, views), so a
test can only click a button the bot really rendered, and the payloads follow Slack's documented shapes
closely enough for slack_bolt to route and parse them as it would in production.

``SlackSide`` builds the payloads and applies the bot's acks to the emulator; only the transport
differs: ``SlackDriver`` POSTs Slack-signed HTTP requests, ``SocketModeDriver``
(slack_emulator/socket_driver.py) sends the same payloads as Socket Mode envelopes.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from slack_emulator.blockkit import STATEFUL_ELEMENTS, block_elements
from slack_emulator.limits import ACK_DEADLINE_SECONDS
from slack_emulator.server import Ephemeral, Message, SlackEmulator


class AckResult(Protocol):
    """What any transport reports back: whether the bot acked, with what, and how fast."""

    @property
    def ok(self) -> bool:
        """Whether Slack would count this as acknowledged."""
        ...

    @property
    def ack_body(self) -> dict[str, Any] | None:
        """The ack's JSON object (a plain-text ack as ``{"text": ...}``), or None when empty."""
        ...

    @property
    def elapsed_seconds(self) -> float:
        """Seconds from sending to the ack."""
        ...


R = TypeVar("R", bound=AckResult)


@dataclass
class DriverResponse:
    """What the bot answered (its ack), and how long it took."""

    status: int
    body_text: str
    json: Any
    elapsed_seconds: float

    @property
    def ok(self) -> bool:
        """True for a 2xx ack."""
        return 200 <= self.status < 300

    @property
    def ack_body(self) -> dict[str, Any] | None:
        """The body as Slack reads it: a JSON object, or plain text shown as a message."""
        if isinstance(self.json, dict):
            return self.json
        if self.json is None and self.body_text.strip():
            return {"text": self.body_text}
        return None


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature value Slack computes for a request body."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSide(Generic[R]):
    """Builds what Slack sends for each thing a person does; subclasses only carry it to the bot.

    One place for the payload shapes, so HTTP mode and Socket Mode are tested with the same bytes.
    """

    def __init__(
        self,
        emulator: SlackEmulator,
        team_id: str = "T0WHEY",
        api_app_id: str = "A0OOPS",
        clock: Callable[[], float] = time.time,
        *,
        verification_token: str = "legacy-verification-token",
    ) -> None:
        self.emulator = emulator
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.clock = clock
        self.verification_token = verification_token
        # (channel, ts) -> {(block_id, action_id): state entry} set by set_value/select
        self._message_state: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        # view_id -> {(block_id, action_id): state entry} set by view_action
        self._view_state: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}

    # ------------------------------------------------------------------ transport (subclasses)

    def _deliver_command(self, fields: dict[str, str], what: str) -> R:
        """Carry a slash command's fields to the bot and return its ack."""
        raise NotImplementedError

    def _deliver_interaction(self, payload: dict[str, Any], what: str) -> R:
        """Carry an interaction payload (block_actions, view_submission, ...) to the bot."""
        raise NotImplementedError

    def _deliver_event(self, envelope: dict[str, Any]) -> R:
        """Carry an Events API ``event_callback`` to the bot."""
        raise NotImplementedError

    # ------------------------------------------------------------------ common payload parts

    def _user(self, user: str) -> dict[str, Any]:
        name = self.emulator.user_name(user)
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.emulator.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        name = self.emulator.channel_name(channel_id)
        return "directmessage" if name.startswith("@") else name  # what Slack sends for a DM

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    # ------------------------------------------------------------------ slash commands and events

    def command_fields(
        self, command: str, text: str = "", *, user: str = "U0AILSA", channel: str = "C0OOPS"
    ) -> dict[str, str]:
        """The fields Slack sends for a slash command (form-encoded over HTTP, an object over a socket)."""
        channel_id = self.emulator.resolve_channel(channel) or channel
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.emulator.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user,
            "user_name": self.emulator.user_name(user),
            "command": command if command.startswith("/") else "/" + command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.emulator.new_response_url(channel_id, user=user),
            "trigger_id": self.emulator.new_trigger_id(user),
        }

    def slash(self, command: str, text: str = "", *, user: str = "U0AILSA", channel: str = "C0OOPS") -> R:
        """Run a slash command as ``user`` in ``channel``; an ack body is shown like Slack shows it."""
        fields = self.command_fields(command, text, user=user, channel=channel)
        response = self._deliver_command(fields, f"{fields['command']} {text}".strip())
        body = response.ack_body if response.ok else None
        if body is not None:
            self.emulator.apply_command_ack(fields["channel_id"], user, body)
        return response

    def event_envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """The Events API ``event_callback`` wrapping ``event``."""
        now = int(self.clock())
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{now}{len(event)}",
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def send_event(self, event: dict[str, Any], *, event_id: str | None = None) -> R:
        """Deliver an Events API ``event_callback`` wrapping ``event``."""
        return self._deliver_event(self.event_envelope(event, event_id=event_id))

    # ------------------------------------------------------------------ the App Home tab

    def open_home(self, user: str = "U0AILSA", *, tab: str = "home") -> R:
        """The person opens the app's Home tab (or its Messages tab): Slack sends app_home_opened, with
        the home view as last published, if any."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.emulator.resolve_channel(user) or "",
            "tab": tab,
            "event_ts": self._action_ts(),
        }
        view = self.emulator.home_view(user)
        if tab == "home" and view is not None:
            event["view"] = view
        return self.send_event(event, event_id=f"Ev{time.time_ns()}")

    def home_click(self, action_id: str, *, user: str = "U0AILSA", value: str | None = None) -> R:
        """Press a button in the person's Home tab: block_actions from a view (container type view, the
        home view with its state, a trigger_id; no channel and no response_url)."""
        view = self.emulator.home_view(user)
        if view is None:
            raise LookupError(f"no home view was published for {user}")
        block, element = _find_element(
            view["blocks"], action_id, value=value, types={"button"}, where=f"the home of {user}"
        )
        action: dict[str, Any] = {
            "action_id": element["action_id"],
            "block_id": block.get("block_id", ""),
            "text": copy.deepcopy(element.get("text")),
            "type": "button",
            "action_ts": self._action_ts(),
        }
        if "value" in element:
            action["value"] = element["value"]
        values: dict[str, dict[str, Any]] = {}
        for b in view["blocks"]:
            for e in block_elements(b):
                if e.get("type") in STATEFUL_ELEMENTS:
                    values.setdefault(b.get("block_id", ""), {})[e["action_id"]] = state_entry(
                        e, None, use_initial=True
                    )
        view["state"] = {"values": values}
        payload = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {"type": "view", "view_id": view["id"]},
            "trigger_id": self.emulator.new_trigger_id(user),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
            "actions": [action],
        }
        return self._deliver_interaction(payload, f"home click {action_id}")

    # ------------------------------------------------------------------ messages: clicks and selects

    def _locate(self, channel: str, ts: str) -> tuple[str, Message | Ephemeral]:
        channel_id = self.emulator.resolve_channel(channel) or channel
        msg = self.emulator.message(channel_id, ts)
        if msg is not None:
            return channel_id, msg
        for eph in self.emulator.ephemerals:
            if eph.channel == channel_id and eph.ts == ts:
                return channel_id, eph
        raise KeyError(f"no message {ts} in {channel}")

    def _message_payload(
        self,
        channel_id: str,
        target: Message | Ephemeral,
        user: str,
        action: dict[str, Any],
    ) -> dict[str, Any]:
        is_ephemeral = isinstance(target, Ephemeral)
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": target.ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        if target.thread_ts and target.thread_ts != target.ts:
            container["thread_ts"] = target.thread_ts
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": self.emulator.new_trigger_id(user),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
        }
        if isinstance(target, Message):
            payload["message"] = target.to_api(self.team_id, self.api_app_id)
        payload["state"] = {"values": self._message_state_values(channel_id, target)}
        payload["response_url"] = self.emulator.new_response_url(
            channel_id, user=user, message_ts=None if is_ephemeral else target.ts
        )
        payload["actions"] = [action]
        return payload

    def _message_state_values(self, channel_id: str, target: Message | Ephemeral) -> dict[str, Any]:
        remembered = self._message_state.get((channel_id, target.ts), {})
        values: dict[str, dict[str, Any]] = {}
        for block in target.blocks:
            for element in block_elements(block):
                if element.get("type") not in STATEFUL_ELEMENTS:
                    continue
                key = (block.get("block_id", ""), element.get("action_id", ""))
                entry = remembered.get(key) or state_entry(element, None, use_initial=True)
                values.setdefault(key[0], {})[key[1]] = entry
        return values

    def click(
        self, channel: str, ts: str, action_id: str, *, user: str = "U0AILSA", value: str | None = None
    ) -> R:
        """Press a button in a message (``value`` picks among buttons sharing an action_id)."""
        channel_id, target = self._locate(channel, ts)
        block, element = _find_element(
            target.blocks, action_id, value=value, types={"button", "workflow_button"}, where=f"message {ts}"
        )
        action: dict[str, Any] = {
            "action_id": element["action_id"],
            "block_id": block.get("block_id", ""),
            "text": copy.deepcopy(element.get("text")),
            "type": element.get("type", "button"),
            "action_ts": self._action_ts(),
        }
        for key in ("value", "style", "url"):
            if key in element:
                action[key] = element[key]
        return self._deliver_interaction(
            self._message_payload(channel_id, target, user, action), f"click {action_id}"
        )

    def set_value(self, channel: str, ts: str, action_id: str, value: Any, *, user: str = "U0AILSA") -> R:
        """Change a select/picker in a message; Slack sends block_actions for it and keeps it in state."""
        channel_id, target = self._locate(channel, ts)
        block, element = _find_element(
            target.blocks, action_id, types=STATEFUL_ELEMENTS | {"overflow"}, where=f"message {ts}"
        )
        entry = state_entry(element, value)
        key = (block.get("block_id", ""), element["action_id"])
        if element.get("type") != "overflow":
            self._message_state.setdefault((channel_id, target.ts), {})[key] = entry
        action = _action_from_entry(element, block, entry, self._action_ts())
        return self._deliver_interaction(
            self._message_payload(channel_id, target, user, action), f"set {action_id}"
        )

    def select(self, channel: str, ts: str, action_id: str, option_value: str, *, user: str = "U0AILSA") -> R:
        """Pick an option (by its value) in a static_select in a message."""
        return self.set_value(channel, ts, action_id, option_value, user=user)

    choose = select

    # ------------------------------------------------------------------ modals

    def _open_view(self, view_id: str) -> dict[str, Any]:
        if not self.emulator.is_view_open(view_id):
            known = "closed" if view_id in self.emulator.views else "unknown"
            raise LookupError(f"view {view_id} is {known}; a person can only act in an open modal")
        return self.emulator.view(view_id)

    def submitted_view(self, view_id: str, values: Mapping[str, Any] | None) -> dict[str, Any]:
        view = self._open_view(view_id)
        remembered = self._view_state.get(view_id, {})
        given = dict(values or {})
        state: dict[str, dict[str, Any]] = {}
        input_ids = {b.get("block_id") for b in view["blocks"] if b.get("type") == "input"}
        unknown = set(given) - input_ids
        if unknown:
            raise KeyError(
                f"no input block(s) {sorted(unknown)} in view {view_id}; inputs: {sorted(input_ids)}"
            )
        for block in view["blocks"]:
            for element in block_elements(block):
                if element.get("type") not in STATEFUL_ELEMENTS:
                    continue
                block_id, action_id = block.get("block_id", ""), element.get("action_id", "")
                if block.get("type") == "input" and block_id in given:
                    entry = state_entry(element, given[block_id])
                elif (block_id, action_id) in remembered:
                    entry = remembered[(block_id, action_id)]
                else:
                    entry = state_entry(element, None, use_initial=True)
                state.setdefault(block_id, {})[action_id] = entry
        view["state"] = {"values": state}
        view.pop("errors", None)
        return view

    def submit_view(self, view_id: str, values: Mapping[str, Any], *, user: str = "U0AILSA") -> R:
        """Press Submit on a modal with ``values`` keyed by input block_id (plain values, as typed/picked)."""
        view = self.submitted_view(view_id, values)
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self.emulator.new_trigger_id(user),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = self._deliver_interaction(payload, f"submit {view.get('callback_id')}")
        if response.ok:
            self.emulator.apply_view_submission_response(view_id, user, response.ack_body)
        return response

    def close_view(self, view_id: str, *, user: str = "U0AILSA") -> R | None:
        """Press Cancel/X; Slack only tells the bot (view_closed) when notify_on_close is set."""
        view = self.submitted_view(view_id, None)
        cleared = self.emulator.close_view(view_id, user)
        if not view.get("notify_on_close"):
            return None
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": view,
            "is_cleared": cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._deliver_interaction(payload, f"close {view.get('callback_id')}")

    def view_action(self, view_id: str, block_id: str, value: Any, *, user: str = "U0AILSA") -> R:
        """Change an element inside a modal (e.g. a dispatch_action select that re-renders the modal)."""
        view = self._open_view(view_id)
        block = next((b for b in view["blocks"] if b.get("block_id") == block_id), None)
        if block is None:
            raise KeyError(f"no block {block_id!r} in view {view_id}")
        actionable = STATEFUL_ELEMENTS | {"button", "overflow"}
        candidates = [e for e in block_elements(block) if e.get("type") in actionable]
        if not candidates:
            raise KeyError(f"block {block_id!r} in view {view_id} has no interactive element")
        element = candidates[0]
        if element.get("type") == "button":
            entry: dict[str, Any] = {"type": "button"}
            action: dict[str, Any] = {
                "action_id": element["action_id"],
                "block_id": block_id,
                "text": copy.deepcopy(element.get("text")),
                "type": "button",
                "action_ts": self._action_ts(),
            }
            if "value" in element:
                action["value"] = element["value"]
        else:
            entry = state_entry(element, value)
            if element.get("type") != "overflow":
                self._view_state.setdefault(view_id, {})[(block_id, element["action_id"])] = entry
            action = _action_from_entry(element, block, entry, self._action_ts())
        payload = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self.emulator.new_trigger_id(user),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": self.submitted_view(view_id, None),
            "actions": [action],
        }
        return self._deliver_interaction(payload, f"view action {block_id}")


class SlackDriver(SlackSide[DriverResponse]):
    """Sends Slack-signed requests to the bot's request URL, the way Slack's servers do."""

    def __init__(
        self,
        request_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str = "T0WHEY",
        api_app_id: str = "A0OOPS",
        clock: Callable[[], float] = time.time,
        *,
        verification_token: str = "legacy-verification-token",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(emulator, team_id, api_app_id, clock, verification_token=verification_token)
        self.request_url = request_url
        self.signing_secret = signing_secret
        self.timeout = timeout

    def send(
        self,
        body: bytes,
        content_type: str = "application/x-www-form-urlencoded",
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> DriverResponse:
        """POST a raw body to the bot, signed unless ``signature`` is given (to test rejection)."""
        ts = str(int(self.clock()) if timestamp is None else timestamp)
        sig = signature if signature is not None else slack_signature(self.signing_secret, ts, body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        headers.update(extra_headers or {})
        request = urllib.request.Request(self.request_url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        elapsed = time.monotonic() - started
        text = raw.decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(text) if text.strip() else None
        except json.JSONDecodeError:
            parsed = None
        return DriverResponse(status=status, body_text=text, json=parsed, elapsed_seconds=elapsed)

    def _send_form(self, fields: Mapping[str, str], what: str) -> DriverResponse:
        response = self.send(urllib.parse.urlencode(fields).encode())
        if response.elapsed_seconds > ACK_DEADLINE_SECONDS:
            self.emulator.record_ui_error(
                f"{what}: bot acked after {response.elapsed_seconds:.2f}s (Slack gives up after 3s)"
            )
        elif not response.ok:
            self.emulator.record_ui_error(f"{what}: bot answered HTTP {response.status}")
        return response

    def _deliver_command(self, fields: dict[str, str], what: str) -> DriverResponse:
        """Slash commands arrive form-encoded."""
        return self._send_form(fields, what)

    def _deliver_interaction(self, payload: dict[str, Any], what: str) -> DriverResponse:
        """Interactions arrive as one form field ``payload`` holding JSON."""
        return self._send_form({"payload": json.dumps(payload)}, what)

    def _deliver_event(self, envelope: dict[str, Any]) -> DriverResponse:
        """Events arrive as a JSON body; Slack shows nobody an error for them, so none is recorded."""
        return self.send(json.dumps(envelope).encode(), "application/json")


# ---------------------------------------------------------------------- element helpers


def _find_element(
    blocks: list[dict[str, Any]],
    action_id: str,
    *,
    types: set[str] | frozenset[str],
    where: str,
    value: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    seen: list[str] = []
    for block in blocks:
        for element in block_elements(block):
            if element.get("action_id") is None:
                continue
            seen.append(f"{element.get('action_id')}({element.get('type')})")
            if element.get("action_id") != action_id or element.get("type") not in types:
                continue
            if value is not None and element.get("value") != value:
                continue
            return block, element
    wanted = f"{action_id!r}" + (f" with value {value!r}" if value is not None else "")
    raise KeyError(f"no {'/'.join(sorted(types))} {wanted} in {where}; elements there: {seen}")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    for option in _options(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    if element.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}
    known = [o.get("value") for o in _options(element)]
    raise ValueError(f"option {value!r} not in {element.get('action_id')!r}; options: {known}")


_SINGLE_SELECTED = {
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}


def state_entry(element: dict[str, Any], value: Any, *, use_initial: bool = False) -> dict[str, Any]:
    """The ``state.values`` entry Slack sends for an element holding ``value`` (or its initial value)."""
    kind = element.get("type", "")
    if isinstance(value, dict) and value.get("type") == kind:
        return copy.deepcopy(value)
    entry: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        if value is None and use_initial:
            value = element.get("initial_value")
        entry["value"] = None if value is None else str(value)
    elif kind in ("static_select", "external_select", "radio_buttons", "overflow"):
        if value is None and use_initial:
            entry["selected_option"] = copy.deepcopy(element.get("initial_option"))
        else:
            entry["selected_option"] = None if value is None else _option(element, value)
    elif kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        if value is None and use_initial:
            entry["selected_options"] = copy.deepcopy(element.get("initial_options") or [])
        else:
            items = [] if value is None else (value if isinstance(value, list | tuple) else [value])
            entry["selected_options"] = [_option(element, v) for v in items]
    elif kind in _SINGLE_SELECTED:
        selected_key, initial_key = _SINGLE_SELECTED[kind]
        if value is None and use_initial:
            value = element.get(initial_key)
        if kind == "datetimepicker" and value is not None:
            value = int(value)
        if kind.startswith("multi_") and value is not None and not isinstance(value, list):
            value = [value]
        entry[selected_key] = (
            copy.deepcopy(value) if value is not None else ([] if kind.startswith("multi_") else None)
        )
    elif kind == "rich_text_input":
        if value is None and use_initial:
            entry["rich_text_value"] = copy.deepcopy(element.get("initial_value"))
        else:
            entry["rich_text_value"] = None if value is None else _rich_text(str(value))
    else:
        entry["value"] = value
    return entry


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def _action_from_entry(
    element: dict[str, Any], block: dict[str, Any], entry: dict[str, Any], action_ts: str
) -> dict[str, Any]:
    action: dict[str, Any] = {"type": element.get("type"), "action_id": element["action_id"]}
    action["block_id"] = block.get("block_id", "")
    action.update({k: v for k, v in entry.items() if k != "type"})
    if "placeholder" in element:
        action["placeholder"] = copy.deepcopy(element["placeholder"])
    action["action_ts"] = action_ts
    return action
