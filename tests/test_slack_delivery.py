"""Clicks that come late or twice: a closed incident refuses politely and changes nothing, two people
deciding at once record one decision, and the same delivery sent twice has one side effect."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.demo import DemoBot
from bot.runbook.incident import Status
from bot.slack import ids
from bot.store.tables import Incident

try:  # tests/ may or may not become a package; work either way
    from tests import slack_helpers as h
except ImportError:
    import slack_helpers as h  # type: ignore[no-redef]


COPIES = 4  # deliveries of one report at once: the first and three retries


def _retry(n: int) -> dict[str, str]:
    """Slack's headers on its n-th retry (none on the first delivery)."""
    return {} if n == 0 else {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}


# Every control the incident's messages ever showed, pressed after it closed (a select picks Finance,
# which the runbook did not tell).
CONTROLS_OF_A_CLOSED_INCIDENT = [
    (ids.REASSESS, None),
    (ids.ADD_DEPARTMENT, "finance"),
    (ids.DECIDE_PREFIX + "make_it_big", None),
    (ids.CHANGE_DECISION, None),
    (ids.DRAFT_REGENERATE, None),
    (ids.DRAFT_EDIT, None),
    (ids.DRAFT_APPROVE, None),
    (ids.RETRO_SCHEDULE, None),
    (ids.RETRO_START, None),
]


def test_a_click_on_a_closed_incident_is_refused_to_that_person_and_changes_nothing(
    live_bot: DemoBot,
) -> None:
    bot, emu = live_bot, live_bot.emulator
    h.walk_to_closed(bot)
    db_before = h.db_dump(bot.runtime.engine)
    calls_before, views_before = len(emu.calls), len(emu.opened_views)

    answers: dict[str, list[str]] = {}
    for action_id, option in CONTROLS_OF_A_CLOSED_INCIDENT:
        start = len(emu.ephemerals)
        response = h.press(bot, action_id, h.REVIEWER, option=option)
        assert response.status == 200, (action_id, response.body_text)
        bot.settle()
        answers[action_id] = h.ephemerals_since(emu, start, h.REVIEWER)
        assert len(emu.ephemerals) == start + len(answers[action_id]), "a note went to someone else"

    assert h.db_dump(bot.runtime.engine) == db_before, "a click on a closed incident changed the database"
    assert len(emu.opened_views) == views_before, "a click on a closed incident opened a modal"
    after = {c.method for c in emu.calls[calls_before:]}
    assert after <= {"chat.postEphemeral", "chat.getPermalink"}, after
    unanswered = [a for a, texts in answers.items() if len(texts) != 1]
    assert not unanswered, f"each click should get exactly one note: {answers}"
    vague = {a: texts[0] for a, texts in answers.items() if "closed" not in texts[0].lower()}
    assert not vague, f"these notes do not say the incident is closed: {vague}"


def test_two_people_submitting_the_same_decision_record_it_once(live_bot: DemoBot) -> None:
    bot, emu, driver = live_bot, live_bot.emulator, live_bot.driver
    assert h.report(bot).status == 200
    decide_id = ids.DECIDE_PREFIX + "correct"

    # Two people press the same decision before either submits: each gets the modal.
    views = []
    for user in (h.DECIDER, h.REVIEWER):
        message = h.button_message(bot, decide_id)
        assert driver.click(message.channel, message.ts, decide_id, user=user).status == 200
        bot.settle()
        views.append(emu.opened_views[-1])
    assert [v["callback_id"] for v in views] == [ids.DECIDE_VIEW, ids.DECIDE_VIEW]
    assert views[0]["id"] != views[1]["id"]

    start = len(emu.ephemerals)
    first = driver.submit_view(views[0]["id"], {"note": "first"}, user=h.DECIDER)
    bot.settle()
    second = driver.submit_view(views[1]["id"], {"note": "second"}, user=h.REVIEWER)
    bot.settle()
    assert first.status == 200 and second.status == 200
    # The second modal stays open and says why, so the second person's note is not lost.
    assert second.json and second.json.get("response_action") == "errors", second.body_text
    assert "already decided" in second.json["errors"]["note"], second.json

    incident = h.only_incident(bot)
    assert (incident.decision, incident.decided_by, incident.decision_note) == ("correct", h.DECIDER, "first")
    decided = h.decision_steps(bot, "decide")
    assert [(r.choice, r.actor) for r in decided] == [("correct", h.DECIDER)]
    assert len(h.drafts(bot)) == 1, "the second submission must not draft again"
    # Said once, in the modal; not again as a note in the channel.
    assert h.ephemerals_since(emu, start, h.REVIEWER) == []
    assert h.ephemerals_since(emu, start, h.DECIDER) == []


