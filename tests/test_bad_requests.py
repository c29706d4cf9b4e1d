"""Malformed requests over the wire: whatever arrives at /slack/events, signed or not, the bot answers
with a 4xx and at most one log line, never a 500 or a traceback, and real requests keep working.

The requests are generated from a fixed seed, so a failure names a request that can be replayed.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import http.client
import json
import logging
import random
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.demo import DemoBot
from bot.http import EVENTS_PATH, MAX_BODY_BYTES
from bot.slack import ids
from bot.store.tables import Incident

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]

SEED = 6
FORM = "application/x-www-form-urlencoded"
WEIRD: list[Any] = [None, 0, -1, 1.5, "", "x", "0", "OOPS-999999", [], [1], {}, {"id": 5}, True, "é" * 50]
# What a request that reaches Bolt may get: served, or a 404 for a request no listener handles.
ROUTED = frozenset({200, 404})
Payload = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Req:
    """One request: what it is (for the failure message), its bytes, and the answers it may get."""

    what: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    expect: frozenset[int] = frozenset({400})

    def __str__(self) -> str:
        more = "…" if len(self.body) > 200 else ""
        return f"{self.what}: headers={self.headers} body={self.body[:200]!r}{more}"


def _sign(secret: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """Slack's headers for ``body``: v0= HMAC-SHA256 of ``v0:{timestamp}:{body}``, computed here,
    independently of the bot and of slack_sdk."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest}


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a JSON tree, the root excluded."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*path, index)
            yield from _paths(value, (*path, index))


