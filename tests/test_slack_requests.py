"""Requests over the wire: signatures checked on the raw body, acks within Slack's 3 seconds while slow
work runs after them, and Slack's rate limits ridden out by the bot's Web API client."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.config import AppConfig
from bot.demo import DemoBot
from bot.slack import ids
from bot.store.tables import Delivery, Incident
from slack_emulator import slack_signature

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]

SLOW_MODEL_SECONDS = 4.0


# ---------------------------------------------------------------------------------------------- signatures


def test_only_correctly_signed_requests_get_through(sqlite_bot: DemoBot) -> None:
    bot, emu, driver = sqlite_bot, sqlite_bot.emulator, sqlite_bot.driver

    # A correctly signed /oops is served: the modal opens.
    accepted = driver.send(h.slash_body(bot, h.SUMMARY))
    assert accepted.status == 200, accepted.body_text
    bot.settle()
    assert [c.ok for c in emu.calls_to("views.open")] == [True]

    # A h.report submission for that modal, built once; forged variants of it must all be refused.
    view = emu.opened_views[-1]
    body = h.payload_body(h.view_submission_payload(bot, view, h.answer_values(view), h.REPORTER))
    calls_before = len(emu.calls)
    now = int(time.time())
    ts = str(now)
    signature = slack_signature(driver.signing_secret, ts, body)
    at = body.index(b"Welcome")
    tampered = body[:at] + b"X" + body[at + 1 :]  # one byte changed after signing
    assert len(tampered) == len(body) and tampered != body

    statuses = {
        "timestamp 301 s old": driver.send(body, timestamp=now - 301).status,
        "body changed after signing": driver.send(tampered, timestamp=ts, signature=signature).status,
        "no signature": h.post_raw(
            driver.request_url,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts},
        ),
        "no timestamp": h.post_raw(
            driver.request_url,
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Signature": signature},
        ),
        "signed with another secret": driver.send(
            body, timestamp=ts, signature=slack_signature("not-the-secret", ts, body)
        ).status,
        "/oops with a timestamp 301 s old": driver.send(
            h.slash_body(bot, h.SUMMARY), timestamp=now - 301
        ).status,
    }
    assert statuses == dict.fromkeys(statuses, 401)
    bot.settle()
    assert len(emu.calls) == calls_before, [c.method for c in emu.calls[calls_before:]]
    assert h.rows(bot, Incident) == []
    assert h.rows(bot, Delivery) == []

    # The very same body, signed properly, is accepted: the refusals were the signature's doing.
    response = driver.send(body)
    assert response.status == 200, response.body_text
    bot.settle()
    assert h.only_incident(bot).title == h.SUMMARY

    # Within the 5 minutes Slack allows, an older timestamp is still fine.
    assert driver.send(h.slash_body(bot, h.SUMMARY), timestamp=now - 290).status == 200


# ---------------------------------------------------------------------------------------------- acks


@pytest.fixture
def slow_model_bot(config: AppConfig, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoBot]:
    """The bot with a chat model that takes 4 seconds to answer, as a real model may."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    slow = config.model_copy(
        update={"drafting": config.drafting.model_copy(update={"provider": "openai", "model": "fake"})}
    )
    model = FakeListChatModel(responses=["Subject: Sorry\n\nBody text"], sleep=SLOW_MODEL_SECONDS)
    with h.workspace_emulator(config) as emu, h.serve_bot(slow, sqlite_url, emu, chat_model=model) as bot:
        yield bot


def test_acks_come_at_once_while_the_slow_model_drafts_after(slow_model_bot: DemoBot) -> None:
    bot, emu, driver = slow_model_bot, slow_model_bot.emulator, slow_model_bot.driver

    ack = h.report(bot)
    assert ack.status == 200 and ack.elapsed_seconds < 3.0, ack
    methods = [c.method for c in emu.calls]
    assert "views.open" in methods and "chat.postMessage" in methods
    assert methods.index("views.open") < methods.index("chat.postMessage"), methods

    h.click(bot, ids.DECIDE_PREFIX + "correct", h.DECIDER)
    view = emu.opened_views[-1]
    assert view["callback_id"] == ids.DECIDE_VIEW
    started = time.monotonic()
    ack = driver.submit_view(view["id"], {"note": "Keep it short."}, user=h.DECIDER)
    assert ack.status == 200, ack.body_text
    assert ack.elapsed_seconds < 3.0, f"the decision was acked after {ack.elapsed_seconds:.2f} s"
    # At the ack the model is still writing: no draft yet, in Slack or in the database.
    assert not h.shows(emu, ids.DRAFT_APPROVE)
    assert h.drafts(bot) == []

    # Another person's h.click is served meanwhile: the model does not hold up the listeners.
    assessment = h.button_message(bot, ids.REASSESS)
    other = driver.click(assessment.channel, assessment.ts, ids.REASSESS, user=h.REPORTER)
    assert other.status == 200 and other.elapsed_seconds < 3.0, other
    emu.wait_for(lambda e: e.opened_views[-1]["callback_id"] == ids.REASSESS_VIEW, timeout=3)
    assert h.drafts(bot) == [], "the re-assess modal should open while the draft is still being written"

    emu.wait_for(lambda e: h.shows(e, ids.DRAFT_APPROVE), timeout=20)
    took = time.monotonic() - started
    assert took >= SLOW_MODEL_SECONDS - 0.5, f"the draft appeared after {took:.2f} s: was the model called?"
    bot.settle()
    [draft] = h.drafts(bot)
    assert (draft.subject, draft.body, draft.source) == ("Sorry", "Body text", "fake-list-chat-model")
    assert not emu.ui_errors, emu.ui_errors


# ---------------------------------------------------------------------------------------------- rate limits


def test_a_rate_limited_post_is_retried_once_and_the_incident_still_posts(sqlite_bot: DemoBot) -> None:
    bot, emu = sqlite_bot, sqlite_bot.emulator
    h.open_report(bot)  # only to have a modal; the fault below is for the posts that follow the submission
    emu.fail_next("chat.postMessage", status=429, retry_after=1)
    view = emu.opened_views[-1]
    ack = bot.driver.submit_view(view["id"], h.answer_values(view), user=h.REPORTER)
    assert ack.status == 200, ack.body_text
    bot.settle()

    posts = emu.calls_to("chat.postMessage")
    limited = [i for i, c in enumerate(posts) if c.status == 429]
    assert len(limited) == 1, [c.status for c in posts]
    first = limited[0]
    retry = posts[first + 1]
    assert retry.ok and retry.args == posts[first].args, "the refused post should be sent again, as it was"
    assert all(c.ok for i, c in enumerate(posts) if i != first)
    assert len(posts) == len(h.all_messages(emu)) + 1, "exactly one extra chat.postMessage call"

    incident = h.only_incident(bot)
    header = emu.messages("C0OOPS")
    assert len(header) == 1 and header[0].ts == incident.header_ts
    assert h.SUMMARY in header[0].text
