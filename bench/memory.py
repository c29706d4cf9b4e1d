"""Resident memory of `oops serve --http` as its history grows: idle, then with 1,000 and with 10,000
closed incidents, after the running bot has resumed and opened incidents across the whole history
(so anything it keeps per incident, or loads for all of them, shows)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bench._slack import BenchEmulator
from bench.harness import TEAM_ID, Served
from bench.history import report_values
from bench.seed import seed_history
from bot.demo import INCIDENT_CHANNEL, REPORTER, SUMMARY
from bot.store import make_engine

QUIET_SECONDS = 0.1


@dataclass
class MemoryResult:
    """RSS in MB: idle, then per history size, and what the bot did at each size."""

    idle_mb: float = 0.0
    by_size: dict[int, float] = field(default_factory=dict)
    touched: dict[int, int] = field(default_factory=dict)


def wait_quiet(server: Served, timeout: float = 120.0) -> None:
    """Until the served process stops spending CPU: its lazy work (after the ack) is done."""
    deadline = time.monotonic() + timeout
    last = server.cpu()
    while time.monotonic() < deadline:
        time.sleep(QUIET_SECONDS)
        now = server.cpu()
        if now - last < 0.011:  # at most one clock tick
            return
        last = now
    raise TimeoutError(f"{server.name} still busy after {timeout:.0f} s")


def _open(server: Served, emulator: BenchEmulator) -> None:
    opened = emulator.counts["views.open"]
    server.driver.slash("/oops", SUMMARY, user=REPORTER, channel=INCIDENT_CHANNEL)
    emulator.wait_calls("views.open", opened + 1)
    assert emulator.last_view_id is not None
    view = emulator.view(emulator.last_view_id)
    response = server.driver.submit_view(view["id"], report_values(view), user=REPORTER)
    if not response.ok:
        raise RuntimeError(f"the report was refused: HTTP {response.status}")
    wait_quiet(server)


def _resume(server: Served, incident_id: int) -> None:
    response = server.driver.slash(
        "/oops", f"resume OOPS-{incident_id}", user=REPORTER, channel=INCIDENT_CHANNEL
    )
    if not response.ok:
        raise RuntimeError(f"resume OOPS-{incident_id}: HTTP {response.status}")
    wait_quiet(server)


def measure_memory(
    server: Served,
    emulator: BenchEmulator,
    database_url: str,
    sizes: tuple[int, ...] = (1_000, 10_000),
    touches: int = 20,
) -> MemoryResult:
    """``server`` must be a fresh ``oops`` process on ``database_url``. At each size the bot opens
    ``touches`` incidents and resumes ``touches`` seeded ones spread over the whole history."""
    result = MemoryResult()
    _open(server, emulator)  # warm-up: every code path of an opening has run once
    wait_quiet(server)
    result.idle_mb = server.rss_mb()
    engine = make_engine(database_url)
    seeded: list[int] = []
    try:
        for size in sizes:
            seeded += seed_history(engine, max(0, size - len(seeded)), TEAM_ID)
            step = max(1, len(seeded) // touches)
            for incident_id in seeded[step // 2 :: step][:touches]:
                _resume(server, incident_id)
            for _ in range(touches):
                _open(server, emulator)
            result.by_size[size] = server.rss_mb()
            result.touched[size] = 2 * touches
    finally:
        engine.dispose()
    return result
