"""Acknowledgement latency and CPU per /oops, the bot beside the bare Bolt app, each served as its own
process by the same waitress set-up, against the same emulator."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench._slack import BenchEmulator
from bench.harness import Served, percentile
from bot.demo import INCIDENT_CHANNEL, REPORTER, SUMMARY

WARM_UP = 20


@dataclass
class Level:
    """One concurrency level: every acknowledgement's latency in seconds."""

    concurrency: int
    latencies: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)


@dataclass
class AckResult:
    """One app's figures: latency per concurrency level and server CPU per /oops."""

    name: str
    levels: dict[int, Level]
    requests: int
    cpu_seconds: float  # the served process's
    stand_in_cpu_seconds: float = 0.0  # this process's: the emulator and the load generator

    @property
    def cpu_per_ack(self) -> float:
        return self.cpu_seconds / self.requests

    @property
    def stand_in_cpu_per_ack(self) -> float:
        return self.stand_in_cpu_seconds / self.requests


def _burst(served: Served, emulator: BenchEmulator, n: int, concurrency: int) -> list[float]:
    """``n`` signed /oops requests, ``concurrency`` in flight at once; waits until each modal is open."""
    opened = emulator.counts["views.open"]

    def one(i: int) -> float:
        response = served.driver.slash("/oops", f"{SUMMARY} #{i}", user=REPORTER, channel=INCIDENT_CHANNEL)
        if not response.ok:
            raise RuntimeError(f"{served.name} answered HTTP {response.status}: {response.body_text[:200]}")
        return response.elapsed_seconds

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-client") as pool:
        latencies = list(pool.map(one, range(n)))
    emulator.wait_calls("views.open", opened + n)
    return latencies


def measure_acks(
    apps: list[Served], emulator: BenchEmulator, levels: tuple[int, ...], per_level: int
) -> dict[str, AckResult]:
    """Each level runs on every app in turn (bare, then the bot), so drift on a shared machine hits
    both alike. CPU is the served process's own, from its first measured request to its last modal.
    The emulator answers views.open lean (see ``BenchEmulator``) for both apps alike."""
    emulator.lean_views = True
    try:
        for served in apps:
            _burst(served, emulator, WARM_UP, min(levels))
        results = {s.name: AckResult(s.name, {}, 0, 0.0) for s in apps}
        for concurrency in levels:
            for served in apps:
                before, here = served.cpu(), time.process_time()
                latencies = _burst(served, emulator, per_level, concurrency)
                result = results[served.name]
                result.cpu_seconds += served.cpu() - before
                result.stand_in_cpu_seconds += time.process_time() - here
                result.requests += per_level
                result.levels[concurrency] = Level(concurrency, latencies)
    finally:
        emulator.lean_views = False
    return results
