"""The weekly summary: its figures for a week (for the terminal, a person's /oops weekly, the digest
channel), and the scheduled job that posts it once per week to the digest channel.

The job runs at the day and time of app.yaml's weekly_summary, in the team's zone. It works out from
the clock which week is due (bot.runbook.weeks.due_week), so a run after downtime posts the week it
missed, saying it is late, and a second run (a retry, a takeover, a double start) posts nothing:
the post goes through bot.usecases.once under the key weekly:<week>.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.config import AppConfig
from bot.runbook.answers import format_answer
from bot.runbook.calendar import local_at
from bot.runbook.model import Decision, Runbook
from bot.runbook.questions import QuestionType
from bot.runbook.weeks import Week, due_week
from bot.store.digest import DigestRows, WeekRows
from bot.store.repo import Repo
from bot.store.runs import Runs
from bot.usecases.context import Env
from bot.usecases.once import post_once
from bot.usecases.ports import Marker, PostRef, Undelivered, UserError
from bot.weekly import Count, WeeklySummary

log = logging.getLogger(__name__)
MISSED_MAX = 4  # weeks posted after a long outage; older ones are `oops report weekly --week` away

PEOPLE, MONEY = "people_affected", "money_at_stake"
EARLIER_WEEKS = 4
RECURS = 2  # a cause counted this often over the week and the four before is shown
LATE = timedelta(hours=1)  # posted later than this after it fell due: the post says so


def key(week: Week) -> str:
    """The job_run key, and the Marker part of the post, for a week's summary."""
    return f"weekly:{week.label}"


def last_complete(now: datetime, tz: tzinfo) -> Week:
    """The newest week that has ended by ``now``, in the team's zone: the default for a report."""
    return Week.of(now.astimezone(tz).date()).shift(-1)


def summarize(env: Env, week: Week, now: datetime, *, late: str = "") -> WeeklySummary:
    """The figures of ``week``; retrospectives and action items overdue or coming are as of ``now``."""
    with env.read() as repo:
        return summarize_in(repo, env.config, env.runbooks, week, now, late=late)


def summarize_in(
    repo: Repo,
    config: AppConfig,
    runbooks: Mapping[str, Runbook],
    week: Week,
    now: datetime,
    *,
    late: str = "",
) -> WeeklySummary:
    """summarize, in a read the caller opened (the CLI has no Slack, so no Env)."""
    tz = config.team.tz
    start, end = week.bounds(tz)
    earlier = [week.shift(-k) for k in range(EARLIER_WEEKS, 0, -1)]
    hours = config.retrospective.remind_again_after_hours
    rows = DigestRows(repo).week(
        start,
        end,
        now=now,
        today=now.astimezone(tz).date(),
        overdue_before=now - timedelta(hours=2 * hours),
        causes_from=earlier[0].bounds(tz)[0],
        earlier=[w.bounds(tz) for w in earlier],
    )
    return _summary(config, runbooks, week, rows, earlier, late)


def _summary(
    config: AppConfig,
    runbooks: Mapping[str, Runbook],
    week: Week,
    rows: WeekRows,
    earlier: list[Week],
    late: str,
) -> WeeklySummary:
    scales: dict[str, int] = {}
    by_runbook: dict[str, int] = {}
    for (scale, runbook), n in rows.by_scale_runbook.items():
        scales[scale] = scales.get(scale, 0) + n
        by_runbook[runbook] = by_runbook.get(runbook, 0) + n
    order = _scale_order(runbooks.values())
    money = _total(rows.answers, MONEY)
    return WeeklySummary(
        team=config.team.name,
        week=week.label,
        span=week.span(),
        mistakes=sum(scales.values()),
        by_scale=tuple(Count(s, s, scales[s]) for s in sorted(scales, key=lambda s: (-order.get(s, -1), s))),
        by_runbook=_ranked(by_runbook, {k: r.name for k, r in runbooks.items()}),
        decisions=_ranked(rows.decisions, {d.value: d.label for d in Decision}),
        people_affected=int(_total(rows.answers, PEOPLE)),
        money_at_stake=money,
        money_text=_money_text(money, runbooks.values()),
        to_decision=_median(rows.to_decision),
        decided=len(rows.to_decision),
        to_apology=_median(rows.to_apology),
        approved=len(rows.to_apology),
        retros_held=rows.retros_held,
        retros_overdue=rows.retros_overdue,
        retros_coming=rows.retros_coming,
        actions_done=rows.actions_done,
        actions_overdue=rows.actions_overdue,
        checklist_new=rows.checklist_new,
        watched=rows.watch[0],
        complaints=rows.watch[1],
        unsubscribes=rows.watch[2],
        replies=rows.watch[3],
        recurring_causes=_ranked(
            {c: n for c, n in rows.causes.items() if n >= RECURS}, {}, label=lambda c: c.replace("_", " ")
        ),
        earlier=tuple(Count(w.label, w.label, n) for w, n in zip(earlier, rows.earlier, strict=True)),
        late=late,
    )


