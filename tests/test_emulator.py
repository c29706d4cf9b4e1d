"""Tests of the local Slack emulator, driver and transcript, over real HTTP on 127.0.0.1.

The rest of the suite trusts these pieces to behave like Slack, so here they are checked against
slack_sdk's own client, retry handler and signature verifier, and against slack_bolt's routing.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier

from slack_emulator import SlackDriver, SlackEmulator, render_channel, render_message

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
WHEN = 1_795_600_800  # 2026-11-25 10:00 UTC


# ---------------------------------------------------------------------- helpers


@dataclass
class Received:
    """One request the stand-in bot endpoint got."""

    body: bytes
    headers: dict[str, str]
    valid: bool

    @property
    def payload(self) -> dict[str, Any]:
        """The interaction payload (form field ``payload``) as JSON."""
        form = dict(urllib.parse.parse_qsl(self.body.decode()))
        return json.loads(form["payload"])

    @property
    def form(self) -> dict[str, str]:
        """The form fields (slash commands)."""
        return dict(urllib.parse.parse_qsl(self.body.decode()))


Handler = Callable[[bytes, dict[str, str]], tuple[int, str, str]]


class Receiver:
    """A tiny HTTP endpoint on a free port standing in for the bot's request URL."""

    def __init__(self, handle: Handler) -> None:
        outer = self

        class _H(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                """Pass the request to ``handle``."""
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, text, ctype = outer.handle(body, dict(self.headers.items()))
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.handle = handle
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """The request URL to give the driver."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@dataclass
class VerifyingBot:
    """Verifies signatures like a real app would and records what arrived."""

    received: list[Received] = field(default_factory=list)
    reply: dict[str, Any] | None = None

    def __call__(self, body: bytes, headers: dict[str, str]) -> tuple[int, str, str]:
        valid = SignatureVerifier(SECRET).is_valid_request(body, headers)
        self.received.append(Received(body=body, headers=headers, valid=valid))
        if not valid:
            return 401, "invalid signature", "text/plain"
        return 200, json.dumps(self.reply) if self.reply else "", "application/json"


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    with SlackEmulator(bot_token=TOKEN) as emu:
        yield emu


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(base_url=emulator.base_url, token=TOKEN)


@pytest.fixture
def bot() -> VerifyingBot:
    return VerifyingBot()


@pytest.fixture
def driver(emulator: SlackEmulator, bot: VerifyingBot) -> Iterator[SlackDriver]:
    receiver = Receiver(bot)
    yield SlackDriver(receiver.url, SECRET, emulator)
    receiver.close()


def _modal(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "report_oops",
        "private_metadata": json.dumps({"channel": "C0OOPS"}),
        "title": {"type": "plain_text", "text": "Report an oops"},
        "submit": {"type": "plain_text", "text": "Report"},
        "blocks": [
            {
                "type": "input",
                "block_id": "what",
                "label": {"type": "plain_text", "text": "What happened?"},
                "element": {"type": "plain_text_input", "action_id": "what_input"},
            },
            {
                "type": "input",
                "block_id": "scale",
                "label": {"type": "plain_text", "text": "Scale"},
                "element": {
                    "type": "static_select",
                    "action_id": "scale_select",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Small"}, "value": "small"},
                        {"text": {"type": "plain_text", "text": "Big"}, "value": "big"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "when",
                "label": {"type": "plain_text", "text": "When"},
                "element": {"type": "datetimepicker", "action_id": "when_picker"},
            },
            {
                "type": "input",
                "block_id": "team",
                "optional": True,
                "label": {"type": "plain_text", "text": "Team"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "team_input",
                    "initial_value": "Billing",
                },
            },
            {
                "type": "input",
                "block_id": "notes",
                "optional": True,
                "label": {"type": "plain_text", "text": "Notes"},
                "element": {"type": "plain_text_input", "action_id": "notes_input", "multiline": True},
            },
        ],
    }
    view.update(overrides)
    return view


def _card_blocks() -> list[dict[str, Any]]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Invoice sent twice"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Reported* by <@U0AILSA> in <#C0FIN> &amp; <https://x.test/d|the doc>",
            },
            "fields": [{"type": "mrkdwn", "text": "*Scale:*\nbig"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Step 1 of 4"}]},
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "card_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": "oops-7",
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Approve"},
                },
                {"type": "button", "action_id": "reject", "text": {"type": "plain_text", "text": "Reject"}},
                {
                    "type": "static_select",
                    "action_id": "dept",
                    "placeholder": {"type": "plain_text", "text": "Add a department"},
                    "options": [
                        {"text": {"type": "plain_text", "text": "Finance"}, "value": "finance"},
                        {"text": {"type": "plain_text", "text": "Support"}, "value": "support"},
                    ],
                },
                {"type": "datetimepicker", "action_id": "due", "initial_date_time": WHEN},
            ],
        },
    ]


# ---------------------------------------------------------------------- Web API


def test_post_thread_update_ephemeral_permalink(emulator: SlackEmulator, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == emulator.bot_user_id

    parent = client.chat_postMessage(channel="#oops", text="first")
    assert parent["channel"] == "C0OOPS"
    reply = client.chat_postMessage(channel="oops", thread_ts=parent["ts"], text="in thread")
    second = client.chat_postMessage(channel="C0OOPS", text="second")
    assert float(parent["ts"]) < float(reply["ts"]) < float(second["ts"])

    tops = emulator.messages("C0OOPS")
    assert [m.text for m in tops] == ["first", "second"]
    assert tops[0].user == emulator.bot_user_id
    assert [m.text for m in tops[0].replies] == ["in thread"]
    assert [m.text for m in emulator.thread("C0OOPS", parent["ts"])] == ["first", "in thread"]
    assert emulator.thread("C0OOPS", reply["ts"])[0].ts == parent["ts"]

    updated = client.chat_update(channel="C0OOPS", ts=parent["ts"], text="first, corrected")
    assert updated["text"] == "first, corrected"
    msg = emulator.messages("oops")[0]
    assert msg.text == "first, corrected"
    assert [e.text for e in msg.edits] == ["first"]

    eph = client.chat_postEphemeral(channel="C0OOPS", user="U0JO", text="only you")
    assert eph["message_ts"]
    assert [(e.channel, e.user, e.text) for e in emulator.ephemerals] == [("C0OOPS", "U0JO", "only you")]

    link = client.chat_getPermalink(channel="C0OOPS", message_ts=parent["ts"])["permalink"]
    assert link.endswith("/archives/C0OOPS/p" + parent["ts"].replace(".", ""))
    assert emulator.find_message(lambda m: m.text == "in thread") is not None
    assert [c.method for c in emulator.calls_to("chat.postMessage")] == ["chat.postMessage"] * 3


def test_errors_like_slack(emulator: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as bad_token:
        WebClient(base_url=emulator.base_url, token="xoxb-wrong").chat_postMessage(channel="oops", text="x")
    assert bad_token.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as no_token:
        WebClient(base_url=emulator.base_url).auth_test()
    assert no_token.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as unknown_channel:
        client.chat_postMessage(channel="#nowhere", text="x")
    assert unknown_channel.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as no_text, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="oops", text="")
    assert no_text.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="oops", ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"
    with pytest.raises(SlackApiError) as no_user:
        client.users_info(user="U0NOBODY")
    assert no_user.value.response["error"] == "user_not_found"
    assert client.users_info(user="U0MARC")["user"]["profile"]["display_name"] == "marc"
    assert client.conversations_info(channel="C0FIN")["channel"]["name"] == "finance"
    assert all(c.status == 200 for c in emulator.calls)
    assert emulator.messages("oops") == []


def test_block_kit_limits(emulator: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as too_many:
        client.chat_postMessage(channel="oops", text="x", blocks=[{"type": "divider"}] * 51)
    assert too_many.value.response["error"] == "invalid_blocks"
    assert too_many.value.response["errors"]

    long_header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    with pytest.raises(SlackApiError) as invalid:
        client.chat_postMessage(channel="oops", text="x", blocks=[long_header])
    assert invalid.value.response["error"] == "invalid_blocks"
    assert "/blocks/0" in invalid.value.response["errors"][0]

    ok = client.chat_postMessage(channel="oops", text="x", blocks=[{"type": "divider"}] * 50)
    assert ok["ok"]
    assert len(emulator.messages("oops")) == 1


def test_form_encoded_and_multipart_bodies(emulator: SlackEmulator, client: WebClient) -> None:
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "from a form"}}])
    form = client.api_call("chat.postMessage", params={"channel": "oops", "text": "f", "blocks": blocks})
    parts = "".join(
        f'--xyz\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in {"channel": "C0OOPS", "text": "m", "blocks": blocks}.items()
    )
    request = urllib.request.Request(
        emulator.base_url + "chat.postMessage",
        data=(parts + "--xyz--\r\n").encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    with urllib.request.urlopen(request, timeout=5) as raw:
        multipart = json.loads(raw.read())
    trigger = emulator.new_trigger_id("U0AILSA")
    opened = client.api_call("views.open", params={"trigger_id": trigger, "view": json.dumps(_modal())})
    assert form["ok"] and multipart["ok"] and opened["view"]["callback_id"] == "report_oops"
    assert [m.blocks[0]["text"]["text"] for m in emulator.messages("oops")] == ["from a form"] * 2
    with pytest.raises(SlackApiError) as bad:
        client.api_call("chat.postMessage", params={"channel": "oops", "blocks": "[not json"})
    assert bad.value.response["error"] == "invalid_blocks_format"


def test_modal_title_too_long_is_rejected(emulator: SlackEmulator, client: WebClient) -> None:
    trigger = emulator.new_trigger_id("U0AILSA")
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=_modal(title={"type": "plain_text", "text": "t" * 30}))
    assert err.value.response["error"] == "invalid_arguments"
    assert any("title" in m for m in err.value.response["response_metadata"]["messages"])
    assert emulator.views == {}


def test_trigger_lifetime_with_injected_clock() -> None:
    now = [1_700_000_000.0]
    with SlackEmulator(bot_token=TOKEN, clock=lambda: now[0]) as emu:
        client = WebClient(base_url=emu.base_url, token=TOKEN)
        fresh = emu.new_trigger_id("U0AILSA")
        now[0] += 2.9
        view = client.views_open(trigger_id=fresh, view=_modal())["view"]
        assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "report_oops"
        assert emu.view_stack("U0AILSA") == [view["id"]]

        with pytest.raises(SlackApiError) as reused:
            client.views_open(trigger_id=fresh, view=_modal())
        assert reused.value.response["error"] == "exchanged_trigger_id"

        stale = emu.new_trigger_id("U0AILSA")
        now[0] += 3.1
        with pytest.raises(SlackApiError) as expired:
            client.views_open(trigger_id=stale, view=_modal())
        assert expired.value.response["error"] == "expired_trigger_id"

        with pytest.raises(SlackApiError) as unknown:
            client.views_open(trigger_id="123.456.nope", view=_modal())
        assert unknown.value.response["error"] == "invalid_trigger_id"
        assert [v["id"] for v in emu.opened_views] == [view["id"]]


def test_views_update_and_hash_conflict(emulator: SlackEmulator, client: WebClient) -> None:
    view = client.views_open(trigger_id=emulator.new_trigger_id("U0AILSA"), view=_modal())["view"]
    new_title = {"type": "plain_text", "text": "Step 2"}
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=_modal(title=new_title))["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    assert emulator.views[view["id"]]["title"]["text"] == "Step 2"
    with pytest.raises(SlackApiError) as conflict:
        client.views_update(view_id=view["id"], hash=view["hash"], view=_modal())
    assert conflict.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as missing:
        client.views_update(view_id="V404", view=_modal())
    assert missing.value.response["error"] == "not_found"


def test_rate_limit_then_success_with_retry_handler(
    emulator: SlackEmulator, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers.time, "sleep", slept.append)  # honour Retry-After without waiting
    emulator.fail_next("chat.postMessage", status=429, retry_after=1)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    response = client.chat_postMessage(channel="oops", text="after a pause")

    assert response["ok"]
    calls = emulator.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response["error"] == "ratelimited"
    assert len(slept) == 1 and slept[0] >= 1
    assert [m.text for m in emulator.messages("oops")] == ["after a pause"]


def test_rate_limit_without_retry_raises(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail_next("views.open", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=emulator.new_trigger_id(), view=_modal())
    assert err.value.response.status_code == 429
    assert err.value.response.headers.get("Retry-After") == "7"


def test_injected_server_error(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.fail_next("chat.update", status=500, error="internal_error", times=2)
    posted = client.chat_postMessage(channel="oops", text="v1")
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.chat_update(channel="oops", ts=posted["ts"], text="v2")
        assert err.value.response.status_code == 500
    assert client.chat_update(channel="oops", ts=posted["ts"], text="v2")["ok"]
    assert [c.status for c in emulator.calls_to("chat.update")] == [500, 500, 200]


def test_a_failure_after_effect_posts_the_message_but_answers_500(
    emulator: SlackEmulator, client: WebClient
) -> None:
    # Slack sometimes posts a message and still answers 500: the poster cannot tell from the answer.
    emulator.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)
    marker = {"event_type": "oops_post", "event_payload": {"incident": 7, "part": "header"}}
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="oops", text="OOPS-7 header", metadata=marker)
    assert err.value.response.status_code == 500 and err.value.response["error"] == "internal_error"
    [posted] = emulator.messages("oops")
    assert posted.text == "OOPS-7 header" and posted.metadata == marker
    [call] = emulator.calls_to("chat.postMessage")
    assert (call.status, call.ok, call.took_effect) == (500, False, True)

    # The message is there to be found, by its metadata, before posting again.
    found = client.conversations_history(channel="oops", include_all_metadata=True)["messages"]
    assert [(m["ts"], m["metadata"]) for m in found] == [(posted.ts, marker)]

    # A client that retries every 500 posts it twice: the reason a post must not be blindly retried.
    emulator.fail_next("chat.postMessage", status=500, error="internal_error", after_effect=True)
    client.retry_handlers.append(
        ServerErrorRetryHandler(
            max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
        )
    )
    assert client.chat_postMessage(channel="oops", text="retried")["ok"]
    assert [m.text for m in emulator.messages("oops")] == ["OOPS-7 header", "retried", "retried"]
    assert [(c.status, c.took_effect) for c in emulator.calls_to("chat.postMessage")[1:]] == [
        (500, True),
        (200, True),
    ]

    # A plain fault changes nothing.
    emulator.fail_next("chat.postMessage", status=500, error="internal_error")
    client.retry_handlers.clear()
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="finance", text="never posted")
    assert emulator.messages("finance") == [] and not emulator.calls_to("chat.postMessage")[-1].took_effect


def _history(client: WebClient, cursor: str | None = None, **args: Any) -> list[str]:
    """Texts of every message conversations.history returns, following next_cursor page by page."""
    texts: list[str] = []
    while True:
        page = client.conversations_history(cursor=cursor, **args)
        texts += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            return texts


def test_conversations_history_newest_first_in_a_window_by_pages(
    emulator: SlackEmulator, client: WebClient
) -> None:
    marker = {"event_type": "oops_post", "event_payload": {"incident": 1}}
    ts = [client.chat_postMessage(channel="oops", text=f"m{i}")["ts"] for i in range(4)]
    client.chat_postMessage(channel="oops", text="m4", metadata=marker)
    client.chat_postMessage(channel="oops", thread_ts=ts[0], text="in the thread only")
    client.chat_postMessage(channel="oops", thread_ts=ts[0], text="also sent to #oops", reply_broadcast=True)
    client.chat_postMessage(channel="finance", text="elsewhere")

    everything = client.conversations_history(channel="oops")
    assert [m["text"] for m in everything["messages"]] == ["also sent to #oops", "m4", "m3", "m2", "m1", "m0"]
    assert not everything["has_more"] and everything["response_metadata"]["next_cursor"] == ""
    by_text = {m["text"]: m for m in everything["messages"]}
    assert "metadata" not in by_text["m4"], "metadata only with include_all_metadata"
    assert (by_text["m0"]["reply_count"], by_text["m0"]["latest_reply"]) == (
        2,
        by_text["also sent to #oops"]["ts"],
    )
    assert by_text["also sent to #oops"]["subtype"] == "thread_broadcast"
    with_metadata = client.conversations_history(channel="oops", include_all_metadata=True)["messages"]
    assert [m.get("metadata") for m in with_metadata if m["text"].startswith("m")] == [
        marker,
        None,
        None,
        None,
        None,
    ]

    # oldest and latest bound the window, ends excluded unless inclusive.
    assert _history(client, channel="oops", oldest=ts[1], latest=ts[3]) == ["m2"]
    assert _history(client, channel="oops", oldest=ts[1], latest=ts[3], inclusive=True) == ["m3", "m2", "m1"]
    assert _history(client, channel="C0OOPS", latest=ts[1]) == ["m0"]

    # Pages of two hold the same messages in the same order; a message posted meanwhile moves nothing.
    first = client.conversations_history(channel="oops", limit=2)
    assert [m["text"] for m in first["messages"]] == ["also sent to #oops", "m4"] and first["has_more"]
    client.chat_postMessage(channel="oops", text="newer than the first page")
    rest = _history(client, channel="oops", limit=2, cursor=first["response_metadata"]["next_cursor"])
    assert rest == ["m3", "m2", "m1", "m0"]
    assert _history(client, channel="oops", limit=2)[:2] == [
        "newer than the first page",
        "also sent to #oops",
    ]

    for args, error in [
        ({"channel": "nowhere"}, "channel_not_found"),
        ({"channel": "oops", "cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"channel": "oops", "oldest": "yesterday"}, "invalid_ts_oldest"),
    ]:
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(**args)
        assert refused.value.response["error"] == error, args

    # The bot posts where it was never invited (chat:write.public) but reads only where it is a member.
    emulator.set_bot_member("finance", False)
    assert client.chat_postMessage(channel="finance", text="still allowed")["ok"]
    with pytest.raises(SlackApiError) as outside:
        client.conversations_history(channel="finance")
    assert outside.value.response["error"] == "not_in_channel"
    assert client.conversations_info(channel="C0FIN")["channel"]["is_member"] is False
    emulator.set_bot_member("finance")
    assert _history(client, channel="finance") == ["still allowed", "elsewhere"]


def test_conversations_replies_parent_first_then_replies(emulator: SlackEmulator, client: WebClient) -> None:
    marker = {"event_type": "oops_post", "event_payload": {"incident": 3, "part": "decision"}}
    parent = client.chat_postMessage(channel="oops", text="header")["ts"]
    replies = [
        client.chat_postMessage(channel="oops", thread_ts=parent, text=f"r{i}")["ts"] for i in range(3)
    ]
    client.chat_update(channel="oops", ts=replies[1], text="r1 redrawn", metadata=marker)
    alone = client.chat_postMessage(channel="oops", text="no thread")["ts"]

    thread = client.conversations_replies(channel="oops", ts=parent)
    assert [m["text"] for m in thread["messages"]] == ["header", "r0", "r1 redrawn", "r2"]
    assert thread["messages"][0]["reply_count"] == 3
    assert {m["thread_ts"] for m in thread["messages"]} == {parent}
    assert all(m["parent_user_id"] == emulator.bot_user_id for m in thread["messages"][1:])
    assert all("metadata" not in m for m in thread["messages"])
    assert client.conversations_replies(channel="oops", ts=replies[2])["messages"] == thread["messages"]

    with_metadata = client.conversations_replies(channel="oops", ts=parent, include_all_metadata=True)
    assert [m.get("metadata") for m in with_metadata["messages"]] == [None, None, marker, None]

    first = client.conversations_replies(channel="oops", ts=parent, limit=2)
    assert [m["text"] for m in first["messages"]] == ["header", "r0"] and first["has_more"]
    second = client.conversations_replies(
        channel="oops", ts=parent, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in second["messages"]] == ["r1 redrawn", "r2"] and not second["has_more"]

    after_r0 = client.conversations_replies(channel="oops", ts=parent, oldest=replies[0])["messages"]
    assert [m["text"] for m in after_r0] == ["header", "r1 redrawn", "r2"]
    assert [m["text"] for m in client.conversations_replies(channel="oops", ts=alone)["messages"]] == [
        "no thread"
    ]

    for args, error in [
        ({"channel": "oops", "ts": "1.000001"}, "thread_not_found"),
        ({"channel": "nowhere", "ts": parent}, "channel_not_found"),
    ]:
        with pytest.raises(SlackApiError) as refused:
            client.conversations_replies(**args)
        assert refused.value.response["error"] == error, args
    emulator.set_bot_member("oops", False)
    with pytest.raises(SlackApiError) as outside:
        client.conversations_replies(channel="oops", ts=parent)
    assert outside.value.response["error"] == "not_in_channel"


def test_metadata_must_have_an_event_type_and_payload(emulator: SlackEmulator, client: WebClient) -> None:
    for bad in [{"event_payload": {}}, {"event_type": "x"}, {"event_type": "x", "event_payload": "y"}]:
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="oops", text="hi", metadata=bad)
        assert refused.value.response["error"] == "invalid_metadata_format", bad
    assert emulator.messages("oops") == []


def test_wait_for_sees_changes_from_other_threads(emulator: SlackEmulator, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="finance", text="late"))
    timer.start()
    found = emulator.wait_for_message("finance", "late", timeout=3)
    assert found.channel == "C0FIN"
    timer.join()
    with pytest.raises(TimeoutError) as err:
        emulator.wait_for(lambda emu: len(emu.messages("support")) > 0, timeout=0.2)
    assert "support" in str(err.value) and "chat.postMessage" in str(err.value)


def test_response_url_in_channel_and_replace_original(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="oops", text="pending")
    url = emulator.new_response_url("C0OOPS", user="U0AILSA", message_ts=posted["ts"])
    from slack_sdk.webhook import WebhookClient

    WebhookClient(url).send(text="approved", replace_original=True)
    WebhookClient(url).send(text="for everyone", response_type="in_channel")
    WebhookClient(url).send(text="just you")
    msgs = emulator.messages("oops")
    assert [m.text for m in msgs] == ["approved", "for everyone"]
    assert msgs[0].edits[0].text == "pending"
    assert [e.text for e in emulator.ephemerals] == ["just you"]
    assert len(emulator.responses) == 3


# ---------------------------------------------------------------------- driver


def test_driver_signature_verifies(driver: SlackDriver, bot: VerifyingBot) -> None:
    body = b"token=x&command=%2Foops&text=hello"
    assert driver.send(body).status == 200

    old = int(time.time()) - 301
    assert driver.send(body, timestamp=old).status == 401

    ts = str(int(time.time()))
    good_signature = driver.send(body, timestamp=ts).status
    from slack_emulator import slack_signature

    tampered = driver.send(
        body.replace(b"hello", b"hellp"), timestamp=ts, signature=slack_signature(SECRET, ts, body)
    )
    retried = driver.send(
        body, extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )

    assert good_signature == 200 and tampered.status == 401 and retried.status == 200
    assert [r.valid for r in bot.received] == [True, False, True, False, True]
    assert bot.received[-1].headers["X-Slack-Retry-Num"] == "1"


def test_slash_command_payload(emulator: SlackEmulator, driver: SlackDriver, bot: VerifyingBot) -> None:
    bot.reply = {"text": "Opening the form…"}
    response = driver.slash("/oops", "invoice sent twice", user="U0MARC", channel="finance")
    assert response.status == 200 and response.json == {"text": "Opening the form…"}
    form = bot.received[0].form
    assert form["command"] == "/oops" and form["text"] == "invoice sent twice"
    assert (form["user_id"], form["user_name"], form["channel_id"], form["channel_name"]) == (
        "U0MARC",
        "marc",
        "C0FIN",
        "finance",
    )
    assert form["team_id"] == "T0WHEY" and form["api_app_id"] == "A0OOPS"
    assert form["response_url"].startswith(emulator.root_url + "/response/")
    view = emulator.view  # the trigger_id in the payload is one the emulator accepts
    client = WebClient(base_url=emulator.base_url, token=TOKEN)
    opened = client.views_open(trigger_id=form["trigger_id"], view=_modal())["view"]
    assert view(opened["id"])["callback_id"] == "report_oops"
    assert [e.text for e in emulator.ephemerals] == ["Opening the form…"]  # ack text shown to the person


def test_submit_view_payload(
    emulator: SlackEmulator, client: WebClient, driver: SlackDriver, bot: VerifyingBot
) -> None:
    view = client.views_open(trigger_id=emulator.new_trigger_id("U0AILSA"), view=_modal())["view"]
    with pytest.raises(KeyError):
        driver.submit_view(view["id"], {"nope": "x"})

    driver.submit_view(view["id"], {"what": "Invoice sent twice", "scale": "big", "when": WHEN})

    payload = bot.received[-1].payload
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == "U0AILSA" and payload["team"]["id"] == "T0WHEY"
    sent = payload["view"]
    assert (sent["id"], sent["callback_id"], sent["hash"]) == (view["id"], "report_oops", view["hash"])
    assert json.loads(sent["private_metadata"]) == {"channel": "C0OOPS"}
    values = sent["state"]["values"]
    assert values["what"]["what_input"] == {"type": "plain_text_input", "value": "Invoice sent twice"}
    assert values["scale"]["scale_select"]["type"] == "static_select"
    assert values["scale"]["scale_select"]["selected_option"]["value"] == "big"
    assert values["scale"]["scale_select"]["selected_option"]["text"]["text"] == "Big"
    assert values["when"]["when_picker"] == {"type": "datetimepicker", "selected_date_time": WHEN}
    assert values["team"]["team_input"]["value"] == "Billing"  # initial value kept
    assert values["notes"]["notes_input"] == {"type": "plain_text_input", "value": None}
    assert emulator.view_stack("U0AILSA") == []  # an empty ack closes the modal
    with pytest.raises(LookupError):
        driver.submit_view(view["id"], {"what": "again"})


def test_submit_view_errors_keep_modal_open(
    emulator: SlackEmulator, client: WebClient, driver: SlackDriver, bot: VerifyingBot
) -> None:
    view = client.views_open(trigger_id=emulator.new_trigger_id("U0AILSA"), view=_modal())["view"]
    bot.reply = {"response_action": "errors", "errors": {"what": "Tell us what happened"}}
    response = driver.submit_view(view["id"], {"scale": "small", "when": WHEN})
    assert response.json["response_action"] == "errors"
    assert emulator.view_stack("U0AILSA") == [view["id"]]
    assert emulator.views[view["id"]]["errors"] == {"what": "Tell us what happened"}


def test_click_and_set_value_payloads(
    emulator: SlackEmulator, client: WebClient, driver: SlackDriver, bot: VerifyingBot
) -> None:
    posted = client.chat_postMessage(channel="oops", text="Invoice sent twice", blocks=_card_blocks())
    reply = client.chat_postMessage(
        channel="oops",
        thread_ts=posted["ts"],
        text="Ready?",
        blocks=[
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Ready?"},
                "accessory": {
                    "type": "button",
                    "action_id": "go",
                    "text": {"type": "plain_text", "text": "Go"},
                },
            }
        ],
    )

    driver.set_value("oops", posted["ts"], "due", WHEN + 3600)
    picked = bot.received[-1].payload
    assert picked["type"] == "block_actions"
    assert picked["actions"][0]["type"] == "datetimepicker"
    assert picked["actions"][0]["selected_date_time"] == WHEN + 3600

    driver.select("oops", posted["ts"], "dept", "support")
    assert bot.received[-1].payload["actions"][0]["selected_option"]["value"] == "support"

    driver.click("oops", posted["ts"], "approve", user="U0MARC")
    payload = bot.received[-1].payload
    action = payload["actions"][0]
    assert (action["type"], action["action_id"], action["value"]) == ("button", "approve", "oops-7")
    assert action["block_id"] == "card_actions"
    assert payload["container"]["message_ts"] == posted["ts"]
    assert payload["container"]["type"] == "message"
    assert payload["channel"]["id"] == "C0OOPS"
    assert payload["message"]["ts"] == posted["ts"]
    assert payload["user"]["id"] == "U0MARC"
    state = payload["state"]["values"]["card_actions"]
    assert state["due"] == {"type": "datetimepicker", "selected_date_time": WHEN + 3600}
    assert state["dept"]["selected_option"]["value"] == "support"

    driver.click("oops", reply["ts"], "go")
    in_thread = bot.received[-1].payload
    assert in_thread["container"]["message_ts"] == reply["ts"]
    assert in_thread["container"]["thread_ts"] == posted["ts"]

    with pytest.raises(KeyError):
        driver.click("oops", posted["ts"], "approve", value="another-oops")
    with pytest.raises(ValueError):
        driver.select("oops", posted["ts"], "dept", "legal")


def test_view_action_from_inside_a_modal(
    emulator: SlackEmulator, client: WebClient, driver: SlackDriver, bot: VerifyingBot
) -> None:
    modal = _modal()
    modal["blocks"][1]["dispatch_action"] = True
    view = client.views_open(trigger_id=emulator.new_trigger_id("U0AILSA"), view=modal)["view"]

    driver.view_action(view["id"], "scale", "small")
    payload = bot.received[-1].payload
    assert payload["type"] == "block_actions"
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["view"]["callback_id"] == "report_oops"
    assert payload["actions"][0]["selected_option"]["value"] == "small"
    assert payload["view"]["state"]["values"]["scale"]["scale_select"]["selected_option"]["value"] == "small"

    driver.submit_view(view["id"], {"what": "x", "when": WHEN})  # the picked option stays in state
    values = bot.received[-1].payload["view"]["state"]["values"]
    assert values["scale"]["scale_select"]["selected_option"]["value"] == "small"


# ---------------------------------------------------------------------- transcript


def test_transcript_of_a_small_thread(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="oops", text="Invoice sent twice", blocks=_card_blocks())
    client.chat_postMessage(
        channel="oops", thread_ts=posted["ts"], text="<@U0MARC> owns this &lt;for now&gt;"
    )
    emulator.add_message("oops", "U0AILSA", "thanks <!here>", thread_ts=posted["ts"])

    text = render_channel(emulator, "oops")

    assert text.startswith("── #oops ──")
    assert "oops [APP]" in text
    assert "Invoice sent twice\n    ══" in text
    assert "Reported by @ailsa in #finance & the doc" in text
    assert "Scale: big" in text
    assert "› Step 1 of 4" in text
    assert "[*Approve*]  [ Reject ]  [ Add a department ▾ ]  [ 📅 2026-11-25 10:00 ]" in text
    assert "  ↳ oops [APP]" in text and "@marc owns this <for now>" in text
    assert "  ↳ ailsa" in text and "thanks @here" in text
    lines = text.splitlines()
    assert lines.index(next(x for x in lines if "@marc owns" in x)) > lines.index(
        next(x for x in lines if "[*Approve*]" in x)
    )
    assert render_channel(emulator, "oops", ts=posted["ts"]).count("↳") == 2

    reply = emulator.thread("oops", posted["ts"])[1]
    assert render_message(emulator, reply).splitlines()[1].strip() == "@marc owns this <for now>"


# ---------------------------------------------------------------------- with slack_bolt


def test_bolt_app_round_trip(emulator: SlackEmulator) -> None:
    """A minimal bolt app routes every payload the driver sends, answering through the emulator."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=emulator.base_url, token=TOKEN),
        token=TOKEN,
    )

    @app.command("/oops")
    def open_form(ack: Callable[..., None], body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=_modal())

    @app.view("report_oops")
    def submitted(ack: Callable[..., None], view: dict[str, Any], client: WebClient) -> None:
        ack()
        what = view["state"]["values"]["what"]["what_input"]["value"]
        client.chat_postMessage(channel="oops", text=what, blocks=_card_blocks())

    @app.action("approve")
    def approved(ack: Callable[..., None], body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"], text="Approved")
        client.chat_postMessage(
            channel=body["channel"]["id"],
            thread_ts=body["message"]["ts"],
            text=f"<@{body['user']['id']}> approved",
        )

    @app.event("app_mention")
    def mentioned(event: dict[str, Any], say: Callable[..., Any]) -> None:
        say(text="You rang?", thread_ts=event["ts"])

    def dispatch(raw: bytes, headers: dict[str, str]) -> tuple[int, str, str]:
        response = app.dispatch(BoltRequest(body=raw.decode(), headers=headers))
        return response.status, response.body, response.headers.get("content-type", ["text/plain"])[0]

    receiver = Receiver(dispatch)
    try:
        driver = SlackDriver(receiver.url, SECRET, emulator)
        assert driver.slash("/oops").status == 200
        emulator.wait_for(lambda emu: len(emu.views) == 1)
        view_id = next(iter(emulator.views))
        assert driver.submit_view(view_id, {"what": "Invoice sent twice", "scale": "big", "when": WHEN}).ok
        card = emulator.wait_for_message("oops", "Invoice sent twice")
        assert driver.click("oops", card.ts, "approve", user="U0MARC").ok
        emulator.wait_for(lambda emu: len(emu.thread("oops", card.ts)) == 2)
        assert emulator.messages("oops")[0].edits
        assert "@marc approved" in render_channel(emulator, "oops")
        assert emulator.ui_errors == []
        assert driver.send(b"payload=%7B%7D", signature="v0=bad").status == 401

        hello = emulator.add_message("oops", "U0JO", "<@U0BOT> hello")
        event = {
            "type": "app_mention",
            "user": "U0JO",
            "text": hello.text,
            "ts": hello.ts,
            "channel": "C0OOPS",
        }
        assert driver.send_event(event).ok
        assert emulator.wait_for_message("oops", "You rang?", thread_ts=hello.ts).thread_ts == hello.ts
    finally:
        receiver.close()
