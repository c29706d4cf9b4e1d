"""The weekly summary as views draw it (Slack's Block Kit, the terminal, Markdown): plain figures,
already named and ordered, and the small wording helpers every view shares so they all say the same.
No store, no Slack: like bot.snapshot, a read-only picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class WeeklySummary:
    team: str
    week: str  # 2026-W47
    span: str  # 16–22 Nov 2026
    mistakes: int
    by_scale: tuple[Count, ...]
    by_runbook: tuple[Count, ...]
    decisions: tuple[Count, ...]
    people_affected: int
    money_at_stake: float
    money_text: str  # the sum as people read it: £1,200.50
    to_decision: timedelta | None  # median, over the decisions taken in the week
    decided: int
    to_apology: timedelta | None  # median, over the apologies approved in the week
    approved: int
    retros_held: int
    retros_overdue: int
    retros_coming: int
    actions_done: int
    actions_overdue: int
    checklist_new: int
    watched: int  # incidents whose figures after the apology were recorded in the week
    complaints: int
    unsubscribes: int
    replies: int
    recurring_causes: tuple[Count, ...]  # counted over this week and the four before; 2 or more
    earlier: tuple[Count, ...]  # mistakes in each of the four weeks before, oldest first (key: label)
    late: str = ""  # "Posted late: …" when the summary went out over an hour after it fell due

    @property
    def empty(self) -> bool:
        return self.mistakes == 0

    @property
    def title(self) -> str:
        return f"Weekly summary {self.week} · {self.span}"

    @property
    def trend(self) -> str:
        """The four weeks before and this one, as bars: ▁▃▅▂█."""
        return sparkline([c.count for c in self.earlier] + [self.mistakes])

    @property
    def comparison(self) -> str:
        """One line: the sparkline, and this week against the average of the four before."""
        if not self.earlier:
            return f"{self.mistakes} this week"
        counts = ", ".join(str(c.count) for c in self.earlier)
        average = sum(c.count for c in self.earlier) / len(self.earlier)
        if self.mistakes > average:
            word = "more than"
        elif self.mistakes < average:
            word = "fewer than"
        else:
            word = "the same as"
        return (
            f"{self.trend}  {self.mistakes} this week, {word} the average of the {len(self.earlier)} "
            f"weeks before ({counts})"
        )


def sparkline(values: list[int]) -> str:
    """One bar per value, scaled to the largest; all zero gives the lowest bars."""
    top = max(values, default=0)
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[round(v / top * (len(BARS) - 1))] for v in values)


def duration(value: timedelta | None) -> str:
    """'2 h 05 min', '3 d 4 h', '12 min'; '—' when there is none."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def counts(items: tuple[Count, ...]) -> str:
    """'big 2 · small 5'; 'none' when empty."""
    return " · ".join(f"{c.label} {c.count}" for c in items) or "none"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def lines(summary: WeeklySummary) -> list[tuple[str, str]]:
    """(heading, text) pairs every view shows, in order; the cheerful empty week has fewer."""
    s = summary
    retros = f"{s.retros_held} held · {s.retros_overdue} overdue · {s.retros_coming} in the next 7 days"
    actions = f"{s.actions_done} done this week · {s.actions_overdue} open and overdue"
    if s.empty:
        rows = [("Compared with the weeks before", s.comparison)]
        if s.retros_held or s.retros_overdue or s.retros_coming:
            rows.append(("Retrospectives", retros))
        if s.actions_done or s.actions_overdue:
            rows.append(("Action items", actions))
        return rows
    rows = [
        ("Mistakes", f"{plural(s.mistakes, 'mistake')} · by scale: {counts(s.by_scale)}"),
        ("By runbook", counts(s.by_runbook)),
        ("Decisions taken", counts(s.decisions)),
        (
            "At stake",
            f"{plural(s.people_affected, 'person', 'people')} affected · {s.money_text} at stake",
        ),
        (
            "How fast",
            f"median {duration(s.to_decision)} from /oops to decision ({plural(s.decided, 'decision')}) · "
            f"{duration(s.to_apology)} to an approved apology ({plural(s.approved, 'apology', 'apologies')})",
        ),
        ("Retrospectives", retros),
        ("Action items", actions),
        ("New checklist items", str(s.checklist_new)),
    ]
    if s.watched:
        rows.append(
            (
                "After the apologies",
                f"{s.complaints:,} complaints · {s.unsubscribes:,} unsubscribes · {s.replies:,} replies "
                f"(recorded for {plural(s.watched, 'incident')})",
            )
        )
    if s.recurring_causes:
        rows.append(("Causes that recur (5 weeks)", counts(s.recurring_causes)))
    rows.append(("Compared with the weeks before", s.comparison))
    return rows


def cheer(summary: WeeklySummary) -> str:
    return f"No mistakes reported in {summary.week} ({summary.span}). A quiet week: well done, everyone. 🎉"