def test_the_same_regenerate_delivery_twice_makes_one_new_draft(live_bot: DemoBot) -> None:
    bot, driver = live_bot, live_bot.driver
    h.walk_to_drafting(bot)
    assert [d.version for d in h.drafts(bot)] == [1]
    message, version, block, element = h.rendered_control(bot, ids.DRAFT_REGENERATE)
    body = h.payload_body(h.block_actions_payload(bot, message, version, block, element, h.DECIDER))

    # Two deliveries at once (the retry arrives while the first is being handled), then a third later.
    with ThreadPoolExecutor(max_workers=2) as pool:
        acks = list(pool.map(lambda n: driver.send(body, extra_headers=_retry(n)), range(2)))
    assert [a.status for a in acks] == [200, 200]
    bot.settle()

    assert [d.version for d in h.drafts(bot)] == [1, 2]
    regenerated = [r for r in h.decision_steps(bot, "draft") if r.note == "regenerated"]
    assert len(regenerated) == 1, regenerated
    assert driver.send(body, extra_headers=_retry(2)).status == 200
    bot.settle()
    assert [d.version for d in h.drafts(bot)] == [1, 2]


def test_the_same_report_submission_twice_opens_one_incident(live_bot: DemoBot) -> None:
    bot, emu, driver = live_bot, live_bot.emulator, live_bot.driver
    view = h.open_report(bot)
    values = {"details": h.DETAILS, **h.answer_values(view)}
    body = h.payload_body(h.view_submission_payload(bot, view, values, h.REPORTER))

    # Delivered four times at once (a retry can arrive while the first is still being handled),
    # then once more after everything settled.
    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        acks = list(pool.map(lambda n: driver.send(body, extra_headers=_retry(n)), range(COPIES)))
    assert [a.status for a in acks] == [200] * COPIES
    bot.settle()
    assert driver.send(body, extra_headers=_retry(COPIES)).status == 200
    bot.settle()

    incidents = h.rows(bot, Incident)
    assert len(incidents) == 1, [i.id for i in incidents]
    assert incidents[0].status == Status.DECIDING
    assert len(emu.messages(h.INCIDENT_CHANNEL)) == 1, "one header in the channel"
    assert len(h.decision_steps(bot, "report")) == 1
    notified = [r.choice for r in h.decision_steps(bot, "notify")]
    assert len(notified) == len(set(notified)), f"a department was told twice: {notified}"
    thread = emu.thread(h.INCIDENT_CHANNEL, incidents[0].header_ts or "")
    assert len(thread) == 4, "the header and its three steps (scale, told, decide), once each"
    # The duplicate is invisible to the reporter: no note, no DM about a failure.
    assert emu.ephemerals == [], [e.text for e in emu.ephemerals]
    dms = [c for c in emu.calls_to("chat.postMessage") if c.args.get("channel") == h.REPORTER]
    assert dms == [], [c.args.get("text") for c in dms]


# ------------------------------------------------------------------- what the bot's Slack client retries


def test_the_bot_retries_a_rate_limit_and_a_5xx_edit_but_never_a_5xx_post_blind(sqlite_bot: DemoBot) -> None:
    """A 429 is retried (Slack did nothing); a 5xx edit is retried (repeating an edit is harmless); a 5xx
    post is not retried as such: the bot looks for the message by its metadata first, then posts."""
    bot, emu = sqlite_bot, sqlite_bot.emulator
    emu.fail_next("chat.postMessage", status=429, retry_after=1)
    h.report(bot)
    header_posts = [c for c in emu.calls_to("chat.postMessage") if not c.args.get("thread_ts")]
    assert [c.status for c in header_posts[:2]] == [429, 200], "a rate limit is retried"

    start = len(emu.calls)
    emu.fail_next("chat.update", status=500, error="internal_error")
    emu.fail_next("chat.postMessage", status=500, error="internal_error")  # the decision's new post
    h.decide(bot, "no_action", h.DECIDER, note="Nobody noticed.")
    calls = [(c.method, c.status) for c in emu.calls[start:]]
    assert ("chat.update", 500) in calls
    failed_edit = calls.index(("chat.update", 500))
    assert calls[failed_edit + 1] == ("chat.update", 200), f"the edit is retried at once: {calls}"
    failed_post = calls.index(("chat.postMessage", 500))
    assert calls[failed_post + 1] == ("conversations.replies", 200), f"the post is looked for first: {calls}"
    assert calls[failed_post + 2] == ("chat.postMessage", 200), calls
    incident = h.only_incident(bot)
    assert incident.status == Status.SCHEDULING and h.shows(emu, ids.RETRO_SCHEDULE)
    thread = emu.thread(h.INCIDENT_CHANNEL, incident.header_ts or "")
    parts = [m.metadata["event_payload"]["part"] for m in thread if m.metadata]
    assert sorted(parts) == sorted(set(parts)), f"a part was posted twice: {parts}"
