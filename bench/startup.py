"""Start-up: `oops --help` (the CLI's import cost) and `oops serve --http` from spawn to its first
signed acknowledgement, beside the bare Bolt app served the same way."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field

from bench.harness import oops_command


@dataclass
class Timing:
    """Wall and CPU seconds per run."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)


@dataclass
class StartupResult:
    """`oops --help`, the bare interpreter as its floor, and spawn → first ack of the bot and the bare app."""

    help: Timing = field(default_factory=Timing)
    python: Timing = field(default_factory=Timing)
    # Restarts on an existing database (the usual start), and the very first start, which creates it.
    first_ack: dict[str, Timing] = field(default_factory=lambda: {"oops": Timing(), "bare": Timing()})
    first_ack_new: dict[str, Timing] = field(default_factory=lambda: {"oops": Timing(), "bare": Timing()})


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float]:
    """Run a command to its end: (wall, CPU) seconds."""
    cpu = _children_cpu()
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}: {done.stderr[-500:]!r}")
    return elapsed, _children_cpu() - cpu


def measure_commands(result: StartupResult, runs: int) -> None:
    if runs > 1:  # the first run may compile bytecode: not what a user waits for
        timed([*oops_command(), "--help"])
    for _ in range(runs):
        result.python.add(*timed([sys.executable, "-c", "pass"]))
        result.help.add(*timed([*oops_command(), "--help"]))