def _mutate(rng: random.Random, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The payload with one value replaced by a value of another type, or one key removed."""
    mutated = copy.deepcopy(payload)
    path = rng.choice(list(_paths(mutated)))
    parent = mutated
    for key in path[:-1]:
        parent = parent[key]
    name = ".".join(map(str, path))
    if isinstance(parent, dict) and rng.random() < 0.3:
        del parent[path[-1]]
        return f"without {name}", mutated
    value = rng.choice(WEIRD)
    parent[path[-1]] = value
    return f"{name} = {value!r}", mutated


def malformed_requests(
    secret: str, payloads: dict[str, Payload], slash: Callable[[], dict[str, str]]
) -> Iterator[Req]:
    """A few hundred malformed requests from a fixed seed: signed ones the bot cannot parse, or whose
    fields are out of shape, and unsigned ones with headers missing, empty or not numeric.

    Generated as they are sent: each real payload comes with a fresh trigger_id from ``payloads`` and
    ``slash``, as Slack gives each interaction its own."""
    rng = random.Random(SEED)

    def signed(
        what: str, body: bytes, content_type: str | None = FORM, expect: frozenset[int] = frozenset({400})
    ) -> Req:
        headers = _sign(secret, body)
        if content_type is not None:
            headers["Content-Type"] = content_type
        return Req(what, body, headers, expect)

    # Random bytes under any content type, or none: not UTF-8 (400), or text Bolt reads as a form of
    # nothing it handles (404).
    for n in range(60):
        body = rng.randbytes(rng.choice([0, 1, 7, 64, 300, 2000]))
        content_type = rng.choice([FORM, "application/json", "text/plain", None])
        yield signed(f"random bytes #{n}", body, content_type, frozenset({400, 404}))
    for n in range(20):
        text = "".join(rng.choice("ab=&%{}[]\"':,payload0123") for _ in range(rng.randint(1, 80)))
        yield signed(f"random form text #{n}: {text!r}", text.encode(), FORM, frozenset({400, 404}))
    # Slack's real payloads cut short inside their JSON, in payload= and as a JSON body.
    for kind, payload in payloads.items():
        encoded = json.dumps(payload())
        for _ in range(15):
            cut = encoded[: rng.randint(1, len(encoded) - 1)]
            yield signed(f"{kind} cut at {len(cut)} in payload=", h.form_body({"payload": cut}))
            yield signed(f"{kind} cut at {len(cut)} as JSON", cut.encode(), "application/json")
    # JSON that is not an object, where Slack always sends one.
    for value in (None, 0, "text", [1, 2], [], True, [{"type": "block_actions"}]):
        yield signed(f"payload={value!r}", h.form_body({"payload": json.dumps(value)}))
        yield signed(f"JSON {value!r}", json.dumps(value).encode(), "application/json")
    # Real payloads with one value of another type, or one key missing: refused (400), or harmless
    # enough to be served (200) or unhandled (404).
    for kind, payload in payloads.items():
        for _ in range(60):
            what, mutated = _mutate(rng, payload())
            yield signed(f"{kind}: {what}", h.payload_body(mutated), FORM, frozenset({400}) | ROUTED)
    # The slash command with a field missing (each one Slack always sends) or odd.
    for key in slash():
        fields = slash()
        del fields[key]
        yield signed(f"/oops without {key}", h.form_body(fields), FORM, frozenset({400}) | ROUTED)
        fields = slash()
        fields[key] = rng.choice(["", "x", "\x00", "é" * 500])
        yield signed(
            f"/oops with {key}={fields[key][:5]!r}", h.form_body(fields), FORM, frozenset({400}) | ROUTED
        )
    # A right body under a wrong content type: Bolt reads a JSON content type as JSON.
    yield signed("/oops as application/json", h.form_body(slash()), "application/json")
    for content_type in ("text/plain", "multipart/form-data; boundary=x", "", "*/*"):
        yield signed(
            f"/oops as {content_type!r}", h.form_body(slash()), content_type, frozenset({400}) | ROUTED
        )
    # Huge bodies: over the limit, and a huge payload= of junk under it.
    yield signed("a body over the limit", b"a" * (MAX_BODY_BYTES + 1), FORM, frozenset({413}))
    yield signed("a payload= of 300 kB of junk", h.form_body({"payload": "{" + "x" * 300_000}))
    # Unsigned, or signed wrongly: timestamps empty or not numeric (400), signatures missing or
    # malformed (401).
    body = h.form_body(slash())
    good = _sign(secret, body)
    for ts in ("", " ", "abc", "1e9", "12.5", "-", "0x10", "١٢٣", "12a", str(10**40), "NaN"):
        yield Req(
            f"timestamp {ts!r}",
            body,
            {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": good["X-Slack-Signature"],
            },
        )
        yield Req(
            f"timestamp {ts!r}, no signature",
            body,
            {"Content-Type": FORM, "X-Slack-Request-Timestamp": ts},
            frozenset({401}),
        )
    for sig in ("", "v0=", "v0=zz", "v1=" + "0" * 64, "é", good["X-Slack-Signature"] + "0"):
        headers = {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"],
            "X-Slack-Signature": sig,
        }
        yield Req(f"signature {sig!r}", body, headers, frozenset({401}))
    yield Req("no headers at all", body, {}, frozenset({401}))
    yield Req("random bytes, unsigned", rng.randbytes(500), {"Content-Type": FORM}, frozenset({400, 401}))


def send(port: int, req: Req) -> int:
    """POST exactly these bytes and headers (urllib would add a Content-Type of its own)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", EVENTS_PATH, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(len(req.body)))
        for name, value in req.headers.items():
            conn.putheader(name, value.encode("utf-8"))
        conn.endheaders()
        try:
            for start in range(0, len(req.body), 65536):
                conn.send(req.body[start : start + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413) before reading the whole body, and closed
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _through_a_listener(record: logging.LogRecord) -> bool:
    """Whether the logged exception was raised inside a Bolt listener (not while reading the request)."""
    tb = record.exc_info[2] if record.exc_info else None
    return any("slack_bolt/listener/" in frame.f_code.co_filename for frame, _ in traceback.walk_tb(tb))


def _port(bot: DemoBot) -> int:
    return int(urllib.parse.urlsplit(bot.driver.request_url).port or 0)


def test_malformed_requests_get_a_4xx_and_no_traceback(
    sqlite_bot: DemoBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    # Real payloads to break: a report modal's submission, a decision button's click, a /oops.
    assert h.report(bot).status == 200
    message, version, block, element = h.rendered_control(bot, ids.DECIDE_PREFIX + "correct")
    view = h.open_report(bot)
    values = {"details": h.DETAILS, **h.answer_values(view)}
    payloads: dict[str, Payload] = {
        "view_submission": lambda: h.view_submission_payload(bot, view, values, h.REPORTER),
        "block_actions": lambda: h.block_actions_payload(bot, message, version, block, element, h.DECIDER),
    }

    def slash() -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(h.slash_body(bot, "Fuzzed report").decode()))

    caplog.set_level(logging.INFO)
    caplog.clear()
    wrong: list[str] = []
    sent = 0
    for req in malformed_requests(bot.driver.signing_secret, payloads, slash):
        before = len([r for r in caplog.records if r.name == "bot.http"])
        status = send(_port(bot), req)
        sent += 1
        if status not in req.expect:
            wrong.append(f"{status} for {req}")
        said = [r for r in caplog.records if r.name == "bot.http"][before:]
        if status in (400, 401) and status not in ROUTED and len(said) != 1:
            wrong.append(f"{len(said)} log lines for a {status} to {req}")
    bot.settle()
    assert sent >= 300
    assert not wrong, "\n".join(wrong[:20])
    # A listener that fails on what a request carries (Slack refuses a trigger_id of "x") is the Bolt
    # error handler's to log: see test_a_listener_failure_is_one_log_line. Nothing else may trace back.
    tracebacks = [r for r in caplog.records if r.exc_info and not _through_a_listener(r)]
    assert not tracebacks, [(r.name, r.getMessage()[:200]) for r in tracebacks[:5]]
    assert caplog.text.count("Traceback") == len([r for r in caplog.records if r.exc_info])

    # Real requests still work, start to end: a new report opens a second incident...
    incidents = len(h.rows(bot, Incident))
    assert h.report(bot).status == 200
    assert len(h.rows(bot, Incident)) == incidents + 1
    # ...and the first incident's decision button still opens its modal.
    opened = len(emu.opened_views)
    assert h.press(bot, ids.DECIDE_PREFIX + "correct", h.DECIDER, value=element.get("value")).status == 200
    bot.settle()
    assert len(emu.opened_views) == opened + 1
    assert emu.opened_views[-1]["callback_id"] == ids.DECIDE_VIEW


def test_a_listener_failure_is_one_log_line(sqlite_bot: DemoBot, caplog: pytest.LogCaptureFixture) -> None:
    """A signed /oops whose trigger_id Slack refuses: the listener fails after its ack; the person got
    their answer, the log gets one line and no traceback."""
    bot = sqlite_bot
    fields = dict(urllib.parse.parse_qsl(h.slash_body(bot, h.SUMMARY).decode()))
    fields["trigger_id"] = "x"
    caplog.set_level(logging.INFO)
    assert bot.driver.send(h.form_body(fields)).status == 200
    bot.settle()
    assert [c.response.get("error") for c in bot.emulator.calls_to("views.open")] == ["invalid_trigger_id"]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1, [r.getMessage() for r in failures]
    assert not failures[0].exc_info and "Traceback" not in caplog.text
    assert "invalid_trigger_id" in failures[0].getMessage(), "Slack's error code, not its text"
