"""A local stand-in for Slack's Web API, so tests and `oops demo` exercise the bot over real HTTP.

The bot talks to it with slack_sdk's own WebClient (``WebClient(base_url=emulator.base_url)``); the
emulator answers the way Slack documents (status codes, ``ok``/``error`` bodies, Block Kit and view
limits, trigger_id lifetimes) and records everything so tests can assert on what a person would see.
Stdlib and slack_sdk here; Socket Mode (socket_mode.py) adds the websockets library. The package is
installed with the bot because `oops demo` runs on it, but nothing in bot/ imports it in production.
"""

from __future__ import annotations

import contextlib
import copy
import email
import email.policy
import inspect
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_emulator import history
from slack_emulator.blockkit import (
    INTERACTIVE_ELEMENTS,
    block_elements,
    validate_home_view,
    validate_message_blocks,
    validate_view,
)
from slack_emulator.limits import MAX_MESSAGE_TEXT, MAX_VIEW_BYTES, MAX_VIEW_STACK, TRIGGER_TTL_SECONDS
from slack_emulator.socket_mode import SocketModeServer

DEFAULT_CHANNELS: dict[str, str] = {
    "C0OOPS": "oops",
    "C0FIN": "finance",
    "C0SUP": "support",
    "C0COMMS": "comms",
    "C0LEAD": "leadership",
    "C0MKT": "marketing",
    "C0WEEKLY": "oops-weekly",
    "C0GEN": "general",
}
DEFAULT_USERS: dict[str, str] = {"U0AILSA": "ailsa", "U0MARC": "marc", "U0JO": "jo"}

APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
READ_ONLY_METHODS = frozenset(
    {
        "api.test",
        "auth.test",
        "chat.getPermalink",
        "conversations.info",
        "conversations.history",
        "conversations.replies",
        "users.info",
    }
)


