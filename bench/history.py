"""Does a long history make today's work dearer? `/oops resume OOPS-N` and opening an incident (report
submitted → decision prompt posted), with 10 and then with 10,000 closed incidents in the store."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench.harness import TEAM_ID, BotThreadsCPU
from bench.seed import seed_history
from bot.config import AppConfig
from bot.demo import ANSWERS, DETAILS, INCIDENT_CHANNEL, REPORTER, SUMMARY, DemoBot, demo_bot
from bot.slack import ids
from bot.store import make_engine, migrate


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @property
    def wall_median(self) -> float:
        return sorted(self.wall)[len(self.wall) // 2]

    @property
    def cpu_median(self) -> float:
        return sorted(self.cpu)[len(self.cpu) // 2]


@dataclass
class HistoryResult:
    """Per history size: resume and opening samples (wall seconds, bot-thread CPU seconds)."""

    resume: dict[int, Sample] = field(default_factory=dict)
    opening: dict[int, Sample] = field(default_factory=dict)


def report_values(view: dict[str, Any]) -> dict[str, Any]:
    blocks = {b.get("block_id") for b in view["blocks"]}
    values: dict[str, Any] = {"details": DETAILS}
    for key, value in ANSWERS.items():
        if ids.QUESTION_PREFIX + key in blocks:
            values[ids.QUESTION_PREFIX + key] = value
    return values


def _headers(bot: DemoBot) -> int:
    return len(bot.emulator.messages(INCIDENT_CHANNEL))


def open_incident(bot: DemoBot, summary: str = SUMMARY) -> tuple[float, float]:
    """/oops, then submit the report; measured from the submission until the bot is idle again
    (header, scale, notices, decision prompt all posted). Returns (wall, bot CPU) seconds."""
    bot.driver.slash("/oops", summary, user=REPORTER, channel=INCIDENT_CHANNEL)
    bot.settle()
    view = bot.emulator.opened_views[-1]
    headers = _headers(bot)
    cpu = BotThreadsCPU()
    started = time.monotonic()
    response = bot.driver.submit_view(view["id"], report_values(view), user=REPORTER)
    bot.settle()
    wall, spent = time.monotonic() - started, cpu.seconds()
    if not response.ok or _headers(bot) <= headers:
        raise RuntimeError("the report did not open an incident")
    return wall, spent


def resume(bot: DemoBot, incident_id: int) -> tuple[float, float]:
    """`/oops resume OOPS-N` until the bot is idle again. Returns (wall, bot CPU) seconds."""
    before = _headers(bot)
    cpu = BotThreadsCPU()
    started = time.monotonic()
    response = bot.driver.slash(
        "/oops", f"resume OOPS-{incident_id}", user=REPORTER, channel=INCIDENT_CHANNEL
    )
    bot.settle()
    wall, spent = time.monotonic() - started, cpu.seconds()
    if not response.ok or _headers(bot) <= before:
        raise RuntimeError(f"resuming OOPS-{incident_id} posted nothing")
    return wall, spent


def _spread(candidates: list[int], n: int) -> list[int]:
    """``n`` ids spread evenly over ``candidates`` (old and new incidents alike)."""
    if n >= len(candidates):
        return list(candidates)
    step = len(candidates) / n
    return [candidates[int(i * step)] for i in range(n)]


def measure_history(
    config: AppConfig, database_url: str, sizes: tuple[int, ...] = (10, 10_000), reps: int = 10
) -> HistoryResult:
    """One bot process throughout; the history grows between sizes (seeded straight into its store)."""
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    result = HistoryResult()
    seeded: list[int] = []
    with demo_bot(config, database_url) as bot:
        for size in sizes:
            fresh = (
                seed_history(bot.runtime.engine, size - len(seeded), TEAM_ID) if size > len(seeded) else []
            )
            seeded += fresh
            open_incident(bot)  # warm-up: caches, connections, this size's first query plans
            resume(bot, fresh[0] if fresh else seeded[0])
            result.resume[size] = Sample()
            for incident_id in _spread(fresh[1:], reps):
                result.resume[size].add(*resume(bot, incident_id))
            result.opening[size] = Sample()
            for _ in range(reps):
                result.opening[size].add(*open_incident(bot))
    return result
