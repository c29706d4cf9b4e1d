"""`oops demo`: one realistic incident through the real bot, against a local Slack emulator.

The bot runs exactly as in production HTTP mode (waitress, Bolt, signature checks, SQLite,
APScheduler, the template drafter); the emulator plays Slack: it answers the Web API and sends
signed slash commands, clicks and modal submissions, as a team would make them.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from bot.config import AppConfig
from bot.http import EVENTS_PATH, BackgroundServer
from bot.runtime import Runtime, Secrets, build_runtime
from bot.slack import ids
from bot.usecases import queries
from slack_emulator import SlackDriver, SlackEmulator, render_channel

REPORTER, DECIDER, REVIEWER = "U0AILSA", "U0MARC", "U0JO"
INCIDENT_CHANNEL = "C0OOPS"

# The story: a cohort of existing customers was added to a list that triggers the welcome flow,
# so 27,463 people who already own a kit were welcomed again, with the new-customer discount.
SUMMARY = "Welcome email sent to 27,463 existing customers"
DETAILS = (
    "Existing customers were added to the list that starts the welcome flow, so every one of them got "
    "the welcome email and its 10% new-customer code. Noticed 40 minutes later from replies."
)
ANSWERS: dict[str, str] = {
    "people_affected": "27,463",
    "audience": "customers",
    "what_went_wrong": "wrong_list",
    "money_at_stake": "0",
    "complaints": "12",
    "public_posts": "no",
    "still_happening": "no",
    "can_be_undone": "no",
}


@dataclass
class DemoBot:
    """The bot served over HTTP on a free local port, and the Slack emulator it talks to."""

    runtime: Runtime
    emulator: SlackEmulator
    driver: SlackDriver

    def settle(self) -> None:
        """Wait until the bot has finished everything the last request started."""
        self.runtime.wait_idle(timeout=30)


@contextmanager
def demo_bot(config: AppConfig, database_url: str) -> Iterator[DemoBot]:
    channels = {INCIDENT_CHANNEL: "oops"}
    for dept in config.departments.values():
        name = dept.channel.lstrip("#")
        channels.setdefault(f"C0{name.upper()[:8]}", name)
    if config.digest_channel and config.digest_channel.startswith("#"):  # where the weekly summary goes
        channels.setdefault("C0WEEKLY", config.digest_channel.lstrip("#"))
    users = {REPORTER: "ailsa", DECIDER: "marc", REVIEWER: "jo"}
    signing_secret = secrets.token_hex(16)
    with SlackEmulator(channels=channels, users=users) as emulator:
        secrets_ = Secrets(
            bot_token=emulator.bot_token,
            app_token=None,
            signing_secret=signing_secret,
            api_url=emulator.base_url,
        )
        runtime = build_runtime(config.model_copy(update={"database_url": database_url}), secrets_)
        runtime.start()
        server = BackgroundServer(runtime.app, signing_secret).start()
        try:
            url = f"http://127.0.0.1:{server.port}{EVENTS_PATH}"
            yield DemoBot(runtime, emulator, SlackDriver(url, signing_secret, emulator))
        finally:
            server.stop()
            runtime.stop()


def _fill(view: dict[str, Any], wanted: dict[str, str]) -> dict[str, Any]:
    """Answer the modal's questions that the story knows; leave the rest as the modal has them."""
    blocks = {b.get("block_id") for b in view["blocks"]}
    return {key: value for key, value in wanted.items() if key in blocks}


def _button_message(bot: DemoBot, thread_ts: str, action_id: str) -> Any:
    """The newest message of this incident's thread that shows the button."""
    for message in reversed(bot.emulator.thread(INCIDENT_CHANNEL, thread_ts)):
        if any(e.get("action_id") == action_id for b in message.blocks for e in b.get("elements", [])):
            return message
    return None


def _click(bot: DemoBot, thread_ts: str, action_id: str, user: str) -> None:
    message = _button_message(bot, thread_ts, action_id)
    if message is None:
        raise RuntimeError(f"the bot never showed a {action_id!r} button")
    bot.driver.click(message.channel, message.ts, action_id, user=user)
    bot.settle()


def _quiet(_: str) -> None:
    pass