@dataclass
class Call:
    """One Web API request as the emulator saw it, so tests can count and inspect calls."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    status: int
    took_effect: bool = False  # whether the call changed anything, whatever the answer said

    @property
    def ok(self) -> bool:
        """Whether Slack would have reported success."""
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Message:
    """A message as stored in a channel: latest content plus thread replies and earlier versions."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    replies: list[Message] = field(default_factory=list)
    edits: list[Message] = field(default_factory=list)
    bot_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    reply_broadcast: bool = False
    deleted: bool = False

    @property
    def edited(self) -> bool:
        """Slack shows "(edited)" once a message has been changed."""
        return bool(self.edits)

    def snapshot(self) -> Message:
        """A copy of this version without thread or history, kept in ``edits``."""
        return Message(
            channel=self.channel,
            ts=self.ts,
            user=self.user,
            text=self.text,
            blocks=copy.deepcopy(self.blocks),
            thread_ts=self.thread_ts,
            bot_id=self.bot_id,
            attachments=copy.deepcopy(self.attachments),
            metadata=copy.deepcopy(self.metadata),
        )

    def to_api(self, team_id: str, app_id: str | None) -> dict[str, Any]:
        """The message object as Slack returns it in API responses and interaction payloads."""
        out: dict[str, Any] = {"type": "message", "user": self.user, "ts": self.ts, "text": self.text}
        if self.bot_id:
            out.update({"bot_id": self.bot_id, "app_id": app_id})
        out["team"] = team_id
        if self.blocks:
            out["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            out["attachments"] = copy.deepcopy(self.attachments)
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.metadata:
            out["metadata"] = copy.deepcopy(self.metadata)
        if self.edits:
            out["edited"] = {"user": self.user, "ts": self.edits[-1].ts}
        return out


@dataclass
class Ephemeral:
    """A message only one person sees ("Only visible to you")."""

    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    ts: str = ""
    thread_ts: str | None = None
    author: str = ""


@dataclass
class ResponsePost:
    """A POST to a response_url, with the context Slack attached to that URL."""

    url_id: str
    payload: dict[str, Any]
    channel: str | None
    user: str | None
    message_ts: str | None


@dataclass
class _Trigger:
    issued_at: float
    user: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    channel: str | None
    user: str | None
    message_ts: str | None
    uses: int = 0


class SlackApiFailure(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": ...}`` (HTTP 200)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _Fault:
    status: int
    retry_after: int
    error: str
    remaining: int
    after_effect: bool = False


class SlackEmulator:
    """Slack's Web API on 127.0.0.1, recording what the bot did so tests assert on outcomes, not mocks."""

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        channels: dict[str, str] | None = None,
        users: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        *,
        team_id: str = "T0WHEY",
        team_name: str = "Whey",
        team_domain: str = "whey",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_name: str = "oops",
        app_id: str = "A0OOPS",
        user_tz: str = "Europe/London",
        app_token: str = "xapp-1-A0OOPS-1-test-token",
        bot_not_in: Iterable[str] = (),
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token  # app-level: only for apps.connections.open (Socket Mode)
        self.clock = clock
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id
        self.user_tz = user_tz
        self._channels: dict[str, str] = dict(DEFAULT_CHANNELS if channels is None else channels)
        self._users: dict[str, str] = dict(DEFAULT_USERS if users is None else users)
        self._users.setdefault(bot_user_id, bot_name)
        self._dm_channels: dict[str, str] = {}  # D... -> user id
        self._bot_not_in: set[str] = set()  # channels the bot was never invited to (or left)
        for channel in bot_not_in:
            self.set_bot_member(channel, False)

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._messages: dict[str, list[Message]] = {}
        self._by_ts: dict[tuple[str, str], Message] = {}
        self._orphan_replies: list[Message] = []
        self._ephemerals: list[Ephemeral] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._opened_views: list[dict[str, Any]] = []
        self._external_ids: dict[str, str] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._view_owner: dict[str, str | None] = {}
        self._home_views: dict[str, dict[str, Any]] = {}  # user id -> their Home tab (views.publish)
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._responses: list[ResponsePost] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._ui_errors: list[str] = []
        self._last_ts_micros = 0
        self._counter = 0

        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._socket_mode: SocketModeServer | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackEmulator:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        handler = _make_handler(self)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="slack-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (Web API first, so nobody gets a new socket URL); recorded state stays readable."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None
        with self._lock:
            socket_mode = self._socket_mode
        if socket_mode is not None:
            socket_mode.stop()

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (start() first)."""
        if self._server is None:
            raise RuntimeError("SlackEmulator is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for ``WebClient(base_url=...)``."""
        return f"{self.root_url}/api/"

    @property
    def socket_mode(self) -> SocketModeServer:
        """Slack's Socket Mode WebSocket endpoint, started on first use so HTTP-only tests pay nothing."""
        with self._lock:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer(app_id=self.app_id).start()
            return self._socket_mode

    # ------------------------------------------------------------------ workspace lookups

    @property
    def channels(self) -> dict[str, str]:
        """Channel id -> name (DMs excluded)."""
        with self._lock:
            return dict(self._channels)

    @property
    def users(self) -> dict[str, str]:
        """User id -> display name, bot included."""
        with self._lock:
            return dict(self._users)

    def user_name(self, user_id: str) -> str:
        """Display name for a user id, or the id itself if unknown."""
        with self._lock:
            return self._users.get(user_id, user_id)

    def channel_name(self, channel_id: str) -> str:
        """Channel name for an id ("@ailsa" for a DM), or the id itself if unknown."""
        with self._lock:
            if channel_id in self._dm_channels:
                return "@" + self._users.get(self._dm_channels[channel_id], self._dm_channels[channel_id])
            return self._channels.get(channel_id, channel_id)

    def resolve_channel(self, channel: str) -> str | None:
        """Channel id for an id, "#name", "name" or a user id (its DM), as chat.postMessage accepts."""
        with self._lock:
            if channel in self._channels or channel in self._dm_channels:
                return channel
            name = channel[1:] if channel.startswith("#") else channel
            for cid, cname in self._channels.items():
                if cname == name:
                    return cid
            if channel in self._users:
                dm = "D" + channel[1:]
                self._dm_channels[dm] = channel
                return dm
            return None

    def set_bot_member(self, channel: str, member: bool = True) -> None:
        """Invite the bot to a channel, or take it out. It can still post there (chat:write.public),
        but Slack lets only members read a channel's history (not_in_channel otherwise)."""
        cid = self.resolve_channel(channel)
        if cid is None:
            raise KeyError(f"unknown channel {channel!r}")
        with self._lock:
            if member:
                self._bot_not_in.discard(cid)
            else:
                self._bot_not_in.add(cid)

    def is_bot_member(self, channel: str) -> bool:
        """Whether the bot is in the channel (DMs with it always count)."""
        with self._lock:
            cid = self.resolve_channel(channel) or channel
            return cid not in self._bot_not_in

    # ------------------------------------------------------------------ ids and clocks

    def _next_ts(self) -> str:
        with self._lock:
            micros = max(int(self.clock() * 1_000_000), self._last_ts_micros + 1)
            self._last_ts_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{prefix}{self._counter:06d}"

    def new_trigger_id(self, user: str | None = None) -> str:
        """Issue a trigger_id as Slack does with each interaction; valid for 3 seconds, once."""
        with self._lock:
            self._counter += 1
            trigger_id = f"{self._counter}.{int(self.clock())}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(issued_at=self.clock(), user=user)
            return trigger_id

    def new_response_url(
        self, channel: str | None = None, *, user: str | None = None, message_ts: str | None = None
    ) -> str:
        """A response_url bound to where the interaction happened, so replies land in the right place."""
        with self._lock:
            url_id = secrets.token_hex(12)
            self._response_urls[url_id] = _ResponseUrl(channel=channel, user=user, message_ts=message_ts)
        return f"{self.root_url}/response/{url_id}"

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str = "ratelimited",
        times: int = 1,
        after_effect: bool = False,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail, to test the bot's retry and error paths.

        With ``after_effect`` the call takes effect (a chat.postMessage IS posted) and only the answer
        is the failure, as Slack sometimes answers a post that went through with a 500 or a timeout.
        """
        with self._lock:
            self._faults.setdefault(method, []).append(
                _Fault(
                    status=status,
                    retry_after=retry_after,
                    error=error,
                    remaining=times,
                    after_effect=after_effect,
                )
            )

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            faults = self._faults.get(method)
            if not faults:
                return None
            fault = faults[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.pop(0)
            return fault

    # ------------------------------------------------------------------ recording accessors

    @property
    def calls(self) -> list[Call]:
        """Every Web API call in order (copies)."""
        with self._lock:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """Calls of one API method, e.g. ``calls_to("chat.postMessage")``."""
        with self._lock:
            return copy.deepcopy([c for c in self._calls if c.method == method])

    def messages(self, channel: str) -> list[Message]:
        """Top-level messages of a channel (id or name), oldest first, deleted ones excluded."""
        with self._lock:
            cid = self.resolve_channel(channel) or channel
            return copy.deepcopy([m for m in self._messages.get(cid, []) if not m.deleted])

    def all_messages(self) -> list[Message]:
        """Top-level messages of every channel, in posting order."""
        with self._lock:
            msgs = [m for ms in self._messages.values() for m in ms if not m.deleted]
            return copy.deepcopy(sorted(msgs, key=lambda m: history.ts_key(m.ts)))

    def message(self, channel: str, ts: str) -> Message | None:
        """One message (top-level or reply) by channel and ts."""
        with self._lock:
            cid = self.resolve_channel(channel) or channel
            found = self._by_ts.get((cid, ts))
            return copy.deepcopy(found) if found is not None else None

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The parent message followed by its replies."""
        with self._lock:
            cid = self.resolve_channel(channel) or channel
            parent = self._by_ts.get((cid, ts))
            if parent is None:
                return []
            if parent.thread_ts and parent.thread_ts != parent.ts:
                parent = self._by_ts.get((cid, parent.thread_ts), parent)
            return copy.deepcopy([parent, *[r for r in parent.replies if not r.deleted]])

    def find_message(self, predicate: Callable[[Message], bool]) -> Message | None:
        """First message or reply (any channel, posting order) matching ``predicate``."""
        with self._lock:
            for msg in self._iter_all():
                if predicate(msg):
                    return copy.deepcopy(msg)
            return None

    def _iter_all(self) -> Iterator[Message]:
        tops = sorted((m for ms in self._messages.values() for m in ms), key=lambda m: history.ts_key(m.ts))
        for top in tops:
            if not top.deleted:
                yield top
            yield from (r for r in top.replies if not r.deleted)

    @property
    def orphan_replies(self) -> list[Message]:
        """Replies whose thread_ts matched no message (Slack accepts them; nobody can see them)."""
        with self._lock:
            return copy.deepcopy(self._orphan_replies)

    @property
    def ephemerals(self) -> list[Ephemeral]:
        """Ephemeral messages in order."""
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """view_id -> latest version of every view ever opened or pushed."""
        with self._lock:
            return copy.deepcopy(self._views)

    @property
    def opened_views(self) -> list[dict[str, Any]]:
        """Views as first opened (views.open and views.push), in order."""
        with self._lock:
            return copy.deepcopy(self._opened_views)

    def view(self, view_id: str) -> dict[str, Any]:
        """Latest version of one view; KeyError if unknown."""
        with self._lock:
            return copy.deepcopy(self._views[view_id])

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab the bot last published for a person (None before it ever did)."""
        with self._lock:
            view = self._home_views.get(user)
            return copy.deepcopy(view) if view is not None else None

    def view_stack(self, user: str) -> list[str]:
        """The view ids a person currently has open, bottom first."""
        with self._lock:
            return list(self._view_stacks.get(user, []))

    @property
    def responses(self) -> list[ResponsePost]:
        """POSTs to response_urls in order."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def ui_errors(self) -> list[str]:
        """Problems a person would see as Slack error banners (slow acks, bad view responses)."""
        with self._lock:
            return list(self._ui_errors)

    def record_ui_error(self, description: str) -> None:
        """Note a problem Slack would show the person (used by the driver)."""
        with self._lock:
            self._ui_errors.append(description)
            self._changed.notify_all()

    # ------------------------------------------------------------------ waiting

    def wait_for(self, predicate: Callable[[SlackEmulator], bool], timeout: float = 5.0) -> None:
        """Block until ``predicate(self)`` holds; the bot acts asynchronously after acking."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if predicate(self):
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._describe_wait_failure(predicate, timeout))
                self._changed.wait(timeout=min(remaining, 0.05))

    def wait_for_message(
        self, channel: str, contains: str | None = None, *, thread_ts: str | None = None, timeout: float = 5.0
    ) -> Message:
        """Wait for a message (a reply if ``thread_ts``) whose text or blocks contain ``contains``."""
        found: list[Message] = []

        def matches(emu: SlackEmulator) -> bool:
            pool = emu.thread(channel, thread_ts)[1:] if thread_ts else emu.messages(channel)
            for msg in pool:
                if contains is None or contains in msg.text or contains in json.dumps(msg.blocks):
                    found.append(msg)
                    return True
            return False

        matches.__qualname__ = f"message in {channel!r} containing {contains!r}"
        self.wait_for(matches, timeout=timeout)
        return found[0]

    def _describe_wait_failure(self, predicate: Callable[..., Any], timeout: float) -> str:
        what = getattr(predicate, "__qualname__", repr(predicate))
        if "<lambda>" in what:
            with contextlib.suppress(OSError, TypeError):  # a lambda's source says more than "<lambda>"
                what = inspect.getsource(predicate).strip()
        lines = [f"condition not met within {timeout:.1f}s: {what}", "last Web API calls:"]
        for call in self._calls[-10:]:
            outcome = "ok" if call.ok else f"{call.status} {call.response.get('error')}"
            summary = {k: v for k, v in call.args.items() if k in ("channel", "text", "ts", "thread_ts")}
            lines.append(f"  {call.method} {json.dumps(summary)[:160]} -> {outcome}")
        if not self._calls:
            lines.append("  (none)")
        counts = {self.channel_name(c): len(ms) for c, ms in self._messages.items()}
        lines.append(f"messages per channel: {counts}")
        if self._ui_errors:
            lines.append(f"ui errors: {self._ui_errors[-5:]}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ direct helpers

    def add_message(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> Message:
        """Put a person's message in a channel (no event is sent), e.g. to set a scene for the demo."""
        cid = self.resolve_channel(channel)
        if cid is None:
            raise KeyError(f"unknown channel {channel!r}")
        with self._lock:
            msg = self._store_message(cid, user, text, [], thread_ts=thread_ts, bot_id=None)
            return copy.deepcopy(msg)

    # ------------------------------------------------------------------ request handling

    def handle_api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict]:
        """Answer one Web API call; returns (status, body, extra headers) and records it."""
        fault = self._take_fault(method)
        headers: dict[str, str] = {}
        if fault is not None and not fault.after_effect:
            status, body = fault.status, {"ok": False, "error": fault.error}  # nothing happens
        elif not token:
            status, body = 200, {"ok": False, "error": "not_authed"}
        elif method in APP_TOKEN_METHODS or token == self.app_token:
            status, body = 200, self._app_level_call(method, token)
        elif token != self.bot_token:
            status, body = 200, {"ok": False, "error": "invalid_auth"}
        else:
            handler = self._methods().get(method)
            status = 200
            if handler is None:
                body = {"ok": False, "error": "unknown_method", "req_method": method}
            else:
                try:
                    with self._lock:
                        body = {"ok": True, **handler(args)}
                except SlackApiFailure as failure:
                    body = {"ok": False, "error": failure.error, **failure.extra}
        took_effect = bool(body.get("ok")) and method not in READ_ONLY_METHODS
        if fault is not None:  # the answer is the failure, whether or not the call took effect
            status, body = fault.status, {"ok": False, "error": fault.error}
            if fault.status == 429:
                headers["Retry-After"] = str(fault.retry_after)
        with self._lock:
            self._calls.append(
                Call(
                    method=method,
                    args=copy.deepcopy(args),
                    response=body,
                    status=status,
                    took_effect=took_effect,
                )
            )
            self._changed.notify_all()
        return status, body, headers

    def _app_level_call(self, method: str, token: str) -> dict[str, Any]:
        """Methods taking an app-level token (xapp-); each token type is refused where it does not belong."""
        if token != self.app_token:
            error = "not_allowed_token_type" if token == self.bot_token else "invalid_auth"
            return {"ok": False, "error": error}
        if method not in APP_TOKEN_METHODS:
            return {"ok": False, "error": "not_allowed_token_type"}
        socket_mode = self.socket_mode
        if not socket_mode.running:  # a reconnect racing stop(): nothing to connect to any more
            return {"ok": False, "error": "service_unavailable"}
        return {"ok": True, "url": socket_mode.issue_url()}

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "api.test": lambda args: {"args": args},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
        }

    # -- auth / lookups

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._require_channel(args)
        created = 1_600_000_000
        if cid in self._dm_channels:
            return {
                "channel": {
                    "id": cid,
                    "created": created,
                    "is_im": True,
                    "is_org_shared": False,
                    "user": self._dm_channels[cid],
                    "is_user_deleted": False,
                    "priority": 0,
                }
            }
        name = self._channels[cid]
        empty = {"value": "", "creator": "", "last_set": 0}
        return {
            "channel": {
                "id": cid,
                "name": name,
                "name_normalized": name,
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": False,
                "is_archived": False,
                "is_general": name == "general",
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "is_member": cid not in self._bot_not_in,
                "created": created,
                "creator": next(iter(self._users)),
                "topic": dict(empty),
                "purpose": dict(empty),
                "context_team_id": self.team_id,
            }
        }

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """The bot's direct message with one person (``users``), as its id."""
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) != 1 or users[0] not in self._users:
            raise SlackApiFailure("user_not_found")
        cid = self.resolve_channel(users[0])
        return {"channel": {"id": cid}, "no_op": True, "already_open": True}

    def _require_member_channel(self, args: dict[str, Any]) -> str:
        """For the read methods: a conversation id, as Slack wants there. A user id is not one (only
        chat.postMessage opens the DM for it): channel_not_found, as Slack answers."""
        if str(args.get("channel") or "") in self._users:
            raise SlackApiFailure("channel_not_found")
        cid = self._require_channel(args)
        if cid in self._bot_not_in:
            raise SlackApiFailure("not_in_channel")
        return cid

    def _read_window(self, args: dict[str, Any]) -> history.Window:
        try:
            return history.Window.from_args(args, self.clock())
        except history.HistoryArgumentError as exc:
            raise SlackApiFailure(exc.error) from exc

    def _read_page(
        self, messages: list[Message], args: dict[str, Any], *, default_limit: int, newest_first: bool
    ) -> dict[str, Any]:
        """A page of messages as both read methods answer it, with metadata only when asked for."""
        try:
            shown, next_cursor = history.page(
                messages, lambda m: m.ts, args, default_limit=default_limit, newest_first=newest_first
            )
        except history.HistoryArgumentError as exc:
            raise SlackApiFailure(exc.error) from exc
        with_metadata = _truthy(args.get("include_all_metadata"))
        return {
            "messages": [self._as_read(m, with_metadata) for m in shown],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _as_read(self, msg: Message, with_metadata: bool) -> dict[str, Any]:
        """A message as the read methods return it: thread counts on a parent, the parent's author
        on a reply, and ``metadata`` only with include_all_metadata."""
        out = msg.to_api(self.team_id, self.app_id)
        if not with_metadata:
            out.pop("metadata", None)
        replies = [r for r in msg.replies if not r.deleted]
        if replies:
            users = list(dict.fromkeys(r.user for r in replies))
            out.update(
                reply_count=len(replies),
                reply_users_count=len(users),
                reply_users=users,
                latest_reply=replies[-1].ts,
                is_locked=False,
                subscribed=False,
            )
        if msg.thread_ts and msg.thread_ts != msg.ts:
            parent = self._by_ts.get((msg.channel, msg.thread_ts))
            if parent is not None:
                out["parent_user_id"] = parent.user
            if msg.reply_broadcast:
                out["subtype"] = "thread_broadcast"
        return out

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """The channel's messages, newest first: top-level ones and replies also sent to the channel."""
        cid = self._require_member_channel(args)
        window = self._read_window(args)
        tops = self._messages.get(cid, [])
        shown = [m for m in tops if not m.deleted]
        shown += [r for m in tops for r in m.replies if r.reply_broadcast and not r.deleted]
        shown = sorted(
            (m for m in shown if window.contains(m.ts)), key=lambda m: history.ts_key(m.ts), reverse=True
        )
        return {"pin_count": 0, **self._read_page(shown, args, default_limit=100, newest_first=True)}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent first (on the first page, whatever the window), then replies oldest first."""
        cid = self._require_member_channel(args)
        found = self._by_ts.get((cid, str(args.get("ts") or "")))
        if found is not None and found.thread_ts and found.thread_ts != found.ts:
            found = self._by_ts.get((cid, found.thread_ts))  # a reply's ts stands for its whole thread
        if found is None or found.deleted:
            raise SlackApiFailure("thread_not_found")
        window = self._read_window(args)
        replies = [r for r in found.replies if not r.deleted and window.contains(r.ts)]
        return self._read_page([found, *replies], args, default_limit=1000, newest_first=False)

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        uid = str(args.get("user") or "")
        if uid not in self._users:
            raise SlackApiFailure("user_not_found")
        name = self._users[uid]
        try:
            offset = datetime.now(ZoneInfo(self.user_tz)).utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        except ZoneInfoNotFoundError:
            tz_offset = 0
        is_bot = uid == self.bot_user_id
        profile: dict[str, Any] = {
            "real_name": name,
            "real_name_normalized": name,
            "display_name": name,
            "display_name_normalized": name,
            "team": self.team_id,
        }
        if is_bot:
            profile["bot_id"] = self.bot_id
        else:
            profile["email"] = f"{name}@{self.team_domain}.example"
        return {
            "user": {
                "id": uid,
                "team_id": self.team_id,
                "name": name,
                "deleted": False,
                "real_name": name,
                "tz": self.user_tz,
                "tz_label": self.user_tz,
                "tz_offset": tz_offset,
                "profile": profile,
                "is_admin": False,
                "is_owner": False,
                "is_bot": is_bot,
                "is_app_user": False,
                "updated": 1_600_000_000,
            }
        }

    # -- chat

    def _require_channel(self, args: dict[str, Any]) -> str:
        raw = args.get("channel")
        if not raw:
            raise SlackApiFailure("channel_not_found")
        cid = self.resolve_channel(str(raw))
        if cid is None:
            raise SlackApiFailure("channel_not_found")
        return cid

    def _message_content(
        self, args: dict[str, Any], *, required: bool = True
    ) -> tuple[str | None, list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
        text = args.get("text")
        text = None if text is None else str(text)
        blocks = _decode_json_arg(args, "blocks", "invalid_blocks_format")
        attachments = _decode_json_arg(args, "attachments", "invalid_attachments")
        if blocks is not None and not isinstance(blocks, list):
            raise SlackApiFailure("invalid_blocks_format")
        if attachments is not None and not isinstance(attachments, list):
            raise SlackApiFailure("invalid_attachments")
        if required and not text and not blocks and not attachments:
            raise SlackApiFailure("no_text")
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise SlackApiFailure("msg_too_long")
        if blocks is not None:
            errors = validate_message_blocks(blocks)
            if errors:
                raise SlackApiFailure(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
            blocks = self._fill_ids(blocks)
        return text, blocks, attachments

    def _fill_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Give blocks and interactive elements the ids Slack generates when an app omits them."""
        blocks = copy.deepcopy(blocks)
        for block in blocks:
            if "block_id" not in block:
                block["block_id"] = self._next_id("blk")
            for element in block_elements(block):
                if element.get("type") in INTERACTIVE_ELEMENTS and "action_id" not in element:
                    element["action_id"] = self._next_id("act")
        return blocks

    def _store_message(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        thread_ts: str | None,
        bot_id: str | None,
        attachments: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        reply_broadcast: bool = False,
    ) -> Message:
        ts = self._next_ts()
        msg = Message(
            channel=channel,
            ts=ts,
            user=user,
            text=text,
            blocks=blocks,
            bot_id=bot_id,
            attachments=attachments or [],
            metadata=metadata,
            reply_broadcast=reply_broadcast,
        )
        if thread_ts:
            parent = self._by_ts.get((channel, thread_ts))
            if parent is not None and parent.thread_ts and parent.thread_ts != parent.ts:
                parent = self._by_ts.get((channel, parent.thread_ts), parent)
            if parent is None:
                msg.thread_ts = thread_ts
                self._orphan_replies.append(msg)
            else:
                parent.thread_ts = parent.ts
                msg.thread_ts = parent.ts
                parent.replies.append(msg)
        else:
            self._messages.setdefault(channel, []).append(msg)
        self._by_ts[(channel, ts)] = msg
        self._changed.notify_all()
        return msg

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._require_channel(args)
        text, blocks, attachments = self._message_content(args)
        metadata = _decode_metadata(args)
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        msg = self._store_message(
            cid,
            self.bot_user_id,
            text or "",
            blocks or [],
            thread_ts=thread_ts,
            bot_id=self.bot_id,
            attachments=attachments,
            metadata=metadata,
            reply_broadcast=_truthy(args.get("reply_broadcast")),
        )
        return {"channel": cid, "ts": msg.ts, "message": msg.to_api(self.team_id, self.app_id)}

    def _find_message(self, cid: str, ts: Any) -> Message:
        msg = self._by_ts.get((cid, str(ts or "")))
        if msg is None or msg.deleted:
            raise SlackApiFailure("message_not_found")
        return msg

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._require_channel(args)
        msg = self._find_message(cid, args.get("ts"))
        if msg.user != self.bot_user_id:
            raise SlackApiFailure("cant_update_message")
        text, blocks, attachments = self._message_content(args)
        self._apply_edit(msg, text, blocks, attachments, metadata=_decode_metadata(args))
        return {
            "channel": cid,
            "ts": msg.ts,
            "text": msg.text,
            "message": msg.to_api(self.team_id, self.app_id),
        }

    def _apply_edit(
        self,
        msg: Message,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        attachments: list[dict[str, Any]] | None = None,
        *,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        previous = msg.snapshot()
        previous.ts = self._next_ts()  # when this version was superseded, as Slack's edited.ts
        msg.edits.append(previous)
        if text is not None:
            msg.text = text
        if blocks is not None:
            msg.blocks = blocks
        if attachments is not None:
            msg.attachments = attachments
        if metadata is not None:  # chat.update leaves metadata as it is unless given
            msg.metadata = metadata
        self._changed.notify_all()

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._require_channel(args)
        msg = self._find_message(cid, args.get("ts"))
        if msg.user != self.bot_user_id:
            raise SlackApiFailure("cant_delete_message")
        msg.deleted = True
        self._changed.notify_all()
        return {"channel": cid, "ts": msg.ts}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._require_channel(args)
        user = str(args.get("user") or "")
        if user not in self._users:
            raise SlackApiFailure("user_not_found")
        text, blocks, _ = self._message_content(args)
        ts = self._next_ts()
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        self._ephemerals.append(
            Ephemeral(
                channel=cid,
                user=user,
                text=text or "",
                blocks=blocks or [],
                ts=ts,
                thread_ts=thread_ts,
                author=self.bot_user_id,
            )
        )
        self._changed.notify_all()
        return {"message_ts": ts}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        cid = self._require_channel(args)
        msg = self._find_message(cid, args.get("message_ts"))
        link = f"https://{self.team_domain}.slack.com/archives/{cid}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts and msg.thread_ts != msg.ts:
            link += f"?thread_ts={msg.thread_ts}&cid={cid}"
        return {"channel": cid, "permalink": link}

    # -- views

    def _decode_view(
        self, args: dict[str, Any], validate: Callable[[dict[str, Any]], list[str]] = validate_view
    ) -> dict[str, Any]:
        raw = args.get("view")
        if raw is None:
            raise SlackApiFailure(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: view"]}
            )
        if isinstance(raw, str):
            if len(raw.encode()) > MAX_VIEW_BYTES:
                raise SlackApiFailure("view_too_large")
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SlackApiFailure(
                    "invalid_arguments",
                    response_metadata={"messages": [f"[ERROR] view is not valid JSON: {exc}"]},
                ) from exc
        if not isinstance(raw, dict):
            raise SlackApiFailure(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] view must be an object"]}
            )
        if len(json.dumps(raw).encode()) > MAX_VIEW_BYTES:
            raise SlackApiFailure("view_too_large")
        errors = validate(raw)
        if errors:
            raise SlackApiFailure(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )
        return raw

    def _exchange_trigger(self, args: dict[str, Any]) -> _Trigger:
        trigger_id = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise SlackApiFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackApiFailure("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise SlackApiFailure("expired_trigger_id")
        trigger.used = True
        return trigger

    def _build_view(
        self, raw: dict[str, Any], *, view_id: str, root_view_id: str, previous_view_id: str | None
    ) -> dict[str, Any]:
        blocks = self._fill_ids(list(raw.get("blocks") or []))
        view: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": raw.get("type", "modal"),
            "blocks": blocks,
            "private_metadata": raw.get("private_metadata", ""),
            "callback_id": raw.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self.clock())}.{secrets.token_hex(4)}",
            "title": _plain(raw.get("title")),
            "clear_on_close": bool(raw.get("clear_on_close", False)),
            "notify_on_close": bool(raw.get("notify_on_close", False)),
            "close": _plain(raw.get("close")),
            "submit": _plain(raw.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": self.app_id,
            "external_id": raw.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        return view

    def _claim_external_id(self, raw: dict[str, Any], view_id: str) -> None:
        external_id = raw.get("external_id")
        if not external_id:
            return
        owner = self._external_ids.get(external_id)
        if owner is not None and owner != view_id:
            raise SlackApiFailure("duplicate_external_id")
        self._external_ids[external_id] = view_id

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = self._decode_view(args)
        trigger = self._exchange_trigger(args)
        view_id = self._next_id("V")
        self._claim_external_id(raw, view_id)
        view = self._build_view(raw, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        self._register_view(view, trigger.user, push=False)
        return {"view": copy.deepcopy(view)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = self._decode_view(args)
        trigger = self._exchange_trigger(args)
        stack = self._view_stacks.get(trigger.user or "", [])
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackApiFailure("push_limit_reached")
        view_id = self._next_id("V")
        self._claim_external_id(raw, view_id)
        root = stack[0] if stack else view_id
        previous = stack[-1] if stack else None
        view = self._build_view(raw, view_id=view_id, root_view_id=root, previous_view_id=previous)
        self._register_view(view, trigger.user, push=True)
        return {"view": copy.deepcopy(view)}

    def _register_view(self, view: dict[str, Any], user: str | None, *, push: bool) -> None:
        view_id = view["id"]
        self._views[view_id] = view
        self._opened_views.append(copy.deepcopy(view))
        self._view_owner[view_id] = user
        key = user or ""
        if push:
            self._view_stacks.setdefault(key, []).append(view_id)
        else:
            self._view_stacks[key] = [view_id]
        self._changed.notify_all()

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise SlackApiFailure(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] either view_id or external_id is required"]},
            )
        if not view_id:
            view_id = self._external_ids.get(str(external_id))
        if not view_id or view_id not in self._views:
            raise SlackApiFailure("not_found")
        raw = self._decode_view(args)
        current = self._views[view_id]
        given_hash = args.get("hash")
        if given_hash and given_hash != current["hash"]:
            raise SlackApiFailure("hash_conflict")
        self._claim_external_id(raw, view_id)
        view = self._build_view(
            raw,
            view_id=view_id,
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        if not raw.get("external_id") and current.get("external_id"):
            view["external_id"] = current["external_id"]
        self._views[view_id] = view
        self._changed.notify_all()
        return {"view": copy.deepcopy(view)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A person's Home tab: one view per user, replaced by each publish (its id stays)."""
        user = str(args.get("user_id") or "")
        if not user:
            missing = ["[ERROR] missing required field: user_id"]
            raise SlackApiFailure("invalid_arguments", response_metadata={"messages": missing})
        if user not in self._users or user == self.bot_user_id:
            raise SlackApiFailure("invalid_arguments", response_metadata={"messages": ["invalid `user_id`"]})
        raw = self._decode_view(args, validate_home_view)
        current = self._home_views.get(user)
        given_hash = args.get("hash")
        if given_hash and current is not None and given_hash != current["hash"]:
            raise SlackApiFailure("hash_conflict")
        view_id = current["id"] if current is not None else self._next_id("V")
        view = self._build_view(raw, view_id=view_id, root_view_id=view_id, previous_view_id=None)
        self._home_views[user] = view
        self._changed.notify_all()
        return {"view": copy.deepcopy(view)}

    def view_owner(self, view_id: str) -> str | None:
        """The person a view was opened for."""
        with self._lock:
            return self._view_owner.get(view_id)

    def is_view_open(self, view_id: str) -> bool:
        """Whether the view is still on its owner's screen (submitting a closed one is a test bug)."""
        with self._lock:
            if view_id not in self._views:
                return False
            owner = self._view_owner.get(view_id) or ""
            return view_id in self._view_stacks.get(owner, [])

    def apply_view_submission_response(
        self, view_id: str, user: str, response: dict[str, Any] | None
    ) -> None:
        """Do what Slack does with the bot's ack to a view_submission (close, errors, update, push, clear)."""
        with self._lock:
            user = self._view_owner.get(view_id) or user
            stack = self._view_stacks.setdefault(user, [])
            action = (response or {}).get("response_action")
            if action == "errors":
                self._views[view_id]["errors"] = dict(response.get("errors") or {})  # type: ignore[union-attr]
            elif action in ("update", "push"):
                raw = (response or {}).get("view")
                errors = validate_view(raw) if isinstance(raw, dict) else ["view missing from response"]
                if errors:
                    self._ui_errors.append(f"response_action={action} for {view_id} rejected: {errors}")
                elif action == "update":
                    current = self._views[view_id]
                    new = self._build_view(
                        raw,  # type: ignore[arg-type]
                        view_id=view_id,
                        root_view_id=current["root_view_id"],
                        previous_view_id=current["previous_view_id"],
                    )
                    self._views[view_id] = new
                else:
                    new_id = self._next_id("V")
                    root = stack[0] if stack else new_id
                    new = self._build_view(raw, view_id=new_id, root_view_id=root, previous_view_id=view_id)  # type: ignore[arg-type]
                    self._register_view(new, user, push=True)
            elif action == "clear":
                stack.clear()
            else:
                if view_id in stack:
                    del stack[stack.index(view_id) :]
            self._changed.notify_all()

    def close_view(self, view_id: str, user: str) -> bool:
        """Close a view (the person pressed Cancel/X); returns whether it cleared the whole stack."""
        with self._lock:
            user = self._view_owner.get(view_id) or user
            stack = self._view_stacks.setdefault(user, [])
            view = self._views.get(view_id, {})
            if view.get("clear_on_close") or (stack and stack[0] == view_id):
                stack.clear()
                cleared = True
            else:
                if view_id in stack:
                    stack.remove(view_id)
                cleared = False
            self._changed.notify_all()
            return cleared

    # ------------------------------------------------------------------ response_url

    def handle_response_url(self, url_id: str, payload: dict[str, Any]) -> tuple[int, str]:
        """Record a response_url POST and apply it to the channel like Slack does."""
        with self._lock:
            target = self._response_urls.get(url_id)
            if target is None:
                return 404, "no_active_hooks"
            target.uses += 1
            self._responses.append(
                ResponsePost(
                    url_id=url_id,
                    payload=copy.deepcopy(payload),
                    channel=target.channel,
                    user=target.user,
                    message_ts=target.message_ts,
                )
            )
            self._changed.notify_all()
            blocks = payload.get("blocks")
            if isinstance(blocks, str):
                try:
                    blocks = json.loads(blocks)
                except json.JSONDecodeError:
                    return 400, "invalid_blocks_format"
            if blocks is not None:
                if not isinstance(blocks, list) or validate_message_blocks(blocks):
                    return 400, "invalid_blocks"
                blocks = self._fill_ids(blocks)
            text = payload.get("text")
            channel = target.channel
            if channel is None:
                return 200, "ok"
            if _truthy(payload.get("delete_original")) and target.message_ts:
                original = self._by_ts.get((channel, target.message_ts))
                if original is not None:
                    original.deleted = True
                return 200, "ok"
            if _truthy(payload.get("replace_original")) and target.message_ts:
                original = self._by_ts.get((channel, target.message_ts))
                if original is not None:
                    self._apply_edit(original, text if text is not None else "", blocks or [])
                    return 200, "ok"
            if text is None and blocks is None:
                return 400, "no_text"
            if payload.get("response_type") == "in_channel":
                self._store_message(
                    channel,
                    self.bot_user_id,
                    text or "",
                    blocks or [],
                    thread_ts=payload.get("thread_ts"),
                    bot_id=self.bot_id,
                )
            else:
                self._ephemerals.append(
                    Ephemeral(
                        channel=channel,
                        user=target.user or "",
                        text=text or "",
                        blocks=blocks or [],
                        ts=self._next_ts(),
                        thread_ts=payload.get("thread_ts"),
                        author=self.bot_user_id,
                    )
                )
                self._changed.notify_all()
            return 200, "ok"

    def apply_command_ack(self, channel: str, user: str, body: dict[str, Any]) -> None:
        """Show a slash-command ack body to the person (ephemeral) or the channel (in_channel)."""
        text, blocks = body.get("text"), body.get("blocks")
        if not text and not blocks:
            return
        with self._lock:
            if body.get("response_type") == "in_channel":
                self._store_message(
                    channel,
                    self.bot_user_id,
                    text or "",
                    self._fill_ids(blocks or []),
                    thread_ts=None,
                    bot_id=self.bot_id,
                )
            else:
                self._ephemerals.append(
                    Ephemeral(
                        channel=channel,
                        user=user,
                        text=text or "",
                        blocks=self._fill_ids(blocks or []),
                        ts=self._next_ts(),
                        author=self.bot_user_id,
                    )
                )
                self._changed.notify_all()


# ---------------------------------------------------------------------- helpers


def _plain(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"type": "plain_text", "text": value, "emoji": True}
    out = dict(value)
    if out.get("type") == "plain_text":
        out.setdefault("emoji", True)
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _decode_metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    """Message metadata as chat.postMessage and chat.update take it: an event_type and a payload object."""
    metadata = _decode_json_arg(args, "metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and metadata["event_type"]
        and isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackApiFailure("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _decode_json_arg(args: dict[str, Any], name: str, error: str) -> Any:
    value = args.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SlackApiFailure(error) from exc
    return value


def parse_request_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Merge query-string and body arguments the way Slack reads form or JSON requests."""
    args: dict[str, Any] = {k: v for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)}
    if not body:
        return args
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            decoded = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SlackApiFailure("invalid_json") from exc
        if not isinstance(decoded, dict):
            raise SlackApiFailure("invalid_json")
        args.update(decoded)
    elif ctype == "application/x-www-form-urlencoded" or not ctype:
        args.update(dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)))
    elif ctype == "multipart/form-data":
        args.update(_parse_multipart(body, content_type))
    else:
        raise SlackApiFailure("invalid_form_data")
    return args


def _parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    """Text fields of a multipart body (WebClient sends one when called with ``data=``)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.message_from_bytes(head + body, policy=email.policy.HTTP)
    if not message.is_multipart():
        raise SlackApiFailure("invalid_form_data")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields


def _make_handler(emulator: SlackEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Routes /api/<method> and /response/<id>."""

        server_version = "SlackEmulator/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(
            self, status: int, body: str, content_type: str, headers: dict[str, str] | None = None
        ) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            body = self._read_body()
            if parsed.path.startswith("/api/"):
                method = parsed.path[len("/api/") :].strip("/")
                auth = self.headers.get("Authorization") or ""
                token: str | None = auth[7:].strip() if auth.lower().startswith("bearer ") else None
                try:
                    args = parse_request_args(parsed.query, body, self.headers.get("Content-Type") or "")
                except SlackApiFailure as failure:
                    self._send(200, json.dumps({"ok": False, "error": failure.error}), "application/json")
                    return
                token = token or args.pop("token", None)
                args.pop("token", None)
                status, payload, headers = emulator.handle_api(method, args, token)
                self._send(status, json.dumps(payload), "application/json; charset=utf-8", headers)
            elif parsed.path.startswith("/response/"):
                url_id = parsed.path[len("/response/") :].strip("/")
                try:
                    payload = json.loads(body.decode("utf-8") or "{}")
                except (UnicodeDecodeError, json.JSONDecodeError):
                    self._send(400, "invalid_payload", "text/plain")
                    return
                status, text = emulator.handle_response_url(
                    url_id, payload if isinstance(payload, dict) else {}
                )
                self._send(status, text, "text/plain")
            else:
                self._send(404, "not found", "text/plain")

        def do_POST(self) -> None:
            """Slack accepts POST for every method."""
            self._handle()

        def do_GET(self) -> None:
            """slack_sdk uses GET for some read methods."""
            self._handle()

    return Handler
