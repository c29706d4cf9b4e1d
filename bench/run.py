"""One bench run: what to measure at which sizes (a ``Plan``), and every section's results."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench.ack import AckResult, measure_acks
from bench.digest import DigestRun, PostRun, run_digest
from bench.harness import Served, bench_config, served, workspace
from bench.history import HistoryResult, measure_history
from bench.incident import (
    RoundTrips,
    WalkResult,
    measure_round_trips,
    measure_walks,
    postgres_url,
    private_schema,
)
from bench.machine import Machine, describe_machine
from bench.memory import MemoryResult, measure_memory
from bench.search import SearchBench, run_search
from bench.startup import StartupResult, measure_commands
from bench.sweep import SweepRun
from bench.sweep import measure as measure_sweep


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions; the targets of issue 6 are stated for the full plan's sizes."""

    name: str
    startup_runs: int
    ack_levels: tuple[int, ...]
    ack_per_level: int
    walks: int
    round_trip_samples: int
    history_sizes: tuple[int, int]
    history_reps: int
    memory_sizes: tuple[int, int]
    memory_touches: int
    search_sizes: tuple[int, ...] = ()  # the history bench (bench/search.py); none: not run
    search_postgres_max: int | None = None  # larger PostgreSQL histories are skipped (build time)
    digest_sizes: tuple[int, ...] = ()  # the weekly summary bench (bench/digest.py); none: not run
    sweep_sizes: tuple[int, ...] = ()  # the minute sweep (bench/sweep.py), on the digest histories


FULL = Plan(
    name="full",
    startup_runs=4,
    ack_levels=(1, 10, 50),
    ack_per_level=200,
    walks=3,
    round_trip_samples=3,
    history_sizes=(10, 10_000),
    history_reps=9,  # at 10 incidents one is the warm-up's, so 9 are left to resume
    memory_sizes=(1_000, 10_000),
    memory_touches=20,
    search_sizes=(10_000, 100_000),
    digest_sizes=(10_000, 100_000),
    sweep_sizes=(10, 10_000, 100_000),
)
QUICK = Plan(
    name="quick",
    startup_runs=2,
    ack_levels=(1, 10, 50),
    ack_per_level=50,
    walks=1,
    round_trip_samples=1,
    history_sizes=(10, 1_000),
    history_reps=3,
    memory_sizes=(100, 1_000),
    memory_touches=3,
    search_sizes=(1_000, 10_000),
    search_postgres_max=10_000,
    digest_sizes=(1_000, 10_000),
    sweep_sizes=(10, 10_000),
)


@dataclass
class BenchResults:
    plan: Plan
    machine: Machine
    startup: StartupResult = field(default_factory=StartupResult)
    acks: dict[str, AckResult] = field(default_factory=dict)
    memory: MemoryResult = field(default_factory=MemoryResult)
    walks: list[WalkResult] = field(default_factory=list)
    round_trips: list[RoundTrips] = field(default_factory=list)
    history: HistoryResult = field(default_factory=HistoryResult)
    search: SearchBench = field(default_factory=SearchBench)
    digest: list[DigestRun] = field(default_factory=list)
    digest_post: PostRun | None = None
    sweeps: list[SweepRun] = field(default_factory=list)


def _served_section(plan: Plan, results: BenchResults, tmp: Path) -> None:
    """Start-up, acknowledgements and memory, on processes served as an operator runs them. The last
    start-up run's two processes stay up for the acknowledgement bench; the bot's then for memory."""
    config = bench_config()
    measure_commands(results.startup, plan.startup_runs)
    with workspace(config) as emulator:
        for run in range(plan.startup_runs):
            last = run == plan.startup_runs - 1
            with ExitStack() as stack:
                apps: list[Served] = []
                for kind in ("bare", "oops"):
                    # One database per app: the first run creates it, the others restart on it.
                    url = f"sqlite:///{tmp}/{kind}.db"
                    server = stack.enter_context(served(kind, emulator, url, tmp))
                    timing = results.startup.first_ack_new if run == 0 else results.startup.first_ack
                    timing[kind].add(server.startup_seconds, server.startup_cpu)
                    apps.append(server)
                if last:
                    results.acks = measure_acks(apps, emulator, plan.ack_levels, plan.ack_per_level)
                    results.memory = measure_memory(
                        apps[1],
                        emulator,
                        f"sqlite:///{tmp}/oops.db",
                        plan.memory_sizes,
                        plan.memory_touches,
                    )


def _in_process_section(plan: Plan, results: BenchResults, tmp: Path) -> None:
    """Whole incidents, round trips and history, with the bot in this process (idle is observable)."""
    config = bench_config()
    results.round_trips = measure_round_trips(config, f"sqlite:///{tmp}/trips.db", plan.round_trip_samples)
    results.walks.append(measure_walks(config, "SQLite", f"sqlite:///{tmp}/walks.db", plan.walks))
    base, why = postgres_url()
    if base is None:
        results.walks.append(WalkResult("PostgreSQL", skipped=why))
    else:
        try:
            with private_schema(base) as url:
                results.walks.append(measure_walks(config, "PostgreSQL", url, plan.walks))
        except Exception as exc:  # an unreachable server is a skip with its reason, not a crash
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            results.walks.append(WalkResult("PostgreSQL", skipped=f"{why}: {first}"))
    results.history = measure_history(
        config, f"sqlite:///{tmp}/history.db", plan.history_sizes, plan.history_reps
    )


def run(plan: Plan) -> BenchResults:
    results = BenchResults(plan, describe_machine())
    with tempfile.TemporaryDirectory(prefix="oops-bench-") as tmp:
        _served_section(plan, results, Path(tmp))
        _in_process_section(plan, results, Path(tmp))
        if plan.search_sizes:
            results.search = run_search(
                plan.search_sizes, postgres_max=plan.search_postgres_max, tmp=Path(tmp) / "search"
            )
        if plan.digest_sizes:  # the search section's cached histories, copied and filled in
            results.digest, results.digest_post = run_digest(plan.digest_sizes)
        results.sweeps = [measure_sweep(n) for n in plan.sweep_sizes]
    return results