def _ranked(
    counts: Mapping[str, int], labels: Mapping[str, str], label: Callable[[str], str] | None = None
) -> tuple[Count, ...]:
    """Most first, then by name; labels from ``labels`` (else ``label(key)``, else the key)."""
    named = label or (lambda k: k)
    return tuple(
        Count(k, labels.get(k) or named(k), n)
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _scale_order(runbooks: Iterable[Runbook]) -> dict[str, int]:
    """Each scale level's rank (the highest rank any runbook gives it), for biggest-first order."""
    order: dict[str, int] = {}
    for runbook in runbooks:
        for rank, level in enumerate(runbook.scale.levels):
            order[level] = max(order.get(level, rank), rank)
    return order


def _total(answers: list[dict[str, Any]], name: str) -> float:
    """The sum of a numeric answer over the week's incidents; a missing or non-numeric one counts 0."""
    total = 0.0
    for answer in answers:
        value = answer.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            total += value
    return total


def _money_text(value: float, runbooks: Iterable[Runbook]) -> str:
    """The sum as a money answer reads (£1,200.50), when the runbooks agree on its currency."""
    questions = [q for r in runbooks for q in r.questions if q.id == MONEY and q.type == QuestionType.money]
    units = {(q.unit or "").upper() for q in questions}
    if len(units) == 1:
        return format_answer(questions[0], value)
    return f"{value:,.2f}".removesuffix(".00")


def _median(values: list[timedelta]) -> timedelta | None:
    return statistics.median(values) if values else None


def _late_note(due: datetime, week: Week, env: Env) -> str:
    local = due.astimezone(env.config.team.tz)
    return (
        f"Posted late: the bot was not running on {local:%A} {local:%H:%M}; "
        f"this covers week {week.label}, {week.span()}."
    )


def _channel(env: Env) -> str:
    channel = env.config.digest_channel
    if not channel:
        raise UserError("No digest_channel is set in app.yaml: set it to the channel the summary goes to.")
    return channel


def _send(env: Env, channel: str, summary: WeeklySummary, week: Week) -> PostRef:
    return env.messenger.send(channel, summary, Marker(0, key(week)))


def post_due(env: Env) -> bool:
    """The scheduled job: post the summary of the week due now, once. True when this run posted it."""
    settings = env.config.weekly_summary
    if not settings.enabled:
        log.info("weekly summary: turned off in app.yaml (weekly_summary.enabled); nothing posted")
        return False
    if not env.config.digest_channel:
        log.warning("weekly summary: no digest_channel in app.yaml; nothing posted")
        return False
    channel = env.config.digest_channel
    now = env.now()
    week, _ = due_week(now, settings.weekday, settings.at, env.config.team.tz)
    posted = [_post_once(env, channel, missed, now) for missed in _missed(env, week)]
    return any(posted)


def _missed(env: Env, week: Week) -> list[Week]:
    """``week``, after the weeks an outage skipped since the last one posted (up to MISSED_MAX in all,
    oldest first). A workspace that never had a summary gets only ``week``, not a month of them."""
    earlier = [week.shift(-k) for k in range(1, MISSED_MAX)]
    with env.read() as repo:
        runs = Runs(repo)
        last = next((w for w in earlier if runs.get(key(w)) is not None), None)
    if last is None:
        return [week]
    return [w for w in reversed(earlier) if w > last] + [week]


def _due_of(env: Env, week: Week) -> datetime:
    """When ``week``'s summary falls due: the configured day and time of the week after it."""
    settings = env.config.weekly_summary
    day = week.shift(1).monday + timedelta(days=settings.weekday)
    return local_at(day, settings.at, env.config.team.tz)


def _post_once(env: Env, channel: str, week: Week, now: datetime) -> bool:
    due = _due_of(env, week)
    late = _late_note(due, week, env) if now - due > LATE else ""

    def post() -> PostRef:
        return _send(env, channel, summarize(env, week, env.now(), late=late), week)

    def find() -> PostRef | None:
        try:
            return env.messenger.find(channel, None, Marker(0, key(week)))
        except Undelivered as exc:  # a #name Slack will not read history by: post it, rather than never
            log.warning("weekly summary: cannot look for %s in %s (%s)", week.label, channel, exc.code)
            return None

    ref = post_once(env, key(week), post, find=find)
    if ref is not None:
        log.info("weekly summary for %s posted to %s%s", week.label, channel, " (late)" if late else "")
    return ref is not None


def retry_weekly(env: Env, now: datetime) -> int:
    """The sweeper's part: the weekly job runs once a week (APScheduler has set its next run before
    this one ends), so a run that failed (Slack refused or did not answer, the process died, the
    database hiccuped) is finished here, once its key is stale. Only a week whose run started is
    retried: one indexed read a minute."""
    settings = env.config.weekly_summary
    if not settings.enabled or not env.config.digest_channel:
        return 0
    week, _ = due_week(now, settings.weekday, settings.at, env.config.team.tz)
    with env.read() as repo:
        row = Runs(repo).get(key(week))
    if row is None or row.finished_at is not None:
        return 0
    try:
        return int(post_due(env))
    except Undelivered as exc:
        log.warning("weekly summary for %s: Slack refused it again (%s)", week.label, exc.code)
        return 0


def post_week(env: Env, week: Week) -> PostRef:
    """Post ``week``'s summary now, as a person asked (oops report weekly --post): not keyed, so it
    posts even when the scheduled run has."""
    channel = _channel(env)
    return _send(env, channel, summarize(env, week, env.now()), week)