def walk_incident(bot: DemoBot, say: Callable[[str], None] = _quiet) -> int:
    """Play the team: report, decide, approve the apology, schedule and hold the retrospective."""
    emu, driver = bot.emulator, bot.driver
    say(f"ailsa types: /oops {SUMMARY}")
    driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    bot.settle()
    report = emu.opened_views[-1]
    values = {"details": DETAILS}
    values.update(_fill(report, {ids.QUESTION_PREFIX + k: v for k, v in ANSWERS.items()}))
    say("ailsa answers the scale questions in the modal and presses Open incident")
    driver.submit_view(report["id"], values, user=REPORTER)
    bot.settle()

    thread = emu.messages(INCIDENT_CHANNEL)[-1].ts
    snap_id = _incident_id(bot, thread)
    recommended = queries.snapshot(bot.runtime.env(), snap_id).recommendation
    decide_id = ids.DECIDE_PREFIX + recommended.value
    say(f"marc presses {recommended.label} (the recommendation) and adds a note")
    _click(bot, thread, decide_id, DECIDER)
    decide_view = emu.opened_views[-1]
    driver.submit_view(
        decide_view["id"],
        _fill(
            decide_view,
            {
                "note": "Honest and light: everyone who got it may keep the welcome code.",
                "what_was_fixed": "The existing customers are off the welcome list and the flow is paused.",
                "customer_action": "Nothing. The code in that email works for you too, until the month ends.",
            },
        ),
        user=DECIDER,
    )
    bot.settle()

    if queries.snapshot(bot.runtime.env(), snap_id).draft is not None:
        say("marc presses Regenerate for another wording, then Approve")
        _click(bot, thread, ids.DRAFT_REGENERATE, DECIDER)
        _click(bot, thread, ids.DRAFT_APPROVE, DECIDER)

    say("marc keeps the suggested time and presses Schedule")
    _click(bot, thread, ids.RETRO_SCHEDULE, DECIDER)
    # Two working days pass: bring the stored reminder job forward instead of waiting.
    say("… two working days later, the stored reminder job fires")
    bot.runtime.retro_scheduler.run_now(snap_id)
    emu.wait_for(lambda _: _button_message(bot, thread, ids.RETRO_START) is not None, timeout=30)
    bot.settle()
    say("jo presses Start the retrospective, fills it in (a cause, one action item for marc) and closes it")
    _click(bot, thread, ids.RETRO_START, REVIEWER)
    retro_view = emu.opened_views[-1]
    driver.submit_view(
        retro_view["id"],
        {
            "what_went_wrong": "Existing customers were added to the list that starts the welcome flow.",
            "root_cause": "Adding contacts to a list can trigger its automations, and nothing warned us.",
            "what_we_change": "Flow lists are marked; imports into them need a second pair of eyes.",
            "cause": "automation",
            "action_0_text": "Mark every list that starts a flow",
            "action_0_owner": DECIDER,
            "action_0_due": (date.today() + timedelta(days=7)).isoformat(),
            "checklist": "Check which automations a list triggers before adding contacts to it\n"
            "Send to a test list first",
        },
        user=REVIEWER,
    )
    bot.settle()
    return snap_id


def post_weekly(bot: DemoBot, say: Callable[[str], None] = _quiet) -> None:
    """The weekly summary, brought forward like the reminder: this week so far, to the digest channel."""
    from bot.runbook.weeks import Week
    from bot.usecases import digest

    env = bot.runtime.env()
    week = Week.of(env.now().astimezone(env.config.team.tz).date())
    say(f"… and on Monday the weekly summary goes to {env.config.digest_channel} (here: {week.label} so far)")
    digest.post_week(env, week)
    bot.settle()


def _incident_id(bot: DemoBot, header_ts: str) -> int:
    with bot.runtime.store.read(bot.runtime.team_id) as repo:
        for incident in repo.incidents(limit=5):
            if incident.header_ts == header_ts and incident.id is not None:
                return incident.id
    raise RuntimeError("the report did not open an incident")


def print_story(bot: DemoBot, incident_id: int, console: Console) -> None:
    emu = bot.emulator
    console.print(Panel.fit("#oops, as the team sees it in Slack", style="bold"))
    console.print(render_channel(emu, INCIDENT_CHANNEL), highlight=False, markup=False, soft_wrap=True)
    for channel, name in emu.channels.items():
        if channel != INCIDENT_CHANNEL and emu.messages(channel):
            console.print(Panel.fit(f"#{name}", style="bold"))
            console.print(render_channel(emu, channel), highlight=False, markup=False, soft_wrap=True)
    table = Table(title=f"Decision log of OOPS-{incident_id}")
    for column in ("when (UTC)", "step", "choice", "who", "note"):
        table.add_column(column, overflow="fold")
    names = emu.users
    for row in queries.decision_log(bot.runtime.env(), incident_id):
        who = names.get(row.actor, row.actor)
        table.add_row(row.at.strftime("%d %b %H:%M:%S"), row.step, row.choice, who, row.note)
    console.print(table)
    console.print(
        "[dim]The reminder job was brought forward to now; in real life it fires at the time shown.[/dim]"
    )


def run_demo(config: AppConfig, console: Console, *, keep: Path | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="oops-demo-") as tmp:
        path = keep or Path(tmp) / "demo.db"
        console.print(
            f"[dim]Local Slack emulator, SQLite at {path}, drafting: template (no key needed).[/dim]"
        )
        with demo_bot(
            config.model_copy(
                update={
                    "drafting": config.drafting.model_copy(update={"provider": "template", "model": None})
                }
            ),
            f"sqlite:///{path}",
        ) as bot:
            say = lambda line: console.print(f"[dim]→ {line}[/dim]")  # noqa: E731
            incident_id = walk_incident(bot, say=say)
            post_weekly(bot, say)
            print_story(bot, incident_id, console)
        console.print(
            "\n[bold]That was the whole runbook.[/bold] To run it in your own Slack: "
            "[cyan]oops manifest[/cyan], create the app, set the tokens, then [cyan]make run[/cyan]."
        )
        return incident_id
